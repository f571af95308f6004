"""Read recipe YAML safely: bounded in size, depth and alias expansion, no duplicate keys.

A recipe is untrusted input. ``yaml.safe_load`` runs no code but still lets a small file
cost minutes and gigabytes (an alias bomb: nine aliases of nine aliases ... expand to a
billion nodes when the recipe is walked), recurse past Python's stack (2,000 nested
brackets, or an alias inside its own anchor), or silently keep the last of two equal keys.
Here a document is read in three passes, each bounded:

1. the bytes: at most :data:`MAX_BYTES`, and strict UTF-8;
2. the event stream (iterative, no recursion): nesting at most :data:`MAX_DEPTH` deep;
3. the composed node graph, walked with an explicit stack as it would be expanded:
   at most :data:`MAX_NODES` nodes counting every alias at its full size, no alias inside
   its own anchor, no key twice in one mapping.

Only then is the graph constructed into Python objects. Every failure is a
:class:`ConfigError` naming the file (or ``--set`` key) and the dotted key path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from warmreg.errors import ConfigError

MAX_BYTES = 1 << 20  # a recipe is names and values: 1 MiB is far beyond any real one
MAX_DEPTH = 32  # the deepest shipped recipe nests 4 levels
MAX_NODES = 200_000  # nodes after alias expansion (the paper recipe has ~300)

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_COLLECTION_START = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_COLLECTION_END = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def read(path: Path) -> Any:
    """The parsed YAML document of a recipe file (``None`` when empty)."""
    where = str(path)
    with open(path, "rb") as f:
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ConfigError(where, f"file is larger than {MAX_BYTES // 1024} KiB; a recipe "
                          "holds names and values, not data")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(where, f"not UTF-8 text: byte {data[exc.start:exc.start + 1]!r} at "
                          f"line {line} (offset {exc.start}); save the recipe as UTF-8") from None
    return loads(text, where)


def loads(text: str, where: str) -> Any:
    """Parse one YAML document from ``text`` under the bounds of this module."""
    if len(text) > MAX_BYTES:
        raise ConfigError(where, f"YAML text is longer than {MAX_BYTES // 1024} KiB")
    try:
        _check_depth(text, where)
        node = yaml.compose(text, Loader=_Loader)
        if node is None:
            return None
        _check_graph(node, where)
        return _construct(node)
    except ConfigError:
        raise
    except yaml.YAMLError as exc:
        raise ConfigError(where, f"not valid YAML: {_one_line(exc)}") from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a timestamp like 2020-13-45
        raise ConfigError(where, f"YAML value cannot be read: {_one_line(exc)}") from None


def _check_depth(text: str, where: str) -> None:
    """Reject nesting deeper than MAX_DEPTH while streaming events (no recursion).

    libyaml is tried first (fast); it gives up at its own depth limit with a bare
    YAMLError, and then the pure-Python parser, which keeps its state on a list and so
    parses any depth, finds the key path. Each open collection is
    ``[is_mapping, next_is_key, current key or index]``.
    """
    if _Loader is not yaml.SafeLoader:
        try:
            _depth_pass(text, where, _Loader)
            return
        except yaml.YAMLError:
            pass
    _depth_pass(text, where, yaml.SafeLoader)


def _depth_pass(text: str, where: str, loader: type) -> None:
    stack: list[list] = []
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, _COLLECTION_END):
            stack.pop()
            continue
        if not isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, *_COLLECTION_START)):
            continue
        if stack:
            top = stack[-1]
            if not top[0]:
                top[2] += 1
            elif top[1]:
                top[1], top[2] = False, getattr(event, "value", None) or "?"
            else:
                top[1] = True
        if isinstance(event, _COLLECTION_START):
            is_mapping = isinstance(event, yaml.MappingStartEvent)
            stack.append([is_mapping, True, None if is_mapping else -1])
            if len(stack) > MAX_DEPTH:
                raise ConfigError(_at(where, _dotted(stack[:-1])), f"nested more than "
                                  f"{MAX_DEPTH} levels deep (line {event.start_mark.line + 1})")


def _dotted(stack: list[list]) -> str:
    path = ""
    for is_mapping, _, key in stack:
        path += (f".{key}" if path else str(key)) if is_mapping else f"[{key}]"
    return path


def _check_graph(root: yaml.Node, where: str) -> None:
    """Walk the node graph as expansion would: bound its size and depth, find cycles and
    duplicate keys. Each stack entry is (node, dotted path, ids of the enclosing nodes)."""
    stack: list[tuple[yaml.Node, str, frozenset[int]]] = [(root, "", frozenset())]
    seen = 0
    while stack:
        node, path, above = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise ConfigError(_at(where, path), f"expands to more than {MAX_NODES:,} values "
                              "(aliases of aliases?); write the values out")
        if id(node) in above:
            raise ConfigError(_at(where, path), "an alias refers to a mapping or list that "
                              "contains it (recursive alias)")
        if len(above) > MAX_DEPTH:
            raise ConfigError(_at(where, path), f"nested more than {MAX_DEPTH} levels deep "
                              "once aliases are expanded")
        inner = above | {id(node)}
        if isinstance(node, yaml.MappingNode):
            stack.extend(_mapping_children(node, path, inner, where))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, f"{path}[{i}]", inner) for i, child in enumerate(node.value))


def _mapping_children(node: yaml.MappingNode, path: str, inner: frozenset[int], where: str):
    keys: dict[str, int] = {}
    children = []
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            key = key_node.value
            dotted = f"{path}.{key}" if path else key
            line = key_node.start_mark.line + 1
            if key == "<<" and key_node.tag.endswith(":merge"):
                children.append((value_node, path, inner))
                continue
            if key in keys:
                raise ConfigError(_at(where, dotted), f"duplicate key {key!r} (lines {keys[key]} "
                                  f"and {line}); YAML would silently keep the last")
            keys[key] = line
        else:
            dotted = f"{path}.?" if path else "?"
            children.append((key_node, dotted, inner))
        children.append((value_node, dotted, inner))
    return children


def _construct(node: yaml.Node) -> Any:
    loader = _Loader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _at(where: str, path: str) -> str:
    return f"{where}: {path}" if path else where


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]
