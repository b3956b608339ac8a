"""The confidence intervals themselves, checked against queueing theory.

``test_theory.py`` checks the engine's *means* against closed forms; here the question is
whether the 95% intervals the product *reports* (``sim.run`` and ``sim.sweep`` cells,
``sim.compare`` differences, ``sim.validate`` ratio targets) cover the true value about 95%
of the time. Each check runs ``N`` independent seeds of a tiny scenario and counts how
often the reported interval covers the closed form.

With a correct interval the count of covers is Binomial(N, 0.95). A check passes when the
count lies in the central 99% interval of that law (:func:`band`): at N = 120 that is
107..119 covers, so an interval half as wide as it should be (coverage about 68%) or one
centred on a biased figure fails, while a correct one fails one check in a hundred seeds'
worth of runs. Seeds are fixed, so the verdict is reproducible.

The scenario is designed so that the closed forms are the truth the intervals must cover:

* queue ``c`` is M/M/3 (Erlang C) at load 0.5: 3/min, 30 s service. Its relaxation time
  1 / (c mu (1 - sqrt(rho))^2) is 1.9 min; the warm-up of 30 min is 15 of them, so the
  empty start leaves less than e^-15 of its deficit (nothing a 95% interval can see).
* queue ``a`` is M/M/3+M (Erlang A): 4/min, 30 s service, exponential patience of 1 min
  (8% abandon). Abandonment makes it relax faster than ``c``.

The run and sweep cells use a window of 140 min (~420 contacts at ``c``): with 60 min a
replication's mean wait at ``c`` is right-skewed enough that the t interval over 10
replications covers about 90%, not 95% (``benchmarks/bench_coverage.py`` measures it; a
property of the t interval on few, skewed replications, not of the code). The compare
and ratio checks use 60 min, where the figures they test are close enough to normal.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
import yaml
from scipy import stats

import sim
from sim import erlang
from sim.cli import main
from sim.stats import mean_ci, ratio_ci
from sim.validate import validate

MINUTE = 60.0
LAM_C, LAM_A, MU, THETA = 3 / MINUTE, 4 / MINUTE, 1 / 30, 1 / MINUTE
AGENTS = 3
THRESHOLD = 20.0
WINDOW = 60 * MINUTE
REPLICATIONS = 10


def band(n: int, level: float = 0.99) -> tuple[int, int]:
    """The covers a correct 95% interval gives in ``n`` tries, with probability ``level``."""
    low, high = stats.binom.interval(level, n, 0.95)
    return int(low), int(high)


def assert_covers(covers: int, n: int, what: str) -> None:
    low, high = band(n)
    assert low <= covers <= high, f"{what}: {covers}/{n} covers, outside {low}..{high}"


def queue(rate: str, agents: int, patience: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "arrivals": {"rate": rate},
        "staff": agents,
        "service": {"dist": "exponential", "mean": "30s"},
    }
    if patience:
        spec["patience"] = {"dist": "exponential", "mean": "1m"}
    return spec


DATA: dict[str, Any] = {
    "name": "coverage",
    "start": "2026-01-05T00:00",
    "duration": "90m",
    "warmup": "30m",
    "seed": 1,
    "replications": REPLICATIONS,
    "service_level_threshold": THRESHOLD,
    "queues": {"c": queue("3/min", AGENTS), "a": queue("4/min", AGENTS, patience=True)},
}


def erlang_c_truth(agents: int, window: float = WINDOW) -> dict[str, float]:
    return {
        "mean_wait_s": erlang.mmc_mean_wait(LAM_C, MU, agents),
        "service_level": float(erlang.mmc_service_level(THRESHOLD, LAM_C, MU, agents)),
        "utilization": LAM_C / MU / agents,
        "arrivals": LAM_C * window,
    }


def erlang_a_truth(agents: int) -> dict[str, float]:
    figures = erlang.erlang_a(LAM_A, MU, agents, THETA)
    return {
        "abandon_rate": figures.p_abandon,
        "mean_wait_s": figures.mean_wait_served,
        "utilization": figures.utilization,
    }


LONG_WINDOW = 140 * MINUTE
LONG = {**DATA, "duration": "170m"}
TRUTH = {
    "c": erlang_c_truth(AGENTS, LONG_WINDOW),
    "a": erlang_a_truth(AGENTS),
}


def covers(table, truth: float, metric: str, half: str | None = None) -> int:
    """How many rows' intervals (``metric`` ± ``half``) hold ``truth``."""
    half = half or f"{metric}_ci95"
    return int((np.abs(table[metric] - truth) <= table[half]).sum())


# -- run and sweep cells -----------------------------------------------------------------

SEEDS = 120


