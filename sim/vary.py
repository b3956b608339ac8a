"""The ``--vary PATH=V1,V2,...`` notation of a sweep: a dotted path and its values.

Text only (YAML values, integer ranges), so that the command line reads it, and reports
a mistake in it, before the simulation API is imported.
"""

from __future__ import annotations

import re
from typing import Any

from sim import yamlfile
from sim.errors import ScenarioError
from sim.options import named

__all__ = ["MAX_RANGE", "parse_vary"]

MAX_RANGE = 1000
# A value echoed in an error is cut to this many characters, as the YAML reader cuts a
# scalar it cannot read: a 2,000-character list repeated in full buried the reason.
_MAX_ECHO = 40

_RANGE = re.compile(r"^(-?(?:0|[1-9]\d*)):(-?(?:0|[1-9]\d*))(?::([1-9]\d*))?$")
_CLOCK_LIKE = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?$")


def parse_vary(text: str) -> tuple[str, list[Any]]:
    """Read ``dotted.path=V1,V2,...`` into the path and its values.

    Values are YAML (``10``, ``0.5``, ``"09:00"``, ``[1, 2]``); ``A:B`` (or ``A:B:STEP``)
    is the inclusive range of integers A..B. Commas inside brackets, braces or quotes do
    not split values. Values read as ``--set`` reads its value (YAML 1.2 numbers: ``010``
    is not octal 8, ``2:30:00`` is not a base-60 number). A bare clock time like
    ``9:00`` stays a string; quote a time such as ``"8:12"`` that would otherwise read
    as a range.

    Raises:
        ScenarioError: a value breaks a limit of YAML text (nested too deep, too many
            values), as an override's value would: a problem of the field, named.
        ValueError: the text is not of that form.
    """
    path, sep, raw = text.partition("=")
    path = path.strip()
    if not sep or not path or any(not p for p in path.split(".")):
        raise ValueError(f"expected dotted.path=V1,V2,... got {_shown(text)}")
    items = [item.strip() for item in _split_top_level(raw)]
    if not items or any(not item for item in items):
        raise ValueError(f"{path}: empty value in {_shown(raw)} (expected V1,V2,... or A:B)")
    values: list[Any] = []
    for item in items:
        values.extend(_values(path, item))
    return path, values


def _split_top_level(raw: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for ch in raw:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        else:
            depth += ch in "[{"
            depth -= ch in "]}"
        if ch == "," and depth == 0 and not quote:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _values(path: str, item: str) -> list[Any]:
    match = _RANGE.match(item)
    if match and not (_CLOCK_LIKE.match(item) and match.group(2).startswith("0")):
        lo, hi, step = int(match.group(1)), int(match.group(2)), int(match.group(3) or 1)
        if hi < lo:
            hint = f"; quote a clock time: '\"{item}\"'" if _CLOCK_LIKE.match(item) else ""
            raise ValueError(f"{path}: empty range {item} (write LOW:HIGH{hint})")
        if (hi - lo) // step + 1 > MAX_RANGE:
            raise ValueError(f"{path}: range {item} has more than {MAX_RANGE} values")
        return list(range(lo, hi + 1, step))
    if _CLOCK_LIKE.match(item):
        return [item]  # YAML 1.1 would read 9:00 as the base-60 number 540
    try:
        return [yamlfile.parse_text(item)]
    except yamlfile.YamlLimitError as exc:
        raise ScenarioError(named("vary"), [(path, str(exc))]) from None
    except ValueError as exc:
        raise ValueError(f"{path}: cannot read value {_shown(item)}: {exc}") from None


def _shown(text: str) -> str:
    """``text`` quoted for an error, its start only when long (with its length)."""
    if len(text) <= _MAX_ECHO:
        return repr(text)
    return f"{text[:_MAX_ECHO]!r}... ({len(text):,} characters)"
