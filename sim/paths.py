"""Dotted paths into scenario data, where names may themselves contain dots.

A composed scenario namespaces its included queues (``order_page.flagship``), so
``queues.order_page.flagship.staff`` cannot be split on every dot. At each mapping the
longest run of the remaining parts that is an existing key wins; in a list a part is an
index or, for lists of mappings with an ``id`` (targets), the longest matching id.
Nothing here knows the scenario's schema: it walks plain data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["dotted", "lookup", "split", "walk"]


def _key(node: Any, parts: Sequence[str]) -> tuple[Any, int] | None:
    """The key of ``node`` the leading ``parts`` name, and how many parts it took."""
    if isinstance(node, Mapping):
        for n in range(len(parts), 0, -1):
            key = ".".join(parts[:n])
            if key in node:
                return key, n
        return None
    if isinstance(node, list):
        if parts[0].isdigit() and int(parts[0]) < len(node):
            return int(parts[0]), 1
        ids = {item.get("id"): i for i, item in enumerate(node) if isinstance(item, Mapping)}
        for n in range(len(parts), 0, -1):
            found = ids.get(".".join(parts[:n]))
            if found is not None:
                return found, n
    return None


def walk(data: Any, path: str) -> tuple[list[Any], Any, list[str]]:
    """Follow ``path`` as far as it exists in ``data``.

    Returns:
        The keys (mapping keys, list indices) that exist, the node they lead to, and
        the parts of the path left over (one per dot).
    """
    parts, keys, node, i = path.split("."), [], data, 0
    while i < len(parts):
        found = _key(node, parts[i:])
        if found is None:
            break
        key, taken = found
        keys.append(key)
        node = node[key]
        i += taken
    return keys, node, parts[i:]


def split(data: Any, path: str) -> list[Any]:
    """The keys ``path`` names in ``data``; parts that do not exist, one per dot."""
    keys, _, rest = walk(data, path)
    return keys + rest


def lookup(data: Any, path: str) -> tuple[bool, Any]:
    """``(True, value)`` at ``path`` in ``data``, or ``(False, deepest existing node)``."""
    _, node, rest = walk(data, path)
    return not rest, node


def dotted(keys: Sequence[Any]) -> str:
    """Keys written back as a dotted path."""
    return ".".join(map(str, keys))