@pytest.fixture(scope="module")
def cells():
    """``SEEDS`` runs of the long scenario, one per seed: a sweep of the seed field.

    A sweep's cells are each variant's own run (``summarize`` over its replications), so
    one sweep over seeds is ``SEEDS`` independent ``sim.run`` tables in one parallel map.
    """
    seeds = list(range(1000, 1000 + SEEDS))
    return sim.sweep(LONG, {"seed": seeds}, workers=1)


@pytest.mark.parametrize(
    ("name", "metric"), [(q, m) for q, figures in TRUTH.items() for m in figures]
)
def test_run_and_sweep_cells_cover_the_closed_forms(cells, name, metric):
    table = cells[cells["queue"] == name]
    assert len(table) == SEEDS
    assert (table["replications"] == REPLICATIONS).all()
    assert_covers(covers(table, TRUTH[name][metric], metric), SEEDS, f"{name} {metric}")


def test_a_sweep_cell_is_the_run_of_that_variant(cells):
    """The cells tested above are what ``sim run`` prints for the same seed."""
    row = cells[(cells["seed"] == 1007) & (cells["queue"] == "c")].iloc[0]
    summary = sim.run(LONG, seed=1007, workers=1).summary().loc["c"]
    for metric in TRUTH["c"]:
        assert row[metric] == summary[metric]
        assert row[f"{metric}_ci95"] == summary[f"{metric}_ci95"]


# -- compare -----------------------------------------------------------------------------

PAIRS = 100


@pytest.fixture(scope="module")
def one_more_agent():
    """``PAIRS`` comparisons of queue ``a`` with one agent more, one per seed."""
    return [
        sim.compare(DATA, overrides=["queues.a.staff=4"], seed=seed, workers=1)
        for seed in range(5000, 5000 + PAIRS)
    ]


@pytest.mark.parametrize("metric", ["abandon_rate", "mean_wait_s", "utilization"])
def test_compare_covers_the_closed_form_difference(one_more_agent, metric):
    truth = erlang_a_truth(AGENTS + 1)[metric] - erlang_a_truth(AGENTS)[metric]
    rows = [t[(t["queue"] == "a") & (t["metric"] == metric)].iloc[0] for t in one_more_agent]
    table = {
        "diff": np.array([r["diff"] for r in rows]),
        "ci95": np.array([r["ci95"] for r in rows]),
    }
    assert (table["diff"] * truth > 0).mean() > 0.9  # the change shows, in its direction
    assert_covers(covers(table, truth, "diff", "ci95"), PAIRS, f"B - A {metric}")


def test_compare_leaves_the_untouched_queue_exactly_unchanged(one_more_agent):
    """Common random numbers: queue ``c`` sees the same draws in A and B."""
    for table in one_more_agent:
        untouched = table[table["queue"] == "c"]
        assert (untouched["diff"] == 0).all()
        assert (untouched["ci95"] == 0).all()
        assert not untouched["significant"].any()


def test_compare_with_itself_is_exactly_zero_with_a_zero_interval():
    table = sim.compare(DATA, DATA, workers=1)
    assert (table["diff"] == 0).all()
    assert (table["ci95"] == 0).all()
    assert (table["a"] == table["b"]).all()
    assert not table["significant"].any()
    assert (table["pairs"] == REPLICATIONS).all()


# -- one, two and partly undefined replications ----------------------------------------


