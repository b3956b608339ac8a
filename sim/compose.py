"""Scenario composition: other scenario files included under a prefix, then joined.

``include: {order_page: order_page.yaml}`` brings in every queue of that file as
``order_page.<queue>``, with every name inside it renamed to match: route destinations,
targets' queue selections, scopes and ratio references, target ids, and the paths of
its ledger (``calibrated`` fields, targets' ``restates``). The including file then adds
queues, routes and targets, and overrides included fields: an entry under ``queues:``
whose name is an included queue is merged into it (mappings merge key by key, a ``staff``
block or a distribution of another ``dist`` replaces the old one, ``null`` removes a
field). Top-level fields (start, duration, seed, ...) are the including file's.

The ledger of the join is its files' ledgers together: it keeps one (every target gets a
role) when any of its files declares one, a ``calibrated`` list (an empty one says
nothing was fitted) or a target that ``restates`` an input; a target of a file that
declares none is then a check unless the including file's ``calibrated`` names it.

This module transforms plain data only; reading files, cycles and validation of the
included files happen in :mod:`sim.loader`. Where names live is one table,
:data:`QUEUE_NAMES`: a new kind of named thing is a line
there and a name in :data:`NAMESPACED` (teams and their ``serves`` are).
"""

from __future__ import annotations

import copy
import difflib
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from sim import paths
from sim.errors import ScenarioError
from sim.scenario import ROUTE_FIELDS, Calendar, Scenario
from sim.scenario.base import MAX_NAME_LENGTH, MAX_QUEUES
from sim.units import parse_duration

__all__ = [
    "INCLUDE",
    "MAX_DEPTH",
    "NAMESPACED",
    "QUEUE_NAMES",
    "as_written",
    "combine",
    "includes",
    "origin",
]

INCLUDE = "include"
# Each level of includes adds a prefix and a dot to every name: past this depth no name
# fits in MAX_NAME_LENGTH (the loader stops there, not at Python's recursion limit).
MAX_DEPTH = MAX_NAME_LENGTH // 2
# ASCII, as target ids are (a prefix names included targets too), and no dot.
PREFIX = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
PREFIX_RULE = "a prefix is ASCII letters, digits, '_' and '-' (not first), no dots"

# Mappings whose keys are names: an included file's entries are namespaced.
NAMESPACED = ("queues", "teams")
# Where queue names appear: (path pattern, form). ``*`` is any key or list item. Forms:
# ``keys`` (a mapping keyed by names), ``values`` (a name or a list of names),
# ``selection`` (a name, a list of names, or a mapping keyed by names).
QUEUE_NAMES: tuple[tuple[str, str], ...] = (
    *((f"queues.*.{field}", "keys") for field in ROUTE_FIELDS),
    ("targets.*.queue", "selection"),
    ("targets.*.scope", "values"),
    ("targets.*.ratio_to.queue", "selection"),
    ("targets.*.ratio_to.scope", "values"),
    ("targets.*.ratio_to.least_of.*.queue", "selection"),
    ("targets.*.ratio_to.least_of.*.scope", "values"),
    ("teams.*.serves", "values"),
)
# Where target ids appear, and where field paths of the scenario appear (the ledger).
TARGET_IDS: tuple[tuple[str, str], ...] = (
    ("targets.*.id", "values"),
    ("calibrated.*.to", "values"),
)
FIELD_PATHS: tuple[tuple[str, str], ...] = (
    ("calibrated.*.field", "values"),
    ("targets.*.restates", "values"),
)
THRESHOLD = "service_level_threshold"
# What the including file keeps from included files; everything else is its own.
JOINED = (*NAMESPACED, "targets", "calibrated")
# Joined lists: the included files' entries (in include order), then the file's own.
LISTS = ("targets", "calibrated")
# A list position in a problem's path or reason; not inside quotes (a path as written).
POSITION = re.compile(rf"(?<![\w.'\"])({'|'.join(LISTS)})\.(\d+)\b")

Rename = Callable[[str], str]


