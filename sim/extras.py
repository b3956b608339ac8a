"""Optional extras (``cluster``, ``parquet``, ``dev``): how a message tells users to install one.

sim is installed from its repository with the library versions its suite was last run
with (``constraints.txt``, README's install section): an extra installed without them
could bring, say, another numpy, which can give other numbers. A message that needs an
extra gives the command README gives, not a bare ``pip install``.
"""

from __future__ import annotations

__all__ = ["install_command"]


def install_command(extra: str) -> str:
    """The command that installs ``extra`` into the repository's ``.venv``, as README says."""
    return f".venv/bin/pip install -c constraints.txt -e '.[{extra}]'"