def test_one_replication_has_no_interval(tmp_path, capsys):
    summary = sim.run(DATA, replications=1, workers=1).summary()
    assert summary.filter(like="_ci95").isna().all().all()
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(DATA))
    assert main(["run", str(path), "-n", "1", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "no confidence interval" in out
    assert "±" not in out
    assert "nan" not in out.lower()
    assert main(["run", str(path), "-n", "1", "--workers", "1", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert all(v is None for v in document["queues"]["c"]["ci95"].values())


def test_two_replications_use_the_t_quantile_with_one_degree_of_freedom():
    results = sim.run(DATA, replications=2, workers=1)
    x = results.metrics().set_index("queue").loc["c", "mean_wait_s"].to_numpy()
    # s = |x1 - x2| / sqrt(2); half = t(0.975, 1) s / sqrt(2) = 12.706 |x1 - x2| / 2.
    expected = stats.t.ppf(0.975, 1) * abs(x[0] - x[1]) / 2
    assert results.summary().loc["c", "mean_wait_s_ci95"] == pytest.approx(expected, rel=1e-12)


def test_a_figure_undefined_on_some_replications_is_summarised_over_the_others():
    """A queue with about two arrivals an hour has no wait on some replications."""
    rare = {**queue("2/h", 1), "service": {"dist": "exponential", "mean": "40m"}}
    data = {**DATA, "queues": {**DATA["queues"], "rare": rare}}
    results = sim.run(data, replications=20, workers=1)
    waits = results.metrics().set_index("queue").loc["rare", "mean_wait_s"].to_numpy()
    defined = waits[~np.isnan(waits)]
    assert 2 <= len(defined) < len(waits)  # the case under test
    row = results.summary().loc["rare"]
    t = stats.t.ppf(0.975, len(defined) - 1)
    spread = defined.std(ddof=1)
    assert spread > 0  # the waits differ: the interval is the t formula, not the no-spread 0
    assert row["mean_wait_s"] == pytest.approx(defined.mean(), rel=1e-12)
    assert row["mean_wait_s_ci95"] == pytest.approx(t * spread / math.sqrt(len(defined)))


# -- ratio targets -----------------------------------------------------------------------

RATIOS = 60

TWINS: dict[str, Any] = {
    **DATA,
    "duration": "60m",
    "queues": {"x": queue("4/min", AGENTS), "y": queue("4/min", AGENTS)},
    "targets": [
        {
            "queue": "x",
            "metric": "mean_wait",
            "value": 1,
            "tolerance": 0.5,
            "ratio_to": {"queue": "y"},
        },
        {"queue": "x", "metric": "mean_wait", "value": 10, "tolerance": "5s"},
        {"queue": "y", "metric": "mean_wait", "value": 10, "tolerance": "5s"},
    ],
}


def test_a_ratio_target_is_the_ratio_of_the_two_figures_means():
    """``ratio_to`` divides the target's figure (a mean over replications) by the other's.

    Averaging each replication's ratio instead estimates E[X / Y], which exceeds
    E[X] / E[Y] by about the squared coefficient of variation of Y, however many
    replications run.
    """
    ratio, x, y = validate(sim.from_dict(TWINS), replications=10, workers=1)
    assert ratio.simulated == pytest.approx(x.simulated / y.simulated, rel=1e-12)


def test_least_of_divides_by_the_lowest_of_the_references_means():
    data = {
        **TWINS,
        "queues": {**TWINS["queues"], "z": queue("5/min", AGENTS)},
        "targets": [
            {
                "queue": "x",
                "metric": "mean_wait",
                "value": 1,
                "bound": "at_most",
                "ratio_to": {"least_of": [{"queue": "y"}, {"queue": "z"}]},
            },
            *TWINS["targets"][1:],
            {**TWINS["targets"][2], "queue": "z"},
        ],
    }
    ratio, x, y, z = validate(sim.from_dict(data), replications=10, workers=1)
    assert ratio.simulated == pytest.approx(x.simulated / min(y.simulated, z.simulated))


def test_a_ratio_targets_interval_covers_the_true_ratio():
    """Two identical independent queues: the true ratio of their mean waits is 1.

    A window of 60 min holds ~240 contacts a queue; each replication's mean wait varies
    by about 60%, so a mean of per-replication ratios sits ~35% high (measured: 1.34 over
    100 seeds) while 40 replications make the interval about ±0.35: it covers 1 on
    about 60% of seeds, far below the band. The ratio of means covers it.
    """
    data = {**TWINS, "duration": "90m", "targets": TWINS["targets"][:1]}
    scenario = sim.from_dict(data)
    rows = [
        validate(scenario, replications=40, seed=seed, workers=1)[0]
        for seed in range(7000, 7000 + RATIOS)
    ]
    table = {
        "simulated": np.array([r.simulated for r in rows]),
        "ci95": np.array([r.ci95 for r in rows]),
    }
    assert_covers(covers(table, 1.0, "simulated", "ci95"), RATIOS, "ratio of mean waits")


def test_the_ratio_interval_in_its_edge_cases():
    nan = math.nan
    same = ratio_ci(np.array([1.4, 2.1, 0.7]), np.array([2.0, 3.0, 1.0]))
    assert same == (pytest.approx(0.7), 0.0)
    assert ratio_ci(np.array([1.0, nan, 3.0]), np.array([2.0, 1.0, nan]))[0] == 0.5
    assert math.isnan(ratio_ci(np.array([1.0, 3.0]), np.array([2.0, nan]))[1])  # one pair
    assert all(map(math.isnan, ratio_ci(np.array([1.0, 2.0]), np.array([0.0, 0.0]))))
    # One denominator of 0 among others: the formula, not "the same ratio everywhere".
    x, y = np.array([0.0, 1.0, 3.0]), np.array([0.0, 2.0, 2.0])
    r = 4 / 4
    half = stats.t.ppf(0.975, 2) * (x - r * y).std(ddof=1) / (math.sqrt(3) * y.mean())
    assert ratio_ci(x, y) == pytest.approx((r, half))
    # With a constant denominator the interval is the numerator's, scaled.
    x = np.array([3.0, 5.0, 4.0, 8.0])
    mean, half = mean_ci(x)
    assert ratio_ci(x, np.full(4, 2.0)) == pytest.approx((mean / 2, half / 2))
