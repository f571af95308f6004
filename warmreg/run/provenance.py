"""What actually ran: plugin distributions and versions, git commit, flattened config."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path
from typing import Any, Mapping

from warmreg.recipe import Recipe


def plugins_used(recipe: Recipe) -> dict[str, str]:
    """``{"tasks.triviaqa": "warmreg 0.1.0", ...}`` for every plugin the recipe uses."""
    trainers = [p for m in recipe.models for p in recipe.personas_for(m.name)]
    used = {f"trainers.{p.name}": p.info.source for p in [*recipe.personas, *trainers]}
    for backend in [recipe.backend, *recipe.model_backends.values()]:
        used[f"backends.{backend.name}"] = backend.info.source
    used.update({f"tasks.{t.name}": t.info.source for t in recipe.tasks + recipe.controls})
    used.update({f"judges.{n}": j.info.source for n, j in recipe.judges.items()})
    from warmreg import registry

    contexts = {c.partition(":")[0] for c in recipe.contexts} | {"belief"}
    for name in sorted(contexts):
        used[f"contexts.{name}"] = registry.info("contexts", name).source
    return used


def git_commit(path: Path) -> str:
    """The git commit of the directory holding ``path`` ("unknown" outside a repository)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=path.resolve().parent,
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"


def run_tags(recipe_path: Path) -> dict[str, str]:
    """Tags recording where and with what a run was made."""
    from importlib import metadata

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    return {
        "warmreg.git_commit": git_commit(recipe_path),
        "warmreg.recipe_path": str(recipe_path),
        "warmreg.version": version("warmreg"),
        "warmreg.python": platform.python_version(),
        **{f"warmreg.lib.{d}": version(d) for d in ("torch", "transformers", "peft", "trl")},
    }


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted keys: {"a": {"b": 1}} -> {"a.b": 1}."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat
