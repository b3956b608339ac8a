"""The edge of the system: YAML files and overrides in, validated :class:`Scenario` out.

Nothing here runs a simulation. Every problem is reported as a :class:`ScenarioError`
naming the file, the dotted field path and the reason, and, for a file, the line the
field is written on (:mod:`sim.lines`); several problems are reported together so a user
fixes a file in one pass.
"""

from __future__ import annotations

import copy
import difflib
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from sim import compose, dated, paths, yamlfile
from sim.errors import ScenarioError
from sim.lines import Lines, placed, related
from sim.options import named
from sim.scenario import Scenario
from sim.scenario.base import MAX_NAME_LENGTH, MAX_QUEUES

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

__all__ = [
    "NAMED_COLLECTIONS",
    "apply_overrides",
    "check_file_workload",
    "check_settable",
    "from_dict",
    "load",
    "missing_member",
    "parse_override",
    "read_scenario",
    "read_yaml",
    "resolve_includes",
]


# Extension fields, as Docker Compose has them: top-level keys starting with ``x-`` hold
# YAML anchors for the file's own use (``x-chat: &chat {...}``). Once YAML has resolved
# the aliases and merge keys that use them they say nothing more, and are dropped.
EXTENSION = "x-"


def _is_extension(key: object) -> bool:
    return isinstance(key, str) and key.startswith(EXTENSION)


