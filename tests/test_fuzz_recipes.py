"""Fuzz `warmreg validate` with the shipped recipes mutated into hundreds of bad ones.

Every mutation is a user error: it must exit 2 through the CLI's entry function, name
the offending key (or, for bytes that are not YAML at all, the line) in the one-line
message, and never print a traceback or raise. Classes follow issue 12: ranges,
non-finite numbers, types, unknown keys, nested judge-backend sections, duplicates,
semantic errors, and YAML-level attacks (not UTF-8, deep nesting, recursive aliases,
alias bombs, duplicate keys, bad ``--set`` values).
"""

from __future__ import annotations

import collections
import copy
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from warmreg.cli import main

RECIPES = sorted((Path(__file__).parent.parent / "recipes").glob("*.yaml"))
NAN, INF = float("nan"), float("inf")


@dataclass
class Case:
    cls: str
    key: str  # must appear in the error message
    raw: dict | None = None  # a mutated recipe, dumped as YAML
    text: bytes | None = None  # or the file's bytes as they are
    sets: tuple[str, ...] = ()


def put(raw: dict, dotted: str, value) -> dict:
    """A deep copy of ``raw`` with ``a.b.c`` set (mappings created on the way)."""
    out = copy.deepcopy(raw)
    *parents, last = dotted.split(".")
    node = out
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    return out


def first(raw: dict, section: str, trainer_prefix: str | None = None) -> str:
    for name, sub in (raw.get(section) or {}).items():
        if trainer_prefix is None or str(sub.get("trainer", "")).startswith(trainer_prefix):
            return name
    return ""


def value_cases(raw: dict, cls: str, table: dict[str, list]) -> list[Case]:
    return [Case(cls, key, raw=put(raw, key, v)) for key, values in table.items() for v in values]


def ranges(raw: dict) -> list[Case]:
    sft, task, control = first(raw, "personas", "sft"), first(raw, "tasks"), first(raw, "controls")
    table = {
        "generation.max_new_tokens": [-1, 0, 10 ** 30, 2 ** 40],
        "generation.temperature": [-0.5, -1, 1000],
        "generation.top_p": [2, 0, -0.1, 1.5],
        "seed": [-1, 2 ** 40],
        f"tasks.{task}.limit": [-1, -100],
        f"tasks.{task}.max_new_tokens": [0, -5, 10 ** 9],
        "warmth.prompts": [0, -3],
        "warmth.max_new_tokens": [0],
        "warmth.max_tokens": [-1],
        "analysis.equivalence_margin_pp": [0, -1, 101],
        "backend.prefill_tokens": [0],
        "backend.max_batch_tokens": [0],
        "judges.numeric.rel_tol": [-1],
        "judges.numeric.abs_tol": [-0.5],
    }
    if control:
        table[f"controls.{control}.limit"] = [-2]
    if sft:
        for key, values in {"learning_rate": [0, -1, 2], "lora_dropout": [1.5, -0.1, 1],
                            "epochs": [0, -1, 10 ** 6], "effective_batch_size": [0, -16],
                            "per_device_batch_size": [0, -4], "lora_r": [0], "lora_alpha": [0],
                            "max_length": [0], "limit": [0], "max_steps": [0],
                            "checkpoint_epochs": [[0.5, -1]], "evaluate_epoch": [0]}.items():
            table[f"personas.{sft}.{key}"] = values
    if raw.get("backend", {}).get("name", "hf") == "hf":
        table["backend.threads"] = [0, -1]
        table["backend.batch_size"] = [0, -8]
    if "llm" in (raw.get("judges") or {}):
        table["judges.llm.max_new_tokens"] = [0]
        table["judges.llm.chunk_size"] = [0]
    return value_cases(raw, "ranges", table)


def nonfinite(raw: dict) -> list[Case]:
    sft = first(raw, "personas", "sft")
    keys = ["generation.temperature", "generation.top_p", "analysis.equivalence_margin_pp",
            "judges.numeric.rel_tol"]
    if sft:
        keys += [f"personas.{sft}.{k}" for k in ("learning_rate", "lora_dropout", "epochs",
                                                 "evaluate_epoch")]
    cases = value_cases(raw, "nonfinite", {k: [NAN, INF, -INF] for k in keys})
    if sft:
        cases.append(Case("nonfinite", f"personas.{sft}.checkpoint_epochs", raw=put(
            raw, f"personas.{sft}.checkpoint_epochs", [0.5, NAN])))
    return cases


