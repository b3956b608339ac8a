"""Output files written safely: checked before the work starts, then appearing as one set.

Every command that writes files plans them first (:class:`OutputPlan`): each path is
checked before any simulation runs, so a bad ``--out`` costs a second, not the whole
run. Once the results exist, :meth:`OutputPlan.write` writes every file to a temporary
sibling and only then renames them into place, with interrupts held back during the
renames: a command's outputs appear together or not at all, and no temporary file is
left behind by an error or a Ctrl-C. A rename that fails midway (a target made a folder
during the run) puts back the files already replaced, and two commands writing the same
files at once take turns (each locks the folders for its renames): the files are one
command's set, never a mix of two.

Rules, the same for every command:

* a missing parent folder is created (``--out results/run1/summary.csv`` works);
* an output is never written through a symbolic link (the link is refused, not followed);
* an output never replaces one of the command's inputs (``--out scenario.yaml``, or
  ``--out .`` when the folder holds an input named like an output, such as a scenario
  file called ``scenario.yaml``, is refused);
* a file output may not be an existing folder, nor a folder output an existing file;
* the files of a folder output are plain names inside it (names built from queue
  names cannot climb out with ``../``);
* a folder output is one command's set: the folder's record (:data:`MANIFEST`) lists the
  files sim wrote into it, and a command writing the folder again removes those of its
  earlier files that it does not write anew (the plots of an earlier ``--plots``, the
  ``report.html`` that ``sim report`` added to it), so the folder never mixes two runs. Only
  files in that record, still as sim left them (same size and modification time), plain
  regular files and none of the command's inputs are removed; anything else in the
  folder is the user's and is left alone.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from sim.errors import ScenarioError
from sim.options import on_command_line

try:
    import fcntl
except ImportError:  # Windows: no flock; the renames go unlocked
    fcntl = None  # type: ignore[assignment]

__all__ = ["MANIFEST", "OutputError", "OutputPlan", "write_files"]

# The record of what sim wrote into a folder output (see the module's rules).
MANIFEST = ".sim-files.json"

Writer = Callable[[Path], object]
# Writers by target path. Mapping is invariant in its key, so a dict keyed by Path alone
# (or by str alone) is not a Mapping[str | Path, Writer]: each is allowed by name.
Writers = Mapping[Path, Writer] | Mapping[str, Writer] | Mapping[str | Path, Writer]


class OutputError(ScenarioError):
    """An output path that cannot or must not be written (bad input: exit code 2).

    The message names the path after the option that gave it (default ``--out``); a
    Python caller (``Results.save``) gave no option, and is told the path alone.
    """

    def __init__(self, path: str | Path, reason: str, option: str | None = None) -> None:
        given = option or ("--out" if on_command_line() else "")
        super().__init__(f"{given} {path}".lstrip(), [("", reason)])


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return candidate
    return Path.cwd()


def _cannot_create(place: Path, exc: OSError) -> str:
    """Why nothing could be created at ``place``, said of its nearest existing folder.

    The one reason every output gives, whether found by the check before the work or
    by the writing after it.
    """
    anchor = _nearest_existing(place)
    if not anchor.is_dir():
        return f"{anchor} is not a folder"
    if exc.errno == errno.ENOENT:
        # A folder that exists said "No such file or directory": one of a virtual file
        # system (/proc) that takes no new files. The system's words alone sent users
        # looking for a missing folder.
        reason = f"the folder takes no new files (the system said: {exc.strerror})"
    else:
        reason = exc.strerror or str(exc)
    return f"cannot write in {anchor}: {reason}"


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


class OutputPlan:
    """The files a command will write, checked up front and written as one set.

    Args:
        protect: the command's input files; no output may replace one of them.
        option: the option named in error messages (``--out``, ``--report``); ``None``
            for a Python caller, who gave no option (``Results.save``).
    """

    def __init__(self, protect: Iterable[str | Path] = (), option: str | None = "--out") -> None:
        self.protect = [Path(p) for p in protect]
        self.option = option
        self.files: list[Path] = []
        self.options: dict[Path, str | None] = {}  # a file's option when not the plan's own
        self.folders: list[Path] = []
        self.joining: list[Path] = []

    def _fail(self, path: Path, reason: str, option: str | None = None) -> OutputError:
        return OutputError(path, reason, option or self.option)

    def _check_place(self, path: Path, place: Path, option: str | None) -> None:
        """``path`` will be created in ``place``: its nearest existing folder must take it."""
        anchor = _nearest_existing(place)
        if not anchor.is_dir():
            raise self._fail(path, f"{anchor} is not a folder", option)
        # A real probe: os.access says yes to root on a read-only file system. Made and
        # removed with interrupts held, so that a Ctrl-C cannot leave it behind.
        try:
            with _interrupts_held():
                fd, probe = tempfile.mkstemp(dir=anchor, prefix=".sim-probe-", suffix=".tmp")
                os.close(fd)
                os.unlink(probe)
        except OSError as exc:
            raise self._fail(path, _cannot_create(anchor, exc), option) from None

    def file(self, path: str | Path, option: str | None = None) -> Path:
        """Plan one output file and check it now; return its path.

        ``option`` names the option in error messages when it is not the plan's own (one
        plan may hold ``--out`` and ``--report``: the command's outputs are one set).

        Raises:
            OutputError: the path is a folder, a symbolic link, one of the inputs, or
                cannot be created.
        """
        path = Path(path)
        if path.is_symlink():
            raise self._fail(path, "is a symbolic link; refusing to write through it", option)
        if path.is_dir():
            raise self._fail(path, "is a folder; give a file name", option)
        if path.exists() and not stat.S_ISREG(path.stat().st_mode):
            raise self._fail(path, "exists and is not a regular file", option)
        for source in self.protect:
            if _same_file(path, source):
                raise self._fail(path, f"would overwrite the input {source}", option)
        if any(path.absolute() == planned.absolute() for planned in self.files):
            raise self._fail(path, "is given for two outputs of this command", option)
        if path.exists() and not os.access(path, os.W_OK):
            raise self._fail(path, "exists and is not writable", option)
        self._check_place(path, path.parent, option)
        self.files.append(path)
        self.options[path.absolute()] = option or self.option
        return path

    def folder(
        self, path: str | Path, names: Iterable[str] = (), option: str | None = None
    ) -> Path:
        """Plan an output folder and the named files in it; return the folder.

        Raises:
            OutputError: the folder is a file or a symbolic link, cannot be created, or
                one of the files in it would break a rule of :meth:`file`.
        """
        path = Path(path)
        if path.is_symlink() and not path.is_dir():
            reason = "is a symbolic link to something that is not a folder"
            raise self._fail(path, reason, option)
        if path.exists() and not path.is_dir():
            raise self._fail(path, "is a file; give a folder", option)
        self._check_place(path, path, option)
        for name in names:
            # Names may come from the scenario (a plot per queue): each must be one plain
            # file name, so that what is written stays inside the folder.
            if not _plain(name) or name == MANIFEST:
                raise self._fail(path / name, f"{name!r} is not a plain file name", option)
            self.file(path / name, option)
        self.folders.append(path)
        return path

    def join(self, path: str | Path) -> None:
        """Make a planned file part of the set already in its folder (a report of it).

        The file joins the folder's record, so that the folder's next set retires it with
        the rest; any other file written into a folder output of another command is
        left out of its record and never removed.
        """
        self.joining.append(Path(path))

    def write(self, writers: Writers) -> list[Path]:
        """Write planned files (``path -> writer(temporary path)``) as one set."""
        planned = {p.absolute() for p in self.files}
        unplanned = [str(p) for p in writers if Path(p).absolute() not in planned]
        if unplanned:  # a programming error, not bad input
            raise ValueError(f"outputs not planned before the run: {', '.join(unplanned)}")
        return write_files(
            writers,
            folders=self.folders,
            joining=self.joining,
            protect=self.protect,
            options=self.options,
        )


def _plain(name: str) -> bool:
    """A plain file name: no folder part, no way up (``../``, no backslash)."""
    return name not in {"", ".", ".."} and Path(name).name == name and "\\" not in name


def _stamp(path: Path) -> dict[str, int]:
    """What tells a file sim wrote from one changed since: its size and modification time."""
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _record(folder: Path) -> dict[str, dict[str, int]] | None:
    """The files sim wrote into ``folder``, from its record; ``None`` without one."""
    path = folder / MANIFEST
    try:
        if path.is_symlink() or not path.is_file():
            return None
        files = json.loads(path.read_text(encoding="utf-8")).get("files")
    except (OSError, ValueError, AttributeError):  # unreadable or not sim's
        return None
    if not isinstance(files, dict):
        return None
    return {n: s for n, s in files.items() if isinstance(n, str) and isinstance(s, dict)}


def _still_sims(path: Path, stamp: dict[str, int], protect: list[Path]) -> bool:
    """Whether ``path`` is a regular file as sim left it and none of the inputs."""
    if not _plain(path.name) or path.is_symlink() or not path.is_file():
        return False
    if any(_same_file(path, source) for source in protect):
        return False
    return _stamp(path) == {"size": stamp.get("size"), "mtime_ns": stamp.get("mtime_ns")}


def _update_records(
    targets: list[Path], folders: Iterable[Path], joining: Iterable[Path], protect: list[Path]
) -> None:
    """Record what was written in each folder's record; retire a folder's earlier set.

    A folder planned as an output is written as a whole: the files of its record that
    were not written again are removed (when still sim's). A file that joins the set
    already in its folder (``sim report DIR``) is added to that folder's record.
    """
    own = {f.absolute() for f in folders}
    joins = {j.absolute() for j in joining}
    written: dict[Path, list[str]] = {}
    for target in targets:
        if target.parent.absolute() in own or target.absolute() in joins:
            written.setdefault(target.parent.absolute(), []).append(target.name)
    for folder, names in written.items():
        earlier = _record(folder)
        if earlier is None and folder not in own:
            continue
        files = {n: s for n, s in (earlier or {}).items() if _plain(n)}
        if folder in own:
            for name in set(files) - set(names):
                if _still_sims(folder / name, files.pop(name), protect):
                    with contextlib.suppress(OSError):
                        (folder / name).unlink()
        # The files are in place: a failure now only leaves the record behind.
        with contextlib.suppress(OSError):
            files |= {name: _stamp(folder / name) for name in names}
            _write_record(folder, files)


def _write_record(folder: Path, files: dict[str, dict[str, int]]) -> None:
    """Replace the folder's record (a lost record only means nothing is retired later)."""
    text = json.dumps({"written_by": "sim", "files": files}, indent=1, sort_keys=True)
    with contextlib.suppress(OSError):
        fd, name = tempfile.mkstemp(dir=folder, prefix=f"{MANIFEST}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(name, folder / MANIFEST)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(name)


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP back until the block ends (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    held = [signal.SIGINT, signal.SIGTERM]
    if hasattr(signal, "SIGHUP"):  # not on Windows
        held.append(signal.SIGHUP)
    previous = {s: signal.signal(s, lambda signum, _frame: caught.append(signum)) for s in held}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        for signum in caught[:1]:
            signal.raise_signal(signum)


def _temporary(target: Path) -> Path:
    """A new empty file beside ``target``, to be renamed onto it."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    return Path(name)


@contextlib.contextmanager
def _locked(folders: Iterable[Path]) -> Iterator[None]:
    """Hold an exclusive lock on each folder for the block (``flock`` on the folder itself).

    Two commands writing the same outputs at once interleaved their renames, leaving one
    command's summary beside the other's contacts; locked, the later set replaces the
    earlier one whole. Taken in one order, so no two commands wait on each other; a
    folder that takes no lock (a network file system that refuses) goes unlocked.
    """
    with contextlib.ExitStack() as stack:
        for folder in sorted({str(f.absolute()) for f in folders}) if fcntl else ():
            try:
                fd = os.open(folder, os.O_RDONLY)
            except OSError:
                continue
            stack.callback(os.close, fd)  # closing it releases the lock
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_EX)
        yield


def _kept(target: Path) -> Path | None:
    """The old file at ``target``, kept beside it to put back (None: there is none).

    A hard link (nothing is copied), or a copy where the file system has no hard links.

    Raises:
        OSError: it cannot be kept (``target`` is a folder, or cannot be read).
    """
    if not (target.exists() or target.is_symlink()):
        return None
    keep = _temporary(target)
    try:
        os.unlink(keep)  # the name is ours; the link takes it
        try:
            os.link(target, keep, follow_symlinks=False)
        except (OSError, NotImplementedError):  # no hard links here (or to a link)
            shutil.copy2(target, keep, follow_symlinks=False)
    except OSError:
        with contextlib.suppress(OSError):
            keep.unlink()
        raise
    return keep


def _replace_all(
    temps: list[Path], targets: list[Path], failed: Callable[[Path, str], OutputError]
) -> None:
    """Rename each temporary onto its target: all of them, or none.

    Each target's old file is kept until every rename is done, so that one failing
    midway (a target that became a folder during the run, a folder made read-only)
    puts back the targets already replaced, as they were.

    Raises:
        OutputError: a target could not be replaced (``failed`` says it); none is, and
            the temporaries stay for the caller to remove.
    """
    kept: dict[Path, Path | None] = {}
    done: list[Path] = []
    at = Path()  # the target at hand when an error comes
    try:
        try:
            for at in targets:
                kept[at] = _kept(at)
            for temp, at in zip(temps, targets, strict=True):
                os.replace(temp, at)
                done.append(at)
        except OSError as exc:
            _put_back(done, kept)
            reason = f"cannot replace it: {exc.strerror or exc}; no output was changed"
            raise failed(at, reason) from None
    finally:
        for keep in kept.values():
            if keep is not None:
                with contextlib.suppress(OSError):
                    keep.unlink()


def _put_back(done: list[Path], kept: Mapping[Path, Path | None]) -> None:
    """The targets in ``done`` as they were before their renames (best effort)."""
    for target in reversed(done):
        keep = kept[target]
        with contextlib.suppress(OSError):
            if keep is None:
                target.unlink()
            else:
                os.replace(keep, target)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_files(
    writers: Writers,
    *,
    folders: Iterable[str | Path] = (),
    joining: Iterable[str | Path] = (),
    protect: Iterable[Path] = (),
    options: Mapping[Path, str | None] | None = None,
) -> list[Path]:
    """Write several files so that they appear together, or none of them does.

    Each ``writer`` receives a temporary path beside its target and writes the file
    there; when all have succeeded, the temporaries are renamed into place with
    interrupts held back and the targets' folders locked against another command's
    renames. On any error or interrupt the temporaries are removed and no target is
    changed (a rename failing midway puts back those already done). Missing parent
    folders are created.

    ``folders`` are folder outputs written as a whole: their files of an earlier set
    that are not written again are removed, never one of ``protect`` (see the module's
    rules); the files in ``joining`` join the record of the folder they are written into
    (see :meth:`OutputPlan.join`). ``options`` names the option that gave each file
    (absolute path -> ``--report``), for error messages (default: ``--out`` on the
    command line, none from Python).

    Returns:
        The target paths, in the order given.

    Raises:
        OutputError: a file could not be written (disk full, permission denied) or
            replaced (it became a folder during the run).
    """
    targets = [Path(p) for p in writers]
    given = dict(options or {})

    def failed(target: Path, reason: str) -> OutputError:
        return OutputError(target, reason, given.get(target.absolute()))

    temps: list[Path] = []
    mode = 0o666 & ~_umask()
    try:
        for target, write in zip(targets, writers.values(), strict=True):
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with _interrupts_held():  # so that the clean-up below knows of it
                    temps.append(_temporary(target))
            except OSError as exc:
                raise failed(target, _cannot_create(target.parent, exc)) from None
            temp = temps[-1]
            os.chmod(temp, mode)  # mkstemp's private 0600 is not what users expect
            try:
                write(temp)
            except OSError as exc:
                raise failed(target, f"cannot write: {exc.strerror or exc}") from None
        with _locked(t.parent for t in targets), _interrupts_held():
            _replace_all(temps, targets, failed)
            temps.clear()
            _update_records(
                targets, [Path(f) for f in folders], [Path(j) for j in joining], list(protect)
            )
    finally:
        for temp in temps:
            with contextlib.suppress(OSError):
                temp.unlink()
    return targets
