"""A contact log's file as a table: CSV as desks' tools export it, or Parquet.

CSV exports come in UTF-8 (with or without a BOM), UTF-16 (Excel's "Unicode text") or
GB18030 (a Chinese desk's Excel saves GBK, which it holds); delimited by commas,
semicolons, tabs or bars; with a title or blank lines above the header. Every column is
read as text: the log's reader decides what it holds.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd

from sim.errors import LogError
from sim.extras import install_command

__all__ = ["LogError", "read_table"]

ENCODINGS = {"utf-8-sig": "UTF-8", "utf-16": "UTF-16", "gb18030": "GB18030"}
DELIMITERS = (",", ";", "\t", "|")  # the first wins a tie
HEADER_SEARCH = 20  # lines searched for the header below a title


def read_table(path: str | Path) -> pd.DataFrame:
    """The raw table of a CSV or Parquet file (every CSV column as text)."""
    path = Path(path)
    if not path.is_file():
        reason = "is a folder, not a file" if path.is_dir() else "no such file"
        raise LogError(str(path), f"cannot read file: {reason}")
    if path.suffix.lower() in {".parquet", ".pq"}:
        try:
            return pd.read_parquet(path)
        except ImportError:
            reason = "reading Parquet needs pyarrow, the 'parquet' extra: in sim's repository, "
            raise LogError(str(path), reason + install_command("parquet")) from None
        except (OSError, ValueError) as exc:
            raise LogError(str(path), f"cannot read Parquet: {exc}") from None
    encoding = _encoding(path)
    above, sep = _header(path, encoding)
    try:
        table = pd.read_csv(
            path,
            sep=sep,
            skiprows=above,
            encoding=encoding,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
        )
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise LogError(str(path), f"cannot read CSV: {str(exc).splitlines()[0]}") from None
    table.attrs["encoding"] = ENCODINGS[encoding]
    table.attrs["above header"] = above
    return table


def _encoding(path: Path) -> str:
    """The text encoding of a CSV export: UTF-8 (with or without a BOM), UTF-16, GB18030.

    Excel's "Unicode text" is UTF-16 with a BOM; a Chinese desk's Excel saves CSV in GBK,
    which GB18030 contains. A file that is valid UTF-8 is read as UTF-8.
    """
    with path.open("rb") as file:
        if file.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return "utf-16"
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as file:
                while chunk := file.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise LogError(str(path), "cannot read CSV: not UTF-8, UTF-16 or GB18030 text")


def _header(path: Path, encoding: str) -> tuple[int, str]:
    """The lines above a CSV export's header, and its delimiter.

    Exports put a title (or an Excel title cell, or blank lines) above the header: lines
    with at most one value, before the first with three or more. The delimiter is the
    comma, semicolon, tab or bar that line holds most of (Excel writes ``;`` where the
    decimal mark is a comma, and tabs for "Text").
    """
    with path.open(encoding=encoding, errors="replace", newline="") as file:
        lines = [line for _, line in zip(range(HEADER_SEARCH), file, strict=False)]
    for above, line in enumerate(lines):
        sep = max(DELIMITERS, key=line.count)  # the first wins a tie
        if sum(bool(field.strip()) for field in line.split(sep)) >= 3:
            return above, sep
    return 0, ","