def includes(data: Mapping[str, Any], source: str) -> list[tuple[str, str]]:
    """The ``(prefix, path)`` pairs of a file's ``include:`` block, checked."""
    block = data.get(INCLUDE)
    if not isinstance(block, Mapping) or not block:
        raise ScenarioError(source, [(INCLUDE, "expected a mapping {prefix: file.yaml, ...}")])
    if len(block) > MAX_QUEUES:  # each brings a queue at least: refused before any is read
        reason = f"{len(block):,} files; a scenario has at most {MAX_QUEUES:,} queues"
        raise ScenarioError(source, [(INCLUDE, reason)])
    found = []
    for prefix, path in block.items():
        if not isinstance(prefix, str):
            kind = {bool: "true/false", int: "a number", float: "a number", type(None): "null"}
            read = kind.get(type(prefix), f"a {type(prefix).__name__}")
            reason = f"{PREFIX_RULE}; YAML reads this one as {read}: quote it"
            shown = "null" if prefix is None else str(prefix).lower()  # as the file has it
            raise ScenarioError(source, [(f"{INCLUDE}.{shown}", reason)])
        if not PREFIX.fullmatch(prefix):
            raise ScenarioError(source, [(f"{INCLUDE}.{prefix}", PREFIX_RULE)])
        if not isinstance(path, str) or not path.strip():
            raise ScenarioError(source, [(f"{INCLUDE}.{prefix}", "expected a file path")])
        found.append((prefix, path.strip()))
    return found


# -- renaming ------------------------------------------------------------------------


def _rename_form(value: Any, form: str, rename: Rename) -> Any:
    if form == "keys" or (form == "selection" and isinstance(value, Mapping)):
        return {rename(k): v for k, v in value.items()} if isinstance(value, Mapping) else value
    if isinstance(value, str):
        return rename(value)
    if isinstance(value, list | tuple):
        return [rename(v) if isinstance(v, str) else v for v in value]
    return value


def _at(node: Any, pattern: Sequence[str], change: Callable[[Any], Any]) -> Any:
    """``node`` with ``change`` applied at every place ``pattern`` matches."""
    if not pattern:
        return change(node)
    head, rest = pattern[0], pattern[1:]
    if isinstance(node, Mapping):
        keys = list(node) if head == "*" else [head] if head in node else []
        return {k: (_at(v, rest, change) if k in keys else v) for k, v in node.items()}
    if isinstance(node, list) and head == "*":
        return [_at(v, rest, change) for v in node]
    return node


def _renamed(data: Any, table: Sequence[tuple[str, str]], rename: Rename) -> Any:
    for pattern, form in table:
        change = functools.partial(_rename_form, form=form, rename=rename)
        data = _at(data, pattern.split("."), change)
    return data


def _names_a_queue(keys: Sequence[Any]) -> bool:
    """Whether the last of ``keys`` is a queue name (a route's or a mix's key)."""
    for pattern, form in QUEUE_NAMES:
        parts = pattern.split(".")
        if (
            form != "values"
            and len(parts) == len(keys) - 1
            and all(p in ("*", str(k)) for p, k in zip(parts, keys, strict=False))
        ):
            return True
    return False


def _field_path(data: Mapping[str, Any], prefix: str, offset: int, source: str) -> Rename:
    """Renames a field path of the included file into the joined scenario."""

    def rename(path: str) -> str:
        keys: list[Any] = paths.split(data, path)
        head = keys[0]
        if head not in (*NAMESPACED, "targets") or len(keys) < 2:
            reason = (
                f"its ledger names {path!r}, a top-level field; the join's are the including "
                "file's, so that entry cannot carry over"
            )
            raise ScenarioError(source, [("", reason)])
        renamed = [
            f"{prefix}.{key}" if i > 1 and _names_a_queue(keys[: i + 1]) else str(key)
            for i, key in enumerate(keys)
        ]
        if head in NAMESPACED:
            renamed[1] = f"{prefix}.{keys[1]}"
        else:
            target = data["targets"][keys[1]] if isinstance(keys[1], int) else None
            ident = target.get("id") if isinstance(target, Mapping) else None
            renamed[1] = f"{prefix}.{ident}" if ident else str(keys[1] + offset)
        return ".".join(renamed)

    return rename


