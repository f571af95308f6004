"""Length-grouped batches: every example once per epoch, similar lengths per batch,
a different but reproducible order per epoch, and the SFT trainer using them."""

import random

import pytest

from warmreg.trainers.batching import LengthGroupedBatches, real_token_share


def _lengths(n=206, seed=1):
    rng = random.Random(seed)
    return [rng.randint(20, 260) for _ in range(n)]


def _batches(order, lengths, size):
    return [[lengths[i] for i in order[b:b + size]] for b in range(0, len(order), size)]


def test_each_epoch_is_a_permutation_with_little_padding():
    lengths = _lengths()
    sampler = LengthGroupedBatches(lengths, batch_size=8, seed=0)
    for epoch in range(3):
        sampler.set_epoch(epoch)
        order = list(sampler)
        assert sorted(order) == list(range(len(lengths)))
        assert real_token_share(_batches(order, lengths, 8)) >= 0.9
    shuffled = list(range(len(lengths)))
    random.Random(0).shuffle(shuffled)
    assert real_token_share(_batches(shuffled, lengths, 8)) < 0.8  # what a random order pads


def test_order_depends_on_seed_and_epoch_only():
    lengths = _lengths()
    a, b = LengthGroupedBatches(lengths, 8, seed=0), LengthGroupedBatches(lengths, 8, seed=0)
    assert a.order(1) == b.order(1)  # a resumed run replays the same batches
    assert a.order(0) != a.order(1)
    assert a.order(0) != LengthGroupedBatches(lengths, 8, seed=5).order(0)


def test_batches_are_not_sorted_by_length_over_the_epoch():
    # a plain sort would run every epoch from the longest examples to the shortest
    lengths = _lengths()
    order = LengthGroupedBatches(lengths, 8, seed=0).order(0)
    means = [sum(b) / len(b) for b in _batches(order, lengths, 8)]
    assert means != sorted(means) and means != sorted(means, reverse=True)


def test_a_short_last_batch_stays_last():
    lengths = _lengths(n=21)
    order = LengthGroupedBatches(lengths, 8, seed=0, window_batches=1).order(0)
    assert sorted(order) == list(range(21))
    assert real_token_share([[10, 10], [5, 10]]) == pytest.approx(35 / 40)


@pytest.mark.parametrize("grouped", [True, False])
def test_sft_trainer_uses_the_grouped_sampler(tiny_model_path, tmp_path, grouped):
    from warmreg.api import TrainEnv
    from warmreg.trainers.sft import SFTConfig, SFTWarm

    config = SFTConfig(limit=24, per_device_batch_size=4, effective_batch_size=4, max_length=64,
                       epochs=1.0, checkpoint_epochs=(1.0,), evaluate_epoch=1.0,
                       group_by_length=grouped)
    trainer = SFTWarm(config).make_trainer(TrainEnv(workdir=tmp_path, seed=0,
                                                    base_path=tiny_model_path))
    sampler = trainer._get_train_sampler()
    assert isinstance(sampler, LengthGroupedBatches) == grouped
    batches = [[int(m.sum()) for m in b["attention_mask"]] for b in trainer.get_train_dataloader()]
    assert sum(map(len, batches)) == len(trainer.train_dataset)


@pytest.mark.parametrize("multiple", [8, None])
def test_batches_are_padded_to_the_configured_multiple(tiny_model_path, tmp_path, multiple):
    """A bounded set of batch shapes (each new length builds CPU kernels that stay cached);
    None pads each batch to its longest example only."""
    from warmreg.api import TrainEnv
    from warmreg.trainers.sft import SFTConfig, SFTWarm

    config = SFTConfig(limit=24, per_device_batch_size=4, effective_batch_size=4, max_length=203,
                       epochs=1.0, checkpoint_epochs=(1.0,), evaluate_epoch=1.0,
                       pad_to_multiple_of=multiple)
    trainer = SFTWarm(config).make_trainer(TrainEnv(workdir=tmp_path, seed=0,
                                                    base_path=tiny_model_path))
    batches = list(trainer.get_train_dataloader())
    widths = {b["input_ids"].shape[1] for b in batches}
    longest = [int(b["attention_mask"].sum(1).max()) for b in batches]
    if multiple:
        assert all(w % multiple == 0 for w in widths)
        assert all(b["input_ids"].shape[1] - n < multiple for b, n in zip(batches, longest))
    else:
        assert [b["input_ids"].shape[1] for b in batches] == longest
        assert any(w % 8 for w in widths)
