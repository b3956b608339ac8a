"""A mutation fuzzer for scenario files: ``sim run`` must exit 0 or 2, never crash.

Every case takes one shipped scenario, applies one to three mutations from these classes
and runs ``sim run FILE -n 1 --json --out DIR`` in this process:

* ``structure``: delete a key, insert an unknown key, replace a mapping by a list or a
  scalar, empty a collection, repeat a key;
* ``types``: replace a value by one of another type (text, bool, null, list, mapping);
* ``numbers``: extreme numbers anywhere (0, negative, 1e-200, 1e308, .inf, .nan,
  2^63, huge multipliers, huge rates and durations, far dates);
* ``bytes``: invalid UTF-8, a GBK comment, NUL and control bytes, a UTF-16 BOM, a
  truncated file, a flipped byte, tabs;
* ``aliases``: anchors and aliases, a nested alias bomb, an alias inside its own anchor;
* ``names``: a queue renamed to a path (``../x``), a dotted, long or Chinese name.

A case passes when the exit code is 0 (the JSON on stdout parses, the output folder
holds the result files) or 2 (one ``error:`` message per line on stderr, nothing on
stdout, no output folder), with no traceback, within :data:`CASE_SECONDS` (a hang guard)
and within :data:`MEMORY_BYTES` of address space (set with ``RLIMIT_AS`` when run as a
script). The workload guard is lowered (:data:`FUZZ_LIMITS`) so that valid mutants
stay small, which also makes the guard's refusal a frequent outcome.

Run ``python tests/fuzzing.py --cases 2000`` (``make fuzz``; ``--only document/platform.yaml``,
``FUZZ_ONLY=...``, mutates only the files that glob names); the test suite runs a fixed
seed with a small budget (``tests/test_fuzz.py``). The same seed gives the same cases.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
CASE_SECONDS = 60.0
MEMORY_BYTES = 4 * 1024**3
FUZZ_LIMITS = {"contacts": 300_000, "agent_shifts": 300_000, "replications": 100}

# --------------------------------------------------------------------------- values

EXTREME = [
    0,
    -1,
    -0.0,
    1e-200,
    1e308,
    float("inf"),
    float("-inf"),
    float("nan"),
    2**63,
    10**30,
    "1e9/s",
    "0.000001/h",
    "99999d",
    "0s",
    "24:00",
    "23:59:59",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2026-02-30T00:00",
]
OTHER_TYPES = ["", "text", True, None, [], {}, [1, 2, 3], {"a": 1}, "10%", "mon", "always"]
HOSTILE_NAMES = ["../escape", "a/b", ".hidden", "x" * 80, "dot.ted", "直播", "-dash", "a b"]
UNKNOWN_KEYS = ["servce", "staf", "rat", "durration", "extra", "dist", "0", "queues"]


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    found = []
    for key, child in items:
        found.append((*prefix, key))
        found.extend(paths(child, (*prefix, key)))
    return found


def parent(data: Any, path: tuple) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


def dict_paths(data: Any) -> list[tuple]:
    """Paths of every mapping in ``data`` (itself first), where a key can be inserted."""
    return [()] + [p for p in paths(data) if isinstance(parent(data, p)[p[-1]], dict)]


def _at(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


# ----------------------------------------------------------------- data mutations


def _delete(rng: random.Random, data: dict) -> None:
    found = paths(data)
    if found:
        path = rng.choice(found)
        del parent(data, path)[path[-1]]


def _insert(rng: random.Random, data: dict) -> None:
    where = _at(data, rng.choice(dict_paths(data)))
    where[rng.choice(UNKNOWN_KEYS)] = rng.choice(OTHER_TYPES + EXTREME)


def _replace(values: list[Any]) -> Callable[[random.Random, dict], None]:
    def mutate(rng: random.Random, data: dict) -> None:
        found = paths(data)
        if found:
            path = rng.choice(found)
            parent(data, path)[path[-1]] = copy.deepcopy(rng.choice(values))

    return mutate


def _numbers(rng: random.Random, data: dict) -> None:
    """An extreme number where a number is (most likely to reach the engine)."""
    found = [p for p in paths(data) if isinstance(parent(data, p)[p[-1]], int | float | str)]
    if found:
        path = rng.choice(found)
        value = parent(data, path)[path[-1]]
        if isinstance(value, int | float) and not isinstance(value, bool) and rng.random() < 0.5:
            factor = rng.choice([1e-9, 1e-3, 1e3, 1e6, 1e12])
            parent(data, path)[path[-1]] = value * factor
        else:
            parent(data, path)[path[-1]] = rng.choice(EXTREME)


def _rename_queue(rng: random.Random, data: dict) -> None:
    """A queue (or a team, when the scenario has teams) renamed to a hostile name."""
    named = [data[k] for k in ("queues", "teams") if isinstance(data.get(k), dict) and data[k]]
    if named:
        members = rng.choice(named)
        old = rng.choice(sorted(members, key=str))
        members[rng.choice(HOSTILE_NAMES)] = members.pop(old)


DATA_MUTATIONS: dict[str, list[Callable[[random.Random, dict], None]]] = {
    "structure": [_delete, _insert, _replace([[], {}, [[]], {"x": {}}])],
    "types": [_replace(OTHER_TYPES)],
    "numbers": [_numbers],
    "names": [_rename_queue],
}

# ----------------------------------------------------------------- text mutations


def _bytes_mutation(rng: random.Random, raw: bytes) -> bytes:
    kind = rng.randrange(8)
    at = rng.randrange(len(raw) + 1)
    if kind == 0:
        return raw[:at] + bytes([rng.choice([0x80, 0xC3, 0xFF, 0xFE, 0xB2])]) + raw[at:]
    if kind == 1:
        return raw + "# 直播客服 夜间机器人\n".encode("gbk")
    if kind == 2:
        return raw[:at] + rng.choice([b"\x00", b"\x07", b"\x1b[31m"]) + raw[at:]
    if kind == 3:
        return rng.choice([b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf"]) + raw
    if kind == 4:
        return raw[:at]
    if kind == 5 and raw:
        i = rng.randrange(len(raw))
        return raw[:i] + bytes([raw[i] ^ (1 << rng.randrange(8))]) + raw[i + 1 :]
    if kind == 6:
        return raw.replace(b"  ", b"\t", 1)
    return raw.replace(b"\n", b"\r\n")


def _alias_mutation(rng: random.Random, text: str) -> str:
    kind = rng.randrange(4)
    if kind == 0:  # a nested alias bomb
        levels = rng.randrange(3, 10)
        lines = ["bomb0: &b0 [x, x, x, x, x, x, x, x, x]"]
        lines += [f"bomb{i}: &b{i} [{', '.join([f'*b{i - 1}'] * 9)}]" for i in range(1, levels)]
        return text + "\n" + "\n".join(lines) + "\n"
    if kind == 1:  # an alias inside its own anchor
        return text + "\nloop: &loop [1, *loop]\n"
    if kind == 2:  # an undefined alias
        return text.replace("staff:", "staff: *nowhere\n  ignored:", 1)
    # Anchor the first queue's service and reuse it in the others.
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("service:") and "&" not in line:
            lines[i] = line.replace("service:", "service: &svc", 1)
            break
    out = "\n".join(lines)
    return out.replace("service: {", "service: *svc\n    ignored_service: {", 1) + "\n"


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


# ----------------------------------------------------------------------- a case


def make_case(seed: int, index: int, files: list[Path]) -> tuple[Path, bytes, list[str]]:
    """The ``index``-th case of ``seed``: which file, its mutated bytes, the classes used."""
    rng = random.Random(f"{seed}-{index}")
    path = rng.choice(files)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    classes = []
    for _ in range(rng.randint(1, 3)):
        cls = rng.choice(["structure", "types", "numbers", "numbers", "names", "bytes", "aliases"])
        classes.append(cls)
        if cls in DATA_MUTATIONS and isinstance(data, dict):
            rng.choice(DATA_MUTATIONS[cls])(rng, data)
    text = _dump(data) if isinstance(data, dict) else path.read_text(encoding="utf-8")
    if "aliases" in classes:
        text = _alias_mutation(rng, text)
    raw = text.encode("utf-8")
    for _ in range(classes.count("bytes")):
        raw = _bytes_mutation(rng, raw)
    return path, raw, classes


class CaseTimeoutError(Exception):
    """A case ran past :data:`CASE_SECONDS`."""


def _alarm(_signum: int, _frame: Any) -> None:
    raise CaseTimeoutError


def _judge(code: Any, out: str, err: str, out_dir: Path) -> str | None:
    """Why the outcome breaks the contract, or None."""
    if "Traceback" in out + err:
        return "traceback"
    if code == 0:
        try:
            json.loads(out)
        except ValueError:
            return "exit 0 but stdout is not JSON"
        if not (out_dir / "summary.csv").is_file():
            return "exit 0 but no results written"
        return None
    if code == 2:
        if out:
            return "exit 2 with output on stdout"
        if out_dir.exists():
            return "exit 2 but the output folder exists"
        lines = err.splitlines()
        if not lines or not all(
            line.startswith(("error: ", "usage: ", "sim run: error", " ")) for line in lines
        ):
            return f"exit 2 without a clear message: {err[:200]!r}"
        return None
    return f"exit {code}"


def run_case(main: Callable[[list[str]], int], file: Path, out_dir: Path) -> tuple[Any, str, str]:
    """``sim run`` on ``file`` in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    argv = ["run", str(file), "-n", "1", "--workers", "1", "--json", "--out", str(out_dir)]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
        except CaseTimeoutError:
            raise
        except BaseException:
            traceback.print_exc()
            code = "exception"
    return code, out.getvalue(), err.getvalue()