def namespaced(data: Mapping[str, Any], prefix: str, offset: int, source: str) -> dict[str, Any]:
    """An included file's queues, targets and ledger, every name under ``prefix``.

    Args:
        data: the included file's data (its own includes already resolved).
        prefix: the include's prefix.
        offset: where its targets start among the joined scenario's targets.
        source: the included file, for error messages.
    """
    kept = {key: copy.deepcopy(data[key]) for key in JOINED if key in data}
    kept = _renamed(kept, FIELD_PATHS, _field_path(data, prefix, offset, source))
    kept = _renamed(kept, (*QUEUE_NAMES, *TARGET_IDS), lambda name: f"{prefix}.{name}")
    for key in NAMESPACED:
        if isinstance(kept.get(key), Mapping):
            kept[key] = {f"{prefix}.{name}": spec for name, spec in kept[key].items()}
    return kept


# -- joining -----------------------------------------------------------------------------


def _replaces(key: str, old: Any, new: Any) -> bool:
    """Whether an override replaces a mapping instead of merging into it."""
    if key == "staff":
        return True  # one unit: shifts, three_shift or business_hours
    return "dist" in new and new.get("dist") != old.get("dist")


def merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``over`` merged in (``None`` removes a field); ``base`` is changed."""
    for key, value in over.items():
        old = base.get(key)
        if value is None:
            base.pop(key, None)
        elif isinstance(old, dict) and isinstance(value, Mapping):
            if _replaces(key, old, value):
                base[key] = copy.deepcopy(dict(value))
            else:
                merge(old, value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def _unknown_included(
    name: str, prefixes: Sequence[str], known: Sequence[str], kind: str = "queue"
) -> str | None:
    owner = next((p for p in prefixes if name.startswith(f"{p}.")), None)
    if owner is None:
        return None
    theirs = [k for k in known if k.startswith(f"{owner}.")]
    close = difflib.get_close_matches(name, theirs, n=1)
    listing = ", ".join(theirs[:20]) + (", ..." if len(theirs) > 20 else "") or "none"
    hint = f"did you mean {close[0]!r}?" if close else f"it has: {listing}"
    return f"no {kind} of that name in the file included as {owner!r}; {hint}"


def _join_named(
    key: str,
    own: Mapping[str, Any],
    parts: Sequence[tuple[str, Mapping[str, Any]]],
    prefixes: Sequence[str],
    source: str,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """One named collection (queues, teams): included members, then the file's own merged."""
    kind = key.removesuffix("s")
    members: dict[str, Any] = {}
    for prefix, part in parts:
        for name, spec in part.get(key, {}).items():
            if name in members:
                raise ScenarioError(source, [(f"{INCLUDE}.{prefix}", f"{kind} {name!r} twice")])
            members[name] = spec
    problems = []
    for name, spec in (own.get(key) or {}).items():
        if name in members and isinstance(spec, Mapping):
            merge(members[name], spec)
        elif name in members:
            fields = f"expected a mapping of fields to merge into the included {kind}"
            problems.append((f"{key}.{name}", f"{fields} (an included {kind} stays)"))
        elif (reason := _unknown_included(name, prefixes, list(members), kind)) is not None:
            problems.append((f"{key}.{name}", reason))
        else:
            members[name] = copy.deepcopy(spec)
    return members, problems


def _joinable(own: Mapping[str, Any], source: str) -> None:
    """Check the shape of the including file's fields that are joined with included ones.

    The included files are validated scenarios, but the including file is validated
    only once joined, so a field of the wrong kind must be caught before the join reads
    it (a string under ``targets:`` would otherwise become one target per character).
    """
    problems = [
        (key, "expected a mapping {name: {...}, ...} (or nothing)")
        for key in NAMESPACED
        if own.get(key) is not None and not isinstance(own[key], Mapping)
    ] + [
        (key, "expected a list (or nothing)")
        for key in ("targets", "calibrated")
        if own.get(key) is not None and not isinstance(own[key], list)
    ]
    if problems:
        raise ScenarioError(source, problems)


# A field path into a target by its position: ``targets.2.value``.
BY_POSITION = re.compile(r"^targets\.\d+(\.|$)")


