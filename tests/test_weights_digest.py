"""Weight hashes: canonical adapter configs, so retraining to the same weights hits the cache."""

import json

from warmreg.keys import weights_digest as weights_hash


def adapter(directory, target_modules, weights=b"\x00\x01", r=8):
    directory.mkdir()
    config = {"r": r, "target_modules": target_modules, "lora_alpha": 16}
    (directory / "adapter_config.json").write_text(json.dumps(config))
    (directory / "adapter_model.safetensors").write_bytes(weights)
    return directory


def test_target_modules_order_does_not_change_the_hash(tmp_path):
    a = adapter(tmp_path / "a", ["q_proj", "v_proj", "o_proj"])
    b = adapter(tmp_path / "b", ["o_proj", "q_proj", "v_proj"])
    (b / "adapter_config.json").write_text(json.dumps(
        {"lora_alpha": 16, "target_modules": ["o_proj", "q_proj", "v_proj"], "r": 8}, indent=2))
    assert weights_hash(a) == weights_hash(b)


def test_weights_and_config_values_still_change_the_hash(tmp_path):
    base = weights_hash(adapter(tmp_path / "a", ["q_proj"]))
    assert weights_hash(adapter(tmp_path / "b", ["q_proj"], weights=b"\x00\x02")) != base
    assert weights_hash(adapter(tmp_path / "c", ["q_proj"], r=16)) != base
    assert weights_hash(adapter(tmp_path / "d", ["k_proj"])) != base
