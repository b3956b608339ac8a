"""The edge of the system: YAML files and overrides in, validated :class:`Scenario` out.

Nothing here runs a simulation. Every problem is reported as a :class:`ScenarioError`
naming the file, the dotted field path and the reason; several problems are reported
together so a user fixes a file in one pass.
"""

from __future__ import annotations

import copy
import difflib
import re
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.errors import ScenarioError
from sim.scenario import Scenario

__all__ = ["apply_overrides", "from_dict", "load", "parse_override", "read_yaml"]


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys: a repeated key is almost always a typo."""


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (line {mark.line + 1})", mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a scenario file into plain data, or raise :class:`ScenarioError`."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(source, [("", f"cannot read file: {exc.strerror or exc}")]) from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(source, [("", f"invalid YAML: {where}{reason}")]) from None
    if not isinstance(data, dict):
        raise ScenarioError(source, [("", "a scenario file must be a mapping of fields")])
    return _unaliased(data)


def _unaliased(node: Any) -> Any:
    """A tree copy in which YAML anchors' aliases are separate objects.

    PyYAML shares one object between an anchor and its aliases; ``--set`` on one of
    them must not change the others.
    """
    if isinstance(node, dict):
        return {key: _unaliased(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_unaliased(value) for value in node]
    return node


def load(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Load and validate a scenario file, applying ``dotted.path=VALUE`` overrides."""
    return from_dict(read_yaml(path), source=str(path), overrides=overrides)


def from_dict(
    data: Mapping[str, Any], source: str = "<dict>", overrides: Iterable[str] = ()
) -> Scenario:
    """Validate plain data as a scenario (the same checks as a file)."""
    data = apply_overrides(data, overrides, source)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(source, _problems(exc, data)) from None


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``a.b.c=VALUE`` into a path and a YAML-parsed value."""
    path, sep, raw = text.partition("=")
    if not sep or not path.strip() or any(not p for p in path.strip().split(".")):
        raise ScenarioError("--set", [(text, "expected dotted.path=VALUE")])
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return path.strip().split("."), value


def apply_overrides(
    data: Mapping[str, Any], overrides: Iterable[str], source: str = "--set"
) -> dict[str, Any]:
    """Return a deep copy of ``data`` with each ``dotted.path=VALUE`` set."""
    result = copy.deepcopy(dict(data))
    for text in overrides:
        parts, value = parse_override(text)
        node: Any = result
        for depth, part in enumerate(parts[:-1]):
            node = _child(node, part, parts[: depth + 1], source)
        _set(node, parts[-1], value, parts, source)
    return result


def _child(node: Any, part: str, walked: list[str], source: str) -> Any:
    if isinstance(node, dict):
        return node.setdefault(part, {})
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    raise ScenarioError(
        source, [(".".join(walked), f"--set cannot descend into {type(node).__name__} here")]
    )


def _set(node: Any, key: str, value: Any, parts: list[str], source: str) -> None:
    if isinstance(node, dict):
        node[key] = value
    elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
        node[int(key)] = value
    else:
        raise ScenarioError(source, [(".".join(parts), "--set cannot set a field here")])


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
    # Unions report one error per branch; keep the deepest, most specific ones.
    keep = [
        (p, r) for p, r in found if not any(len(q) > len(p) and q[: len(p)] == p for q, _ in found)
    ]
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


def _reason(error: dict, path: list, data: Any) -> str:
    kind, message = error["type"], error["msg"]
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "extra_forbidden":
        allowed = _allowed_fields(path[:-1], data)
        close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        listing = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return f"unknown field{hint}{listing}"
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_invalid":
        tags = error.get("ctx", {}).get("expected_tags") or message.split("tags: ")[-1]
        return f"unknown distribution {error['input'].get('dist')!r}; use {tags}"
    if kind == "union_tag_not_found":
        return "a distribution needs 'dist' (exponential, lognormal, gamma, constant, ...)"
    return message


def _allowed_fields(path: list, data: Any) -> list[str]:
    """Field names of the model at ``path`` in the scenario schema."""
    model: Any = Scenario
    in_container = False
    for part in path:
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
        origin = typing.get_origin(field.annotation)
        in_container = origin in (dict, tuple, list) or any(
            typing.get_origin(a) in (dict, tuple, list) for a in typing.get_args(field.annotation)
        )
        model = _inner_model(field.annotation, None if in_container else data)
        if model is None:
            return []
    return sorted(model.model_fields)


def _inner_model(annotation: Any, data: Any = None) -> Any:
    """The model inside an annotation; among distributions, the one ``data`` names."""
    models = list(_models_in(annotation))
    wanted = data.get("dist") if isinstance(data, dict) else None
    for model in models:
        if (
            wanted is not None
            and model.model_fields.get("dist") is not None
            and (model.model_fields["dist"].default == wanted)
        ):
            return model
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
