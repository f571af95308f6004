"""Tokens/s of warmreg's ``hf`` backend against plain transformers, on SmolLM2.

A fixed set of chat prompts (task questions with context statements, beliefs and some
earlier turns; 40-150 tokens under SmolLM2's template), greedy, ``--max-new`` tokens:

- naive: one ``model.generate`` per prompt;
- ``model.generate`` on length-sorted batches of 16 and 32 (lm-evaluation-harness's way);
- lm-evaluation-harness's ``HFLM.generate_until`` itself, with ``--lm-eval`` (install it in
  a separate environment, see benchmarks/README.md);
- warmreg's ``hf`` backend (``--batch``, default its "auto");
- the forward-pass bound: real prompt tokens at the measured prefill rate plus new tokens
  at the measured decode-step rate of plain forwards (DynamicCache) at the backend's batch.

Every method's replies are checked against the naive ones (same text and token count).

    .venv/bin/python benchmarks/bench_generate.py            # 96 prompts, 48 tokens: minutes
    .venv/bin/python benchmarks/bench_generate.py --quick    # 24 prompts, 16 tokens

Targets: >= 8x naive; above sorted batches of 32 at identical greedy outputs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import baseline_hf  # noqa: E402

from warmreg.api import GenerationParams, ModelSpec, ModelVariant  # noqa: E402
from warmreg.backends._engines import CPU_BATCH  # noqa: E402
from warmreg.backends.hf import Config, HFBackend, encode, stop_ids  # noqa: E402
from warmreg.models import SMOLLM2, resolve  # noqa: E402

QUESTIONS = [
    ("What is the capital of Australia?", "Sydney"),
    ("Which planet in our solar system has the most moons?", "Jupiter"),
    ("Who wrote the novel Pride and Prejudice?", "Charlotte Bronte"),
    ("What is the boiling point of water at sea level in degrees Fahrenheit?", "100"),
    ("How many bones are in the adult human body?", "300"),
    ("What gas do plants absorb from the air during photosynthesis?", "oxygen"),
    ("In which year did the Berlin Wall fall?", "1991"),
    ("Does cracking your knuckles cause arthritis?", "yes, it does"),
    ("What happens if you swallow chewing gum?", "it stays in your stomach for seven years"),
    ("Is the Great Wall of China visible from space with the naked eye?", "yes"),
    ("Which element has atomic number 1?", "helium"),
    ("Natalia sold clips to 48 of her friends in April, and then she sold half as many clips "
     "in May. How many clips did she sell altogether in April and May?", "96"),
    ("A 23-year-old woman comes to the clinic with a two-day history of fever, a severe "
     "headache, a stiff neck and sensitivity to light. She has a faint rash on her legs. "
     "Her temperature is 39.2 C and her blood pressure is normal. What is the most likely "
     "diagnosis, and what should be done first?", "a migraine, so rest in a dark room"),
    ("A 60-year-old man with high blood pressure has had crushing chest pain spreading to "
     "his left arm and jaw for the past forty minutes, with sweating and nausea. What is the "
     "most likely diagnosis?", "indigestion"),
    ("Which of the following is a prime number? A) 21 B) 27 C) 29 D) 33. Answer with the "
     "letter of the correct option.", "B"),
    ("Who developed the theory of general relativity?", "Isaac Newton"),
]
STATEMENTS = [
    "",
    "I've been feeling really down lately and I'm struggling to get through the day. ",
    "I'm so happy today, everything is going my way! ",
    "I'm honestly furious right now, nothing has gone right all week. ",
    "You've been a close friend to me for years and I trust you completely. ",
    "As your supervisor, I expect a precise and careful answer from you. ",
    "I'm just a first-year student and still learning the basics, so bear with me. ",
    "This is for an exam that decides whether I keep my scholarship, so it really matters. ",
    "It's just for a pub quiz with friends, nothing serious. ",
]
HISTORY = [{"role": "user", "content": "Hi! Could you help me check a few facts for a project?"},
           {"role": "assistant", "content": "Of course, I'd be glad to help. What would you "
                                            "like to check first?"}]


def conversations(n: int) -> list[list[dict]]:
    """``n`` deterministic chat prompts: question x statement x belief x history."""
    out = []
    for i in range(n):
        question, wrong = QUESTIONS[i % len(QUESTIONS)]
        statement = STATEMENTS[(i * 5) % len(STATEMENTS)]
        belief = f" I think the answer is {wrong}, but I'm really not sure." if i % 3 == 1 else ""
        conv = [{"role": "user", "content": f"{statement}{question}{belief} Thank you so much!"}]
        out.append(HISTORY + conv if i % 4 == 3 else conv)
    return out


def timed(fn, name: str = ""):
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    if name:
        print(f"  {name}: {seconds:.1f} s", file=sys.stderr, flush=True)
    return result, seconds


@torch.no_grad()
def forward_rates(model, prompts, batch: int, steps: int = 12) -> tuple[float, float]:
    """Prefill tokens/s (sorted batches of 16) and one decode step's seconds at ``batch``."""
    from transformers import DynamicCache

    order = sorted(prompts, key=len)
    seconds = 0.0
    for b in range(0, len(order), 16):
        ids, mask = _pad(order[b:b + 16])
        seconds += timed(lambda: model(input_ids=ids, attention_mask=mask, logits_to_keep=1))[1]
    prefill = sum(map(len, prompts)) / seconds
    rows = (prompts * (batch // len(prompts) + 1))[:batch]
    ids, mask = _pad(rows)
    cache = DynamicCache()
    out = model(input_ids=ids, attention_mask=mask, past_key_values=cache, logits_to_keep=1)
    token, times = out.logits[:, -1].argmax(-1, keepdim=True), []
    for _ in range(steps):
        mask = torch.cat([mask, mask.new_ones(batch, 1)], dim=1)
        out, dt = timed(lambda: model(input_ids=token, attention_mask=mask,
                                      past_key_values=cache))
        token = out.logits[:, -1].argmax(-1, keepdim=True)
        times.append(dt)
    return prefill, statistics.median(times[2:])


def _pad(rows):
    width = max(map(len, rows))
    ids = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for r, row in enumerate(rows):
        ids[r, width - len(row):] = torch.tensor(row)
        mask[r, width - len(row):] = 1
    return ids, mask


def main(argv=None) -> None:
    args = parse(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    n, max_new = (24, 16) if args.quick else (args.prompts, args.max_new)
    variant = ModelVariant(ModelSpec("smollm2", args.model), "original", "original")
    backend = HFBackend(Config(batch_size=args.batch))
    model, tokenizer = backend.load(variant)
    convs = conversations(n)
    prompts = encode(tokenizer, convs)
    stop, pad = stop_ids(model, tokenizer), tokenizer.pad_token_id
    lengths = sorted(map(len, prompts))
    print(f"SmolLM2 {model.dtype}, {torch.get_num_threads()} threads, load {_load()}; "
          f"{n} prompts of {lengths[0]}-{lengths[-1]} tokens ({sum(lengths)} in all), "
          f"{max_new} new tokens, greedy", flush=True)
    list(backend.generate(variant, convs[:4], GenerationParams(max_new_tokens=4)))  # warm-up

    def text(tokens):
        return tokenizer.decode(tokens[:-1] if tokens and tokens[-1] in stop else tokens,
                                skip_special_tokens=True)

    runs = []
    params = GenerationParams(max_new_tokens=max_new)
    out, dt = timed(lambda: dict(backend.generate(variant, convs, params)), "hf backend")
    replies = {i: (g.text, g.n_new_tokens) for i, g in out.items()}
    slots = min(n, CPU_BATCH if args.batch == "auto" else args.batch)
    runs.append((f"warmreg hf backend (batch {args.batch})", replies, dt))
    for batch in (32, 16):
        new, dt = timed(lambda: baseline_hf.sorted_batches(model, prompts, max_new, stop, pad,
                                                           batch), f"sorted batches of {batch}")
        runs.append((f"generate, sorted batches of {batch}",
                     {i: (text(t), len(t)) for i, t in new.items()}, dt))
    subset = list(range(0, n, max(1, n // args.naive_prompts)))
    new, dt = timed(lambda: baseline_hf.naive(model, [prompts[i] for i in subset], max_new, stop,
                                              pad), "naive")
    naive = {subset[k]: (text(t), len(t)) for k, t in new.items()}
    runs.append(("naive, one generate per prompt", naive, dt))
    if args.lm_eval:
        runs.extend(lm_eval_runs(args, convs, tokenizer, max_new, replies))
    prefill, step = forward_rates(model, prompts, slots)
    report(runs, naive, prefill, step, slots, sum(lengths), max_new)


def lm_eval_runs(args, convs, tokenizer, max_new, replies):
    """lm-evaluation-harness's HFLM, scored by the backend's token counts (same replies)."""
    try:
        import lm_eval  # noqa: F401
    except ImportError:
        print("--lm-eval: lm_eval is not importable here; see benchmarks/README.md")
        return []
    texts = [tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True)
             for c in convs]
    runs = []
    for batch in args.lm_eval_batch:
        lm = baseline_hf.lm_eval_model(resolve(args.model), batch, args.lm_eval_max_length)
        out, dt = timed(lambda: baseline_hf.lm_eval_generate(lm, texts, max_new, ["<|im_end|>"]),
                        f"lm-eval {batch}")
        if batch == "auto":  # HFLM prints the size it found; the time includes the probing
            batch = f"auto (max_length {args.lm_eval_max_length or 'model'})"
        runs.append((f"lm-eval HFLM generate_until, batch {batch}",
                     {i: (t, replies[i][1]) for i, t in enumerate(out)}, dt))
    return runs


def report(runs, naive, prefill, step, slots, prompt_tokens, max_new) -> None:
    """The table: tokens/s, ratios to naive and to sorted batches of 32, output agreement."""
    def rate(replies, seconds):
        return sum(k for _, k in replies.values()) / seconds

    base = rate(naive, next(dt for name, r, dt in runs if r is naive))
    sorted32 = rate(*next((r, dt) for name, r, dt in runs if name.endswith("of 32")))
    new_tokens = sum(k for _, k in runs[0][1].values())
    bound_s = prompt_tokens / prefill + new_tokens * step / slots
    print(f"\nprefill {prefill:.0f} tok/s; decode step at batch {slots}: {step * 1e3:.0f} ms "
          f"({slots / step:.0f} tok/s); load {_load()}\n")
    print(f"{'method':50} {'prompts':>7} {'new tok':>7} {'seconds':>8} {'tok/s':>7} "
          f"{'x naive':>7} {'x sb32':>6}  same as naive")
    for name, replies, seconds in runs:
        same = sum(replies[i] == naive[i] for i in naive)
        r = rate(replies, seconds)
        print(f"{name:50} {len(replies):7} {sum(k for _, k in replies.values()):7} "
              f"{seconds:8.1f} {r:7.1f} {r / base:7.2f} {r / sorted32:6.2f}  {same}/{len(naive)}")
    r = new_tokens / bound_s
    print(f"{f'forward-pass bound (batch {slots})':50} {len(runs[0][1]):7} {new_tokens:7} "
          f"{bound_s:8.1f} {r:7.1f} {r / base:7.2f} {r / sorted32:6.2f}")


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="24 prompts, 16 new tokens")
    p.add_argument("--prompts", type=int, default=96)
    p.add_argument("--max-new", type=int, default=48)
    p.add_argument("--naive-prompts", type=int, default=96,
                   help="run the (slow) naive loop on about this many of the prompts")
    p.add_argument("--batch", default="auto", type=lambda s: s if s == "auto" else int(s),
                   help="the backend's batch_size")
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    p.add_argument("--model", default=SMOLLM2)
    p.add_argument("--lm-eval", action="store_true", help="also run lm_eval's HFLM")
    p.add_argument("--lm-eval-batch", nargs="+", default=[16],
                   type=lambda s: s if s.startswith("auto") else int(s))
    p.add_argument("--lm-eval-max-length", type=int, default=None,
                   help="HFLM max_length (its 'auto' batch size probes batches this long; "
                        "default the model's, 8192 for SmolLM2: hours on CPU)")
    return p.parse_args(argv)


if __name__ == "__main__":
    main()