def _without_extensions(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` without its top-level ``x-`` fields.

    Only there: elsewhere a key is a name or a field, and a typo must still be caught.
    """
    return {key: value for key, value in data.items() if not _is_extension(key)}


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a scenario file into plain data (under :mod:`sim.yamlfile`'s limits).

    Its top-level ``x-`` fields are left out: they only hold YAML anchors.

    Raises:
        ScenarioError: the file cannot be read, breaks a limit, is not YAML or is not a
            mapping of fields.
    """
    return _read_with_lines(path)[0]


def _read_with_lines(path: str | Path) -> tuple[dict[str, Any], Lines]:
    """:func:`read_yaml`, and the line each field is written on (:mod:`sim.lines`)."""
    data, lines = yamlfile.read_with_lines(path)
    if not isinstance(data, dict):
        raise ScenarioError(str(path), [("", "a scenario file must be a mapping of fields")])
    return _without_extensions(data), lines


def read_scenario(path: str | Path) -> dict[str, Any]:
    """Read a scenario file into plain data with its ``include:`` files resolved.

    This is the data ``--set``, ``--vary`` and ``--free`` paths refer to: included
    queues appear under their prefix (``queues.order_page.flagship``).
    """
    data, lines = _read_with_lines(path)
    with placed(str(path), lines):
        return resolve_includes(data, path)


def resolve_includes(
    data: Mapping[str, Any],
    source: str | Path,
    _stack: tuple[Path, ...] = (),
    _done: dict[Path, tuple[dict[str, Any], int]] | None = None,
) -> dict[str, Any]:
    """``data`` with its included files joined in (see :mod:`sim.compose`).

    Included paths are relative to the file ``source`` (to the working folder when
    ``source`` is not a file), the file itself: for a symbolic link, its target's
    folder (:func:`_real`). Each included file must be a valid scenario on its own;
    its problems are reported against it. A file included several times (under two
    prefixes, or by two included files) is read and checked once: a block of a thousand
    includes of one file, or a diamond of includes ten levels deep, costs one reading.

    Raises:
        ScenarioError: a missing included file, an include cycle, a bad included file,
            or a join of more queues or values than a scenario may have.
    """
    if compose.INCLUDE not in data:
        return dict(data)
    here = Path(source)
    folder = _folder(here)
    stack = _stack or ((here.resolve(),) if _is_file(here) else ())
    # file -> its data, resolved and checked, and its size in values
    done = {} if _done is None else _done
    parts, queues, values = [], 0, 0
    for prefix, relative in compose.includes(data, str(source)):
        field = f"{compose.INCLUDE}.{prefix}"
        path, key = _included(folder / relative, field, str(source))
        if key in stack:
            cycle = " -> ".join(p.name for p in (*stack, key))
            raise ScenarioError(str(source), [(field, f"include cycle: {cycle}")])
        if len(stack) >= compose.MAX_DEPTH:
            reason = (
                f"includes nested more than {compose.MAX_DEPTH} deep: each adds a prefix "
                f"to every name, which has at most {MAX_NAME_LENGTH} characters"
            )
            raise ScenarioError(str(source), [(field, reason)])
        # Once resolved without a cycle, a file has none under any other includer either.
        if key not in done:
            done[key] = _read_included(path, (*stack, key), done)
        inner, size = done[key]
        queues, values = queues + len(inner.get("queues") or ()), values + size
        _join_within_limits(queues, values, field, str(source))
        parts.append((prefix, str(path), inner))
    joined = compose.combine(data, parts, str(source))
    _within_limits(joined, str(source), "joined with its included files: ")
    return joined


def _read_included(
    path: Path, stack: tuple[Path, ...], done: dict[Path, tuple[dict[str, Any], int]]
) -> tuple[dict[str, Any], int]:
    """An included file's data with its own includes resolved, checked, and its size.

    Its problems are reported against it, with their lines in it.
    """
    own, lines = _read_with_lines(path)
    with placed(str(path), lines):
        inner = resolve_includes(own, path, stack, done)
        _validated(own, inner, str(path))  # an included file is a scenario on its own
    return inner, yamlfile.size(inner)


def _join_within_limits(queues: int, values: int, field: str, source: str) -> None:
    """Refuse a join past the limits before it is built.

    A file included many times is read once, but copied into the join at each include:
    a thousand includes of a large file must stop here, not once the copies are made.
    """
    for count, limit, what in (
        (queues, MAX_QUEUES, "queues"),
        (values, yamlfile.MAX_NODES, "values"),
    ):
        if count > limit:
            reason = f"the join has more than {limit:,} {what}, a scenario's most"
            raise ScenarioError(source, [(field, reason)])


def _folder(source: Path) -> Path:
    """The folder a file's includes are relative to (:func:`resolve_includes`)."""
    return _real(source).parent if _is_file(source) else Path.cwd()


def _is_file(path: Path) -> bool:
    """Whether ``path`` is a file (a source, which may also be ``<dict>`` or any text)."""
    try:
        return path.is_file()
    except OSError:  # a name too long for the system: not a file it can open
        return False


def _included(path: Path, field: str, source: str) -> tuple[Path, Path]:
    """An included file (:func:`_real`: a link's target) and its resolved path.

    The first is what messages name and its own includes are relative to; cycles and
    readings key on the second.

    Raises:
        ScenarioError: no such file, a folder, or a path the system refuses.
    """
    try:
        if path.is_file():
            return _real(path), path.resolve()
        missing = (
            "a folder, not a scenario file"
            if path.is_dir()
            else "a symbolic link to no file (broken, or a loop)"
            if path.is_symlink()
            else "no such file"
        )
    except (OSError, RuntimeError) as exc:  # a name too long; a symlink loop in resolve()
        missing = f"cannot use this path ({getattr(exc, 'strerror', None) or exc})"
    shown = str(path) if str(path).isprintable() else repr(str(path))  # one line, no NUL
    raise ScenarioError(source, [(field, f"{missing}: {shown}")])


def _real(path: Path) -> Path:
    """The file ``path`` names: itself, or where a symbolic link to a file leads.

    A file's includes are part of it: read through a link from another folder, it reads
    the same files as in its own. Readings and cycles are keyed on the resolved file, so
    its folder must be the resolved one too (keyed one way and resolved the other, a file
    reached through links in two folders was read once, relative to whichever came
    first); Node's module loader does the same by default (the real path is both a
    module's identity and the root of its own imports). The target is shown relative to
    the working folder when it is inside it, as a path typed there would be. Only the
    last part matters: the system already follows a folder's link (``..`` included) to
    the real folder.
    """
    if not path.is_symlink():
        return path
    target = path.resolve()
    try:
        return target.relative_to(Path.cwd())
    except ValueError:  # outside the working folder
        return target


def load(path: str | Path, overrides: Iterable[str] = (), *, workload: bool = True) -> Scenario:
    """Load and validate a scenario file, applying ``dotted.path=VALUE`` overrides.

    Args:
        path: the YAML file; its ``include:`` files are read relative to it.
        overrides: ``dotted.path=VALUE`` texts set in the file's data before validation
            (``--set``); included queues are named with their prefix
            (``queues.order_page.flagship.staff=4``). One text alone is a list of one.
        workload: whether to refuse a file whose one replication asks for more arrivals
            than the engine takes (:func:`sim.workload.check_runnable`, which imports
            numpy). False leaves that to :func:`check_file_workload`, for a caller with
            cheaper checks of its own to make first (``sim calibrate``'s ``--free``).

    Returns:
        The validated, frozen scenario.

    Raises:
        ScenarioError: the file cannot be read, or it (an included file, an override) is
            not a valid scenario; every problem is named with its field and, where the
            file (or the included file) writes it, its line (``.lines``).
        TypeError: ``path`` is not a path (a ``str`` or ``os.PathLike``).
    """
    # The file's own data, not the joined: problems then name the places the file has,
    # and have its lines, but for what overrides set (the file does not say it).
    data, lines = _read_with_lines(path)
    overrides = _texts(overrides)
    skip = _overridden(data, overrides)
    with placed(str(path), lines, skip=skip):
        place = _placer(data, str(path), lines, skip)
        return _from_data(data, str(path), overrides, place, workload=workload)


def check_file_workload(
    path: str | Path, scenario: Scenario, overrides: Iterable[str] = ()
) -> None:
    """The check ``load(path, overrides, workload=False)`` left out, placed as load places it.

    Raises:
        ScenarioError: as :func:`load` would have.
    """
    from sim.workload import check_runnable  # noqa: PLC0415 - numpy, see _validated

    try:
        check_runnable(scenario, str(path))
    except ScenarioError:
        # Only now, on the way out with an error: the lines cost a second reading. What
        # an override set has no line, as in load.
        data, lines = _read_with_lines(path)
        with placed(str(path), lines, skip=_overridden(data, _texts(overrides))):
            raise


def _texts(overrides: Iterable[str]) -> list[str]:
    """``dotted.path=VALUE`` texts as a list: one text alone is a list of one."""
    return [overrides] if isinstance(overrides, str) else list(overrides)


def _overridden(data: Mapping[str, Any], overrides: list[str]) -> list[str]:
    """The paths ``dotted.path=VALUE`` texts set, as problems name them.

    A target named by its id (``targets.wait.value``) is named by its position.
    """
    said = [text.partition("=")[0].strip() for text in overrides]
    return [paths.dotted(paths.split(data, path)) for path in said if path]


def from_dict(
    data: Mapping[str, Any], source: str = "<dict>", overrides: Iterable[str] = ()
) -> Scenario:
    """Validate plain data as a scenario (the same checks as a file).

    Beyond the format, a scenario whose one replication would ask for more arrivals
    than the engine takes (:data:`sim.workload.MAX_ARRIVALS`) is refused here. An
    ``include:`` block is resolved relative to ``source`` when it is a file; top-level
    ``x-`` fields (YAML anchors' holders) are left out, as in a file. Dated
    peaks, shifts and holidays outside the run's period are warned about
    (:class:`sim.dated.DatedWarning`, once per process each). ``overrides`` is a
    list of ``dotted.path=VALUE`` texts (one text alone is taken as a list of one).

    Args:
        data: the scenario as plain data, as read from YAML.
        source: the name its errors give (a file, for ``include:`` paths).
        overrides: ``dotted.path=VALUE`` texts set in ``data`` before validation.

    Returns:
        The validated, frozen scenario.

    Raises:
        ScenarioError: ``data`` (an included file, an override) is not a valid scenario;
            every problem is named with its field.
    """
    return _from_data(data, source, overrides)


def _from_data(
    data: Mapping[str, Any],
    source: str,
    overrides: Iterable[str],
    place: Place | None = None,
    *,
    workload: bool = True,
) -> Scenario:
    """:func:`from_dict`; ``place`` gives the file and line a field is written on.

    Without it, the data's own fields have no line; its included files' do.

    Errors are placed by the caller (:func:`sim.lines.placed`); the warnings here, which
    do not stop the loading, are placed at once.
    """
    if not isinstance(data, Mapping):
        kind = type(data).__name__
        raise ScenarioError(source, [("", f"a scenario must be a mapping of fields, got {kind}")])
    data = _without_extensions(data)
    _within_limits(data, source)
    overrides = _texts(overrides)
    joined = apply_overrides(resolve_includes(data, source), overrides, source)
    scenario = _validated(data, joined, source, workload=workload)
    # Here, not in _validated: an included file's dates are checked against the
    # including file's period, not its own.
    dated.warn(scenario, place or _placer(data, source, skip=_overridden(data, overrides)))
    return scenario


# Where a field of a scenario is written: the file, and the line there if it has one.
Place = Callable[[str], tuple[str, int | None]]


def _placer(
    own: Mapping[str, Any], source: str, lines: Lines | None = None, skip: Sequence[str] = ()
) -> Place:
    """Where each field of the scenario the file ``source`` (data ``own``) makes is written.

    A field of an included queue or team that ``source`` does not write is the included
    file's, at its line there (:func:`sim.compose.origin`; read again, since only a
    warning asks). ``lines``: ``source``'s lines (None: data that is no file's, whose own
    fields have none). A field ``--set`` gave (under or above a path in ``skip``) has no
    line, and is named in ``source``, as in an error.
    """

    def place(field: str) -> tuple[str, int | None]:
        if any(related(field, other) for other in skip):
            return source, None
        found = compose.origin(own, field)
        if found is None:
            return source, lines.line(field) if lines is not None and field else None
        prefix, inner = found
        relative = dict(compose.includes(own, source))[prefix]
        try:
            path, _ = _included(_folder(Path(source)) / relative, "", source)
            data, its_lines = _read_with_lines(path)
        except ScenarioError:  # gone or changed since it was read: the including file
            return source, None
        return _placer(data, str(path), its_lines)(inner)

    return place


def _validated(
    own: Mapping[str, Any], data: Mapping[str, Any], source: str, *, workload: bool = True
) -> Scenario:
    """``data``, the file's data ``own`` joined with its included files, validated.

    Problems are named as ``own`` has them (:func:`sim.compose.as_written`). ``workload``:
    see :func:`load`.
    """
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(source, compose.as_written(_problems(exc, data), own, data)) from None
    problems = _missing_ledger_fields(data)
    if problems:
        raise ScenarioError(source, compose.as_written(problems, own, data))
    if workload:
        # Imported here: it needs numpy, which refusing a bad file does not (stop 32).
        from sim.workload import check_runnable  # noqa: PLC0415

        check_runnable(scenario, source)
    return scenario


def _within_limits(data: Any, source: str, what: str = "") -> None:
    """Refuse data past :mod:`sim.yamlfile`'s depth and size limits."""
    try:
        yamlfile.check_tree(data)
    except yamlfile.YamlLimitError as exc:
        raise ScenarioError(source, [("", f"{what}{exc}")]) from None


def _missing_ledger_fields(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The ledger's field paths (``calibrated``, ``restates``) must name fields of the file."""
    named = [
        (f"calibrated.{i}.field", c["field"]) for i, c in enumerate(data.get("calibrated", []))
    ]
    named += [
        (f"targets.{i}.restates", t["restates"])
        for i, t in enumerate(data.get("targets", []))
        if t.get("restates") is not None
    ]
    return [
        (where, f"no field {path!r} in the scenario")
        for where, given in named
        for path in ([given] if isinstance(given, str) else given)
        if not paths.lookup(data, path)[0]
    ]


def parse_override(text: str, via: str = "overrides") -> tuple[list[str], Any]:
    """Split ``a.b.c=VALUE`` into a path and a YAML-parsed value.

    ``via`` is the option the text came by, which a bad text's error names: the keyword
    ``overrides`` (``--set`` on the command line), or a sweep's ``vary``.
    """
    path, sep, raw = text.partition("=")
    if not sep or not path.strip() or any(not p for p in path.strip().split(".")):
        raise ScenarioError(named(via), [(text, "expected dotted.path=VALUE")])
    try:
        value = yamlfile.parse_text(raw) if raw.strip() else ""
    except yamlfile.YamlLimitError as exc:
        raise ScenarioError(named(via), [(path.strip(), str(exc))]) from None
    except ValueError:
        value = raw
    return path.strip().split("."), value


def apply_overrides(
    data: Mapping[str, Any],
    overrides: Iterable[str],
    source: str | None = None,
    via: str = "overrides",
) -> dict[str, Any]:
    """Return a deep copy of ``data`` with each ``dotted.path=VALUE`` set.

    Names may contain dots (``queues.order_page.flagship.staff``): see :mod:`sim.paths`.
    One text alone (a ``str``) is one override, not one per character. Errors name
    ``source`` (default: the option) and the option the texts came by, ``via``, as the
    caller writes it (see :func:`parse_override`).
    """
    if isinstance(overrides, str):
        overrides = [overrides]
    said = named(via)
    source = source or said
    result = copy.deepcopy(dict(data))
    for text in overrides:
        parts, value = parse_override(text, via)
        check_settable(parts, source, said)
        missing = missing_member(result, parts)
        if missing is not None:
            raise ScenarioError(source, [(missing[0], f"{said}: {missing[1]}")])
        keys = paths.split(result, ".".join(parts))
        node: Any = result
        for depth, key in enumerate(keys[:-1]):
            node = _child(node, key, keys[: depth + 1], source, said)
        _set(node, keys[-1], value, keys, source, said=said)
    return result


def check_settable(parts: list[str], source: str, said: str) -> None:
    """Refuse a path to a field of the file that is gone once the file is read.

    Args:
        parts: the dotted path's parts.
        source: the name the error gives.
        said: the option the path came by, as the caller names it (``--set``).

    Raises:
        ScenarioError: the path is in ``include:`` or in an ``x-`` field.
    """
    if parts[0] == compose.INCLUDE:
        reason = (
            f"{said}: included files are joined before overrides apply; set their "
            "fields by their prefixed names (queues.PREFIX.QUEUE...)"
        )
        raise ScenarioError(source, [(".".join(parts), reason)])
    if _is_extension(parts[0]):
        reason = (
            f"{said}: {EXTENSION} fields are left out of the scenario (their anchors are "
            "copied where the file uses them); set the fields that use them"
        )
        raise ScenarioError(source, [(".".join(parts), reason)])


# Collections whose members are named by the user: a path into a missing member is a
# typo, not a request to create one (a whole new member is set with its full path).
NAMED_COLLECTIONS = {"queues": "queue", "teams": "team"}


def missing_member(data: Mapping[str, Any], parts: list[str]) -> tuple[str, str] | None:
    """``(path, reason)`` when a dotted path descends into a named member that does not exist.

    Names may contain dots (included queues): a path into any existing member, the longest
    name that matches, is fine.
    """
    if len(parts) < 3 or parts[0] not in NAMED_COLLECTIONS:
        return None
    members = data.get(parts[0])
    if not isinstance(members, Mapping) or paths.walk(members, ".".join(parts[1:]))[0]:
        return None
    # A dotted name's first part alone names nothing: show as much as looks like a name.
    dotted = any(str(m).startswith(f"{parts[1]}.") for m in members)
    name = ".".join(parts[1:3] if dotted and len(parts) > 3 else parts[1:2])
    kind = NAMED_COLLECTIONS[parts[0]]
    listing = ", ".join(map(str, members)) or "none"
    return f"{parts[0]}.{name}", f"no {kind} {name!r} ({parts[0]}: {listing})"


def _no_item(node: list[Any], keys: list[Any], source: str, said: str) -> ScenarioError:
    """A list has no item ``keys[-1]``: say which items it has."""
    items = f"items 0-{len(node) - 1}" if node else "no items"
    reason = f"{said}: no item {keys[-1]!s} in this list (it has {items})"
    return ScenarioError(source, [(paths.dotted(keys), reason)])


def _child(node: Any, key: Any, walked: list[Any], source: str, said: str) -> Any:
    if isinstance(node, dict):
        return node.setdefault(key, {})
    if isinstance(node, list):
        if isinstance(key, int) and 0 <= key < len(node):
            return node[key]
        raise _no_item(node, walked, source, said)
    reason = f"{said} cannot descend into {type(node).__name__} here"
    raise ScenarioError(source, [(paths.dotted(walked), reason)])


def _set(node: Any, key: Any, value: Any, keys: list[Any], source: str, *, said: str) -> None:
    if isinstance(node, dict):
        node[key] = value
    elif isinstance(node, list):
        if not (isinstance(key, int) and 0 <= key < len(node)):
            raise _no_item(node, keys, source, said)
        node[key] = value
    else:
        raise ScenarioError(source, [(paths.dotted(keys), f"{said} cannot set a field here")])


# -- pydantic errors -> (path, reason) ---------------------------------------------------

# A validator that knows the precise field says so as "field.path: reason", relative to
# the model it validates.
_PATH_IN_MESSAGE = re.compile(r"^([A-Za-z_][\w-]*(?:\.[\w-]+)*): (.*)$", re.S)


def _problems(exc: ValidationError, data: Any) -> list[tuple[str, str]]:
    found = []
    for error in exc.errors(include_url=False):
        path = _data_path(error["loc"], data)
        reason = _reason(error, path, data)
        match = _PATH_IN_MESSAGE.match(reason)
        if match:
            path = path + [int(p) if p.isdigit() else p for p in match.group(1).split(".")]
            reason = match.group(2)
        found.append((path, reason))
    # Unions report one error per branch; keep the deepest, most specific ones: drop a
    # path that is a strict prefix of another (a set of prefixes keeps this linear).
    prefixes = {tuple(p[:k]) for p, _ in found for k in range(len(p))}
    keep = [(p, r) for p, r in found if tuple(p) not in prefixes]
    return list(dict.fromkeys((".".join(map(str, p)), r) for p, r in keep))


def _data_path(loc: tuple, data: Any) -> list:
    """The parts of a pydantic location that exist in the input (drops union tags)."""
    path, node = [], data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list | tuple) and isinstance(part, int) and part < len(node)
        ):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not _is_tag(part):
            path.append(part)  # a missing or unknown field
            node = None
    return path


def _is_tag(part: str) -> bool:
    return (
        any(c in part for c in "[]()")
        or part
        in {
            "int",
            "float",
            "str",
            "bool",
            "dict",
            "list",
            "tuple",
            "datetime",
            "date",
            "exponential",
            "lognormal",
            "gamma",
            "constant",
            "uniform",
            "empirical",
        }
        or part.startswith(("function-", "json-or-python"))
    )


def _reason(error: ErrorDetails, path: list, data: Any) -> str:
    kind, message = error["type"], error["msg"]
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "extra_forbidden":
        allowed = _allowed_fields(path[:-1], data)
        close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        listing = f" (allowed: {', '.join(allowed)})" if allowed else ""
        if len(path) == 1 and not close:  # perhaps a block of anchors: it has its place
            listing += f"; a block that only holds YAML anchors is named {EXTENSION}{path[0]}"
        return f"unknown field{hint}{listing}"
    if kind == "missing" and isinstance(error["loc"][-1], int):
        return f"too few values: item {error['loc'][-1]} is missing"
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_invalid":
        tags = error.get("ctx", {}).get("expected_tags") or message.split("tags: ")[-1]
        return f"unknown distribution {error['input'].get('dist')!r}; use {tags}"
    if kind == "union_tag_not_found":
        return "a distribution needs 'dist' (exponential, lognormal, gamma, constant, ...)"
    if kind in ("model_type", "model_attributes_type"):
        return _not_fields(error, path, data)
    return message


def _not_fields(error: ErrorDetails, path: list, data: Any) -> str:
    """A scalar or a list where fields belong (``arrivals: 100/h``, ``service: 5m``).

    Pydantic's own words name its classes ("a valid dictionary or instance of Arrivals",
    "or object to extract fields from"): say what the field takes instead.
    """
    got = error["input"]
    if error["type"] == "model_attributes_type":  # only the distributions' tagged union
        return f"expected a distribution such as {{dist: exponential, mean: 3m}}, got {got!r}"
    allowed = _allowed_fields(path, data)
    fields = f" ({', '.join(allowed)})" if allowed else ""
    return f"expected a mapping of fields{fields}, got {got!r}"


def _allowed_fields(path: list, data: Any) -> list[str]:
    """Field names of the model at ``path`` in the scenario schema."""
    model: Any = Scenario
    in_container = False
    for depth, part in enumerate(path):
        data = (
            data.get(part)
            if isinstance(data, dict)
            else (
                data[part]
                if isinstance(data, list) and isinstance(part, int) and part < len(data)
                else None
            )
        )
        if in_container:  # a dict key or tuple index: same element model
            in_container = False
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return []
        in_container = _is_container(field.annotation, data)
        following = path[depth + 1] if depth + 1 < len(path) else None
        model = _inner_model(field.annotation, None if in_container else data, following)
        if model is None:
            return []
    return sorted(model.model_fields)


def _bare(annotation: Any) -> list[Any]:
    """The alternatives of an annotation, without ``Annotated`` wrappers and unions."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _bare(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [a for arg in typing.get_args(annotation) for a in _bare(arg)]
    return [annotation]


def _is_container(annotation: Any, data: Any) -> bool:
    """Whether ``data`` fills a list or a dict of the annotation (not a model)."""
    origins = {typing.get_origin(a) for a in _bare(annotation)}
    if isinstance(data, list):
        return bool(origins & {tuple, list})
    if isinstance(data, dict):
        return dict in origins
    return bool(origins & {tuple, list, dict})


def _inner_model(annotation: Any, data: Any = None, following: Any = None) -> Any:
    """The model inside an annotation that the data at hand takes.

    Among distributions, the one ``data`` names; among other models (a shorthand), the
    one with the ``following`` field of the path, or else the one sharing most keys
    with ``data``.
    """
    models = list(dict.fromkeys(_models_in(annotation)))
    wanted = data.get("dist") if isinstance(data, dict) else None
    for model in models:
        if (
            wanted is not None
            and model.model_fields.get("dist") is not None
            and (model.model_fields["dist"].default == wanted)
        ):
            return model
    if following is not None:
        models.sort(key=lambda m: str(following) not in m.model_fields)
    elif isinstance(data, dict):
        models.sort(key=lambda m: -len(set(map(str, data)) & set(m.model_fields)))
    return models[0] if models else None


def _models_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated, dict, tuple, list):
        for arg in args[1:] if origin is dict else args:
            yield from _models_in(arg)