def fuzz(seed: int, cases: int, work: Path, only: str = "*.yaml") -> dict[str, Any]:
    """Run ``cases`` cases of ``seed`` in ``work`` (a scratch folder); return a report.

    ``only`` picks the files mutated (a glob on their path under ``scenarios/``, such as
    ``document/platform.yaml`` to fuzz the includes and joins of a composed file).
    """
    import sim.workload
    from sim.cli import main

    sim.workload.LIMITS = sim.workload.Limits(**FUZZ_LIMITS)
    tree = work / "scenarios"
    shutil.copytree(SCENARIOS, tree)
    files = sorted(p for p in tree.rglob("*.yaml") if p.relative_to(tree).match(only))
    if not files:
        raise SystemExit(f"--only {only!r}: no scenario file under scenarios/ matches")
    outcomes: Counter[str] = Counter()
    classes_seen: Counter[str] = Counter()
    failures = []
    slowest = 0.0
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        for index in range(cases):
            original, raw, classes = make_case(seed, index, files)
            classes_seen.update(set(classes))
            target = original.with_name(f"fuzz-{index}.yaml")
            target.write_bytes(raw)
            out_dir = work / f"out-{index}"
            start = time.monotonic()
            signal.setitimer(signal.ITIMER_REAL, CASE_SECONDS)
            try:
                code, out, err = run_case(main, target, out_dir)
                problem = _judge(code, out, err, out_dir)
            except CaseTimeoutError:
                code, err, problem = "timeout", "", f"ran past the {CASE_SECONDS:g} s hang guard"
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            slowest = max(slowest, time.monotonic() - start)
            outcomes[f"exit {code}"] += 1
            if problem:
                failures.append(
                    {"case": index, "file": original.name, "classes": classes,
                     "problem": problem, "stderr": err[-600:]}
                )  # fmt: skip
                (work / f"failing-{index}.yaml").write_bytes(raw)
            target.unlink()
            shutil.rmtree(out_dir, ignore_errors=True)
    finally:
        signal.signal(signal.SIGALRM, previous)
    return {
        "seed": seed,
        "cases": cases,
        "outcomes": dict(outcomes),
        "classes": dict(classes_seen),
        "failures": failures,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "slowest_case_s": round(slowest, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="keep the scratch folder (failing cases) here")
    parser.add_argument(
        "--only",
        default="*.yaml",
        help="mutate only these files (a glob under scenarios/, e.g. document/platform.yaml)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    with tempfile.TemporaryDirectory() as scratch:
        work = args.keep or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        report = fuzz(args.seed, args.cases, work, args.only)
    if args.json:
        print(json.dumps(report))
    else:
        print(f"seed {report['seed']}: {report['cases']} cases, outcomes {report['outcomes']}")
        print(f"mutation classes: {report['classes']}")
        print(
            f"slowest case {report['slowest_case_s']} s, peak RSS {report['peak_rss_mib']:.0f} MiB"
        )
        for failure in report["failures"]:
            print(f"FAIL case {failure['case']} ({failure['file']}, {failure['classes']}): "
                  f"{failure['problem']}\n{failure['stderr']}")  # fmt: skip
        print(f"{len(report['failures'])} failures")
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