def _by_position(own: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The including file's ledger paths that name a target by its position.

    Its ledger paths are read in the join, where the included targets come first: its
    ``targets.0`` would silently be an included target. An id means one target.
    """
    named = [
        (f"calibrated.{i}.field", entry.get("field"))
        for i, entry in enumerate(own.get("calibrated") or [])
        if isinstance(entry, Mapping)
    ] + [
        (f"targets.{i}.restates", target.get("restates"))
        for i, target in enumerate(own.get("targets") or [])
        if isinstance(target, Mapping)
    ]
    reason = (
        "{!r}: in a file with includes, name a target by its id (targets.ID...): "
        "a position would count the included targets first"
    )
    return [
        (where, reason.format(path))
        for where, given in named
        for path in _listed(given)
        if isinstance(path, str) and BY_POSITION.match(path)
    ]


def _listed(value: Any) -> list[Any]:
    """A path or a list of paths as a list (anything else, none: validation says)."""
    return [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []


def _clashing_ids(mine: Sequence[Any], included: Sequence[Any]) -> list[tuple[str, str]]:
    """The including file's target ids that are ids of included targets (which stay)."""
    taken = {t.get("id") for t in included if isinstance(t, Mapping)}
    return [
        (
            f"targets.{i}.id",
            f"{t['id']!r} is the id of an included target, which stays as "
            "it is (targets are not merged): give this one another id",
        )
        for i, t in enumerate(mine)
        if isinstance(t, Mapping) and isinstance(t.get("id"), str) and t["id"] in taken
    ]


def _holidays(data: Mapping[str, Any]) -> set[Any] | None:
    """A file's holidays (None if unreadable: validation says)."""
    try:
        return set(Calendar.model_validate(data.get("calendar") or {}).holidays)
    except ValidationError:
        return None


def _max_hops(data: Mapping[str, Any]) -> Any:
    """A file's ``max_hops`` as written, or the default."""
    return data.get("max_hops", Scenario.model_fields["max_hops"].default)


def _lost(data: Mapping[str, Any], own: Mapping[str, Any], prefix: str) -> list[tuple[str, str]]:
    """Top-level fields of an included file whose loss would change what its queues do.

    Top-level fields are the including file's, but an included file's holidays (its
    holiday shifts, holiday arrivals) and the longer paths its own ``max_hops`` allows
    would silently be gone: the including file must keep them, or the join is refused.
    """
    problems = []
    theirs, mine = _holidays(data), _holidays(own)
    if theirs is not None and mine is not None and theirs - mine:
        dates = ", ".join(map(str, sorted(theirs - mine)))
        problems.append(
            (
                f"{INCLUDE}.{prefix}",
                f"the included file's holidays {dates} are not in this file's calendar."
                "holidays; the calendar is the including file's: add them there",
            )
        )
    # A max_hops the included file sets says its paths need it; the default says nothing.
    hops, limit = data.get("max_hops"), _max_hops(own)
    if isinstance(hops, int) and isinstance(limit, int) and hops > limit:
        problems.append(
            (
                f"{INCLUDE}.{prefix}",
                f"the included file lets a contact make {hops} hops, this file's max_hops "
                f"is {limit}; max_hops is the including file's: set it to {hops} or more",
            )
        )
    return problems


def _threshold(data: Mapping[str, Any]) -> float | None:
    """A file's service-level threshold in seconds (None if unreadable: validation says)."""
    try:
        return parse_duration(data.get(THRESHOLD, Scenario.model_fields[THRESHOLD].default))
    except ValueError:
        return None


def _pinned(targets: list[Any], data: Mapping[str, Any], own: Mapping[str, Any]) -> list[Any]:
    """Included targets whose service level keeps its file's threshold under the includer's.

    The threshold is a top-level field, the including file's; a service-level target
    (or ratio reference) without ``within`` meant its own file's: it gets it as ``within``.
    """
    threshold = _threshold(data)
    if threshold is None or threshold == _threshold(own):
        return targets
    for target in targets:
        if not isinstance(target, dict):
            continue
        ratio = target.get("ratio_to")
        refs = ratio.get("least_of", [ratio]) if isinstance(ratio, dict) else []
        for owner in (target, *(r for r in refs if isinstance(r, dict))):
            metric = owner.get("metric", target.get("metric"))
            if metric == "service_level" and owner.get("within", target.get("within")) is None:
                owner["within"] = threshold
    return targets


def combine(
    own: Mapping[str, Any], parts: Sequence[tuple[str, str, Mapping[str, Any]]], source: str
) -> dict[str, Any]:
    """The including file's data joined with its included files' (already resolved).

    Args:
        own: the including file's data.
        parts: ``(prefix, file, data)`` of each included file.
        source: the including file, for error messages.

    Raises:
        ScenarioError: a joined field of the wrong kind, an override of an included
            queue or team that does not exist, an id of an included target taken again,
            a ledger path naming a target by position, or an included file's holidays
            or ``max_hops`` the including file drops.
    """
    _joinable(own, source)
    renamed: list[tuple[str, Mapping[str, Any]]] = []
    targets: list[Any] = []
    calibrated: list[Any] = []
    # A declared ledger carries over even when empty (``calibrated: []``: nothing fitted).
    ledger = "calibrated" in own or any("calibrated" in data for _, _, data in parts)
    problems = [p for prefix, _, data in parts for p in _lost(data, own, prefix)]
    problems += _by_position(own)
    for prefix, path, data in parts:
        try:
            part = namespaced(data, prefix, len(targets), path)
        except ScenarioError as exc:  # fine alone, the file cannot be joined: say where
            raise ScenarioError(
                source, [(f"{INCLUDE}.{prefix}", f"{path}: {r}") for _, r in exc.problems]
            ) from None
        renamed.append((prefix, part))
        targets += _pinned(part.get("targets", []), data, own)
        calibrated += part.get("calibrated", [])
    prefixes = [prefix for prefix, _, _ in parts]
    joined = {k: copy.deepcopy(v) for k, v in own.items() if k != INCLUDE}
    for key in NAMESPACED:
        members, wrong = _join_named(key, own, renamed, prefixes, source)
        problems += wrong
        if members or key in own:
            joined[key] = members
    problems += _clashing_ids(own.get("targets") or [], targets)
    if problems:
        raise ScenarioError(source, problems)
    joined["targets"] = targets + list(own.get("targets") or [])
    calibrated += list(own.get("calibrated") or [])
    if ledger:
        joined["calibrated"] = calibrated
    return joined


def origin(own: Mapping[str, Any], path: str) -> tuple[str, str] | None:
    """The included file that writes the joined scenario's field ``path``, and where.

    A field of an included queue or team (``queues.PREFIX.NAME...``) is that file's, at
    ``queues.NAME...`` there, unless the including file ``own`` writes the path too: its
    override of a list, a ``staff`` block or a value replaces the included one whole.
    (A mapping merges key by key: one the including file writes part of is named as its
    own.) A path the file does not write that an override (``--set``) gave is not told
    apart here: the caller leaves those out.

    Returns:
        ``(prefix, path in the included file)``, or None for the including file's field.
    """
    parts = path.split(".")
    block = own.get(INCLUDE)
    if len(parts) < 3 or parts[0] not in NAMESPACED or not isinstance(block, Mapping):
        return None
    if parts[1] not in block or paths.lookup(own, path)[0]:
        return None
    return parts[1], ".".join((parts[0], *parts[2:]))


def as_written(
    problems: Sequence[tuple[str, str]], own: Mapping[str, Any], joined: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """Problems of a joined scenario with list positions as the including file has them.

    The including file's targets and ``calibrated`` entries follow the included ones, so
    its ``targets.0`` is a later one of the join: a problem with it must name the place
    in the file the user reads. An included target is named by its (prefixed) id, a path
    ``--set`` takes too; one without an id keeps its position in the join. A list that
    is no longer the file's own entries after the included ones (``--set`` changed it)
    keeps the join's positions, the ones ``--set`` took.

    Args:
        problems: ``(path, reason)`` pairs found in ``joined``.
        own: the including file's data (its ``include:`` block unresolved).
        joined: the data the problems were found in.
    """
    if INCLUDE not in own:
        return list(problems)

    def place(match: re.Match[str]) -> str:
        head, i = match.group(1), int(match.group(2))
        items, mine = joined.get(head), own.get(head) or []
        if not isinstance(items, list) or not isinstance(mine, list) or i >= len(items):
            return match.group(0)
        first = len(items) - len(mine)
        if first < 0 or items[first:] != mine:
            return match.group(0)
        if i >= first:
            return f"{head}.{i - first}"
        ident = items[i].get("id") if head == "targets" and isinstance(items[i], Mapping) else None
        return f"{head}.{ident}" if isinstance(ident, str) else match.group(0)

    return [(POSITION.sub(place, path), POSITION.sub(place, reason)) for path, reason in problems]
