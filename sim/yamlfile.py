"""YAML read defensively: bounded size, depth and alias expansion, one-line errors.

A scenario file is small; a hostile or broken one must cost a second, not minutes and
gigabytes. Text is read under these limits (documented in the README):

* the file is at most :data:`MAX_FILE_BYTES` long and is UTF-8, with or without a BOM;
  a byte that is not UTF-8 is reported with its byte position and line;
* collections nest at most :data:`MAX_DEPTH` deep;
* the document, with every alias expanded, has at most :data:`MAX_NODES` nodes, and an
  alias may not refer to a collection that contains it.

Depth and expansion are measured on the parser's event stream before anything is built
(one pass, linear in the text even for a "billion laughs" file), so nothing exponential
or deeply recursive ever runs; the same pass notes the line each field is written on
(:mod:`sim.lines`, for errors). Repeated keys in a mapping are refused: they are almost
always typos. Aliases become separate copies, so setting a field through one of them
(``--set``) does not change the others.
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml

from sim.errors import ScenarioError
from sim.lines import Lines, Recorder

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "YamlLimitError",
    "check_tree",
    "parse_text",
    "read",
    "read_with_lines",
    "size",
]

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 1_000_000

# libyaml's parser when the wheel has it (several times faster); the same results.
_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlLimitError(ValueError):
    """Text that breaks one of the limits (the reason names the limit)."""


class _StrictLoader(_BaseLoader):
    """Safe YAML that refuses duplicate keys and reports bad scalars with their place."""


_MERGE = "tag:yaml.org,2002:merge"


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    """The mapping, its own keys each written once; ``<<`` merge keys filled in.

    A key a merge brings in (``<<: *base``) and the mapping writes again is an override,
    not a duplicate: ``construct_mapping`` flattens the merges first, the mapping's own
    keys last, so they win.
    """
    seen = set()
    for key_node, _ in node.value:
        if key_node.tag == _MERGE:
            continue
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, Hashable):  # YAML allows "? [a, b]", a dict does not
            reason = f"a key must be a single value, not a {_KINDS.get(type(key), 'collection')}"
            raise yaml.constructor.ConstructorError(None, None, reason, key_node.start_mark)
        if key in seen:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (line {mark.line + 1})", mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_KINDS: dict[type, str] = {list: "list", dict: "mapping", set: "set"}


def _marked(construct: Any) -> Any:
    """A scalar constructor whose ValueError (year 0, a 5,000-digit number) has a place."""

    def checked(loader: _StrictLoader, node: yaml.Node) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, OverflowError) as exc:
            reason = f"cannot read {str(node.value)[:40]!r}: {exc}"
            raise yaml.constructor.ConstructorError(None, None, reason, node.start_mark) from None

    return checked


# Numbers as YAML 1.2 reads them. YAML 1.1 (PyYAML's default) reads an unquoted 24:00
# as the base-60 integer 1440 and 010 as the octal 8: ``duration: 24:00`` became 24
# minutes and ``agents: 010`` eight agents. Without these forms such text stays a
# string: a clock time is read as one, a duration written like a clock is an error,
# and 010 is ten.
_NUMBERS = {
    "tag:yaml.org,2002:int": re.compile(
        r"^(?:[-+]?0b[0-1_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"
    ),
    "tag:yaml.org,2002:float": re.compile(
        r"^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
}
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, _NUMBERS.get(tag, pattern)) for tag, pattern in entries]
    for first, entries in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)
for _tag in ("int", "float", "timestamp"):
    _full = f"tag:yaml.org,2002:{_tag}"
    _StrictLoader.add_constructor(_full, _marked(yaml.SafeLoader.yaml_constructors[_full]))


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""


def _check_events(text: str, recorder: Recorder | None = None) -> None:
    """Refuse text nested too deep or expanding past :data:`MAX_NODES` (one linear pass).

    ``recorder``, if given, is shown every event on the way (the fields' lines).

    Raises:
        YamlLimitError: a limit is broken (the message names it and the place).
        yaml.YAMLError: the text is not YAML.
    """
    nodes = 0
    open_collections: list[tuple[str | None, int]] = []
    sizes: dict[str, int] = {}  # anchor -> expanded size of its node
    for event in yaml.parse(text, Loader=_BaseLoader):
        if recorder is not None:
            recorder.event(event)
        if isinstance(event, yaml.CollectionStartEvent):
            if len(open_collections) >= MAX_DEPTH:
                raise YamlLimitError(
                    f"{_where(event.start_mark)}nested more than {MAX_DEPTH} levels deep"
                )
            if event.anchor is not None:
                sizes.pop(event.anchor, None)  # an anchor may be reused for a new node
            open_collections.append((event.anchor, nodes))
            nodes += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, first = open_collections.pop()
            if anchor is not None:
                sizes[anchor] = nodes - first
        elif isinstance(event, yaml.ScalarEvent):
            nodes += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor not in sizes:
                if any(anchor == event.anchor for anchor, _ in open_collections):
                    raise YamlLimitError(
                        f"{_where(event.start_mark)}alias *{event.anchor} refers to a "
                        "collection that contains it"
                    )
                continue  # an undefined alias: composing reports it with its place
            nodes += sizes[event.anchor]
        if nodes > MAX_NODES:
            raise YamlLimitError(
                f"{_where(event.start_mark)}more than {MAX_NODES:,} values once aliases are "
                "expanded (an alias bomb?)"
            )


def check_tree(data: Any) -> None:
    """Apply the depth and size limits to plain data that did not come from a file.

    Iterative, so a structure nested thousands deep (or containing itself) is refused
    rather than overflowing the stack.

    Raises:
        YamlLimitError: the data is nested too deep or has too many values.
    """
    stack = [(data, 0)]
    nodes = 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise YamlLimitError(f"more than {MAX_NODES:,} values")
        if isinstance(node, dict | list | tuple):
            if depth >= MAX_DEPTH:
                raise YamlLimitError(f"nested more than {MAX_DEPTH} levels deep")
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)


def size(data: Any) -> int:
    """How many values plain data within the limits holds, as :func:`check_tree` counts."""
    stack, count = [data], 0
    while stack:
        node = stack.pop()
        count += 1
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
    return count


def _unaliased(node: Any) -> Any:
    """A tree copy in which YAML anchors' aliases are separate objects.

    PyYAML shares one object between an anchor and its aliases; ``--set`` on one of
    them must not change the others. The depth is bounded, so recursion is safe.
    """
    if isinstance(node, dict):
        return {key: _unaliased(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_unaliased(value) for value in node]
    return node


def _reason(exc: yaml.YAMLError, text: str) -> str:
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        return f"line {line}: character #x{exc.character:04x} is not allowed in YAML"
    mark = getattr(exc, "problem_mark", None)
    reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{_where(mark)}{reason}"


def parse_text(text: str, recorder: Recorder | None = None) -> Any:
    """Parse YAML text under the limits (``recorder``: see :func:`_check_events`).

    Raises:
        YamlLimitError: a limit is broken.
        ValueError: the text is not valid YAML (one line: place and reason).
    """
    try:
        _check_events(text, recorder)
        data = yaml.load(text, Loader=_StrictLoader)
    except YamlLimitError:
        raise
    except yaml.YAMLError as exc:
        raise ValueError(f"invalid YAML: {_reason(exc, text)}") from None
    return _unaliased(data)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        byte = raw[exc.start : exc.start + 1].hex()
        raise ValueError(
            f"not UTF-8 text: byte 0x{byte} at byte position {exc.start} (line {line}); "
            "save the file as UTF-8"
        ) from None


def read(path: str | Path) -> Any:
    """The YAML document in the file at ``path``, read under the limits.

    Raises:
        ScenarioError: as :func:`read_with_lines`.
        TypeError: as :func:`read_with_lines`.
    """
    return read_with_lines(path)[0]


def read_with_lines(path: str | Path) -> tuple[Any, Lines]:
    """The YAML document in the file at ``path``, read under the limits, and its lines.

    The lines (:class:`sim.lines.Lines`) are noted on the limits' pass over the
    parser's events, which walks every node anyway.

    Raises:
        ScenarioError: the file cannot be read, is too large, is not UTF-8, breaks a
            limit or is not valid YAML (one problem, naming the file).
        TypeError: ``path`` is not a path (a ``str`` or ``os.PathLike``).
    """
    if not isinstance(path, str | os.PathLike):
        # open() takes an int as a file descriptor: it would read, then close, the
        # caller's file (sim.load(1): the process's stdout).
        raise TypeError(f"expected a scenario file's path, got {type(path).__name__}")
    source = str(path)
    try:
        with open(path, "rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(source, [("", f"cannot read file: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        raise ScenarioError(source, [("", f"file is larger than {limit} MiB")])
    recorder = Recorder()
    try:
        return parse_text(_decode(raw), recorder), recorder.lines
    except ValueError as exc:
        raise ScenarioError(source, [("", str(exc))]) from None