def types(raw: dict) -> list[Case]:
    task, sft = first(raw, "tasks"), first(raw, "personas", "sft") or "warm"
    table = {"generation": [5, "fast", [1]], "generation.max_new_tokens": ["ten", 1.5, True],
             "generation.temperature": ["hot", [0]], "tasks": [["triviaqa"], "triviaqa"],
             "models": [{"name": "m"}, "m"], f"personas.{sft}": [3, "sft-warm"],
             "contexts": ["none", 5], "beliefs": [5, {"none": 1}], "seed": ["x", 1.5],
             "name": [5, ["a"]], f"tasks.{task}.limit": [True, "all", 2.5],
             "prompt": [["before"], 1], "analysis": [3], "warmth": ["yes"],
             "prompt.context_position": ["middle"], "backend": ["hf", 3],
             "judges": [["llm"]], "experiment": [7], "workdir": [["a"]]}
    return value_cases(raw, "types", table)


def unknown_keys(raw: dict) -> list[Case]:
    task, sft = first(raw, "tasks"), first(raw, "personas", "sft")
    keys = ["taskss", "generation.max_tokens", f"tasks.{task}.limt", "backend.devise",
            "analysis.refrence", "warmth.promts", "prompt.position", "judges.choice.strict_mode"]
    if sft:
        keys.append(f"personas.{sft}.learning_rte")
    if "llm" in (raw.get("judges") or {}):
        keys.append("judges.llm.modle")
    cases = [Case("unknown", k, raw=put(raw, k, 1)) for k in keys]
    cases.append(Case("unknown", "tasks.trivia", raw=put(raw, "tasks.trivia", {})))
    cases.append(Case("unknown", "judges.lm", raw=put(raw, "judges.lm", {})))
    return cases


def nested_backend(raw: dict) -> list[Case]:
    base = put(raw, "judges.llm", {"model": "judge", "backend": "openai",
                                   "backend_config": {"base_url": "http://127.0.0.1:8000/v1"}})
    table = {"judges.llm.backend": ["opeanai", "vlm"],
             "judges.llm.backend_config.base_urll": ["http://x"],
             "judges.llm.backend_config.concurrency": [0, -1, NAN],
             "judges.llm.backend_config.timeout_s": [0, INF],
             "judges.llm.backend_config.max_retries": [-1],
             "judges.llm.backend_config.base_url": ["not a url", "ftp://x", 5],
             "judges.llm.backend_config.extra_body": ["x"],
             "judges.llm.backend_config": ["openai"]}
    cases = value_cases(base, "nested-backend", table)
    hf = put(put(base, "judges.llm.backend", "hf"), "judges.llm.backend_config", {})
    cases += value_cases(hf, "nested-backend", {"judges.llm.backend_config.device": ["tpu"],
                                                "judges.llm.backend_config.threads": [0]})
    return cases


def duplicates(raw: dict) -> list[Case]:
    contexts = list(raw.get("contexts") or ["none"])
    models = raw["models"]
    task = first(raw, "tasks")
    return [Case("duplicates", "contexts[", raw=put(raw, "contexts", contexts + [contexts[0]])),
            Case("duplicates", "contexts[", raw=put(raw, "contexts", ["none", "emotion:sad", "none"])),
            Case("duplicates", "beliefs[", raw=put(raw, "beliefs", ["none", "incorrect", "none"])),
            Case("duplicates", "beliefs[", raw=put(raw, "beliefs", ["incorrect", "incorrect"])),
            Case("duplicates", "models[", raw=put(raw, "models", models + [models[0]])),
            Case("duplicates", f"controls.{task}", raw=put(raw, f"controls.{task}", {}))]


def semantic(raw: dict) -> list[Case]:
    task = first(raw, "tasks")
    return [*value_cases(raw, "semantic", {
                "analysis.reference": ["warmm", "nope", ""],
                f"tasks.{task}.source": ["missing/file.jsonl", "nope.csv", "./x.parquet"],
                "backend.device": ["tpu", "gpu", "cuda:x"],
                "backend.threads": [0]}),
            Case("semantic", "tasks", raw=put(raw, "tasks", {})),
            Case("semantic", "models", raw=put(raw, "models", [])),
            Case("semantic", "backend.base_url", raw=put(raw, "backend", {"name": "openai", "base_url": "not a url"})),
            Case("semantic", "backend.base_url", raw=put(raw, "backend", {"name": "openai", "base_url": "localhost:8000"})),
            Case("semantic", "personas.original", raw=put(raw, "personas.original", {"trainer": "original"})),
            Case("semantic", f"tasks.{task}.judge", raw=put(raw, f"tasks.{task}.judge", "no-such-judge"))]


def bomb(levels: int = 9, width: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines)


def yaml_level(raw: dict, text: str) -> list[Case]:
    task = first(raw, "tasks")
    body = yaml.safe_dump({k: v for k, v in raw.items() if k != "name"}, sort_keys=False)
    cases = [Case("yaml", "not UTF-8", text=text.replace("name: ", "name: caf\xe9 ", 1).encode("latin-1")),
             Case("yaml", "not UTF-8", text=b"\xff\xfe" + text.encode("utf-8")),
             Case("yaml", "not UTF-8", text=text.encode("utf-8") + b"\n# \x80\n"),
             Case("yaml", "name", text=("name: " + "[" * 2000 + "]" * 2000 + "\n" + body).encode()),
             Case("yaml", "seed", text=(text + "\nseed: " + "[" * 100 + "]" * 100 + "\n").encode()),
             Case("yaml", "name", text=(f"name: &r [*r]\n{body}").encode()),
             Case("yaml", "name", text=(f"name: &r {{a: *r}}\n{body}").encode())]
    # alias bombs under the keys the issue found (a dummy top key holds the anchors)
    for key in ("name", "seed", f"tasks.{task}.limit", "judges.llm.backend_config.extra_body"):
        head = bomb().replace("\n", "\n  ")
        target = put(raw, key, "BOMB")
        if key.startswith("judges.llm"):
            target = put(target, "judges.llm.model", "judge")
        dumped = yaml.safe_dump(target, sort_keys=False).replace("BOMB", "*a8")
        cases.append(Case("yaml", key.split(".")[0], text=f"x-anchors: &x\n  {head}\n{dumped}".encode()))
    # duplicate keys, at the top and nested
    cases.append(Case("yaml", "name", text=(text + "\nname: again\n").encode()))
    cases.append(Case("yaml", "seed", text=(text + "\nseed: 1\nseed: 2\n").encode()))
    cases.append(Case("yaml", f"tasks.{task}.limit", text=yaml.safe_dump(put(raw, f"tasks.{task}", {"limit": 1, "XX": 2})).replace("XX", "limit").encode()))
    # bad --set values
    for assignment, key in ((f"tasks.{task}.limit=[", f"tasks.{task}.limit"),
                            ("generation.top_p={", "generation.top_p"),
                            ("name=*undefined", "name"), ("seed=: :", "seed"),
                            ("noequals", "noequals"), ("=5", "=5"),
                            ("models.x=1", "models"),
                            (f"tasks.{task}.limit=.nan", f"tasks.{task}.limit"),
                            ("generation.max_new_tokens=-1", "generation.max_new_tokens")):
        cases.append(Case("yaml", key, text=text.encode(), sets=(assignment,)))
    return cases


def mutations(path: Path) -> list[Case]:
    text = path.read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    return [*ranges(raw), *nonfinite(raw), *types(raw), *unknown_keys(raw), *nested_backend(raw),
            *duplicates(raw), *semantic(raw), *yaml_level(raw, text)]


def test_mutated_recipes_exit_2_naming_the_key(tmp_path, capsys):
    counts, failures = collections.Counter(), []
    for recipe in RECIPES:
        for n, case in enumerate(mutations(recipe)):
            path = tmp_path / f"{recipe.stem}-{n}.yaml"
            path.write_bytes(case.text if case.text is not None else yaml.safe_dump(case.raw).encode())
            argv = ["validate", str(path)] + [a for s in case.sets for a in ("--set", s)]
            code = main(argv)  # anything but a WarmregError propagates and fails the test
            out = capsys.readouterr()
            counts[case.cls] += 1
            message = out.err.strip()
            if code != 2 or case.key not in message or str(path) not in message \
                    or "Traceback" in out.err + out.out or message.count("\n"):
                failures.append(f"{case.cls} {recipe.name} #{n} {case.key!r} {case.sets}: "
                                f"exit {code}: {message[:300]}")
    with capsys.disabled():
        print(f"\nfuzzed {sum(counts.values())} bad recipes: "
              + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:40])
    assert sum(counts.values()) >= 300
    assert len(counts) == 8


@pytest.fixture(autouse=True)
def _no_engine_checks():
    """These machines have no vLLM: shipped recipes are checked as `validate --no-engines`
    does (the engine check itself: tests/backends/test_vllm.py, tests/run/test_plan.py)."""
    from warmreg.config import without_engine_checks

    with without_engine_checks():
        yield
