"""Tests for sim.plots and ``sim plot``: what each figure shows, checked against the data.

Every figure is compared with figures computed independently from the result tables
(``Results.metrics()``, ``.hourly()``, ``.contacts()``): counts that must add up, curves
that must start, end and move the right way, panels and labels that must be there.
"""

from __future__ import annotations

import io
import json
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.collections import PolyCollection
from matplotlib.image import AxesImage
from matplotlib.patches import Polygon, Rectangle

import sim
import sim.cli
from sim import plots
from sim.metrics import METRICS
from sim.plots import base as plot_base
from sim.plots.fonts import installed_cjk_fonts
from sim.report.figures import write_standard_plots
from sim.timeline import Clock

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REPLICATIONS = 3
BINS = 20

# Two days of a chat desk with a bot at night, escalating to an email queue that only
# works office hours: instant (bot) answers, minute-long and day-long waits, two days.
QUEUES = {
    "chat": {
        "arrivals": {
            "rate": "30/h",
            "profile": [0.2] * 7 + [1.0] * 4 + [1.6] * 6 + [1.2] * 5 + [0.4] * 2,
        },
        "staff": [{"start": "08:00", "end": "20:00", "agents": 3}],
        "bot": {"when": "unstaffed", "resolution": 0.3},
        "service": {"dist": "exponential", "mean": "5m"},
        "patience": {"dist": "exponential", "mean": "10m"},
        "resolution": 0.8,
        "on_unresolved": {"email": 1.0},
    },
    "email": {
        "staff": {"business_hours": {"open": "09:00", "close": "17:00", "agents": 2}},
        "closed": "wait",
        "service": {"dist": "exponential", "mean": "10m"},
    },
}


@pytest.fixture(scope="session")
def scenario(make_network):
    return make_network(QUEUES, duration="2d", warmup="1h", seed=5, replications=REPLICATIONS)


@pytest.fixture(scope="session")
def results(scenario):
    return sim.run(scenario, workers=1)


@pytest.fixture(scope="session")
def counted(results):
    return plots.counted_contacts(results)


@pytest.fixture(scope="session")
def variants(make_network):
    """The chat desk with 2, 3 and 4 agents, as a label -> Results mapping."""
    out = {}
    for agents in (2, 3, 4):
        s = make_network(
            QUEUES,
            overrides=[f"queues.chat.staff.0.agents={agents}"],
            duration="1d",
            warmup="1h",
            seed=5,
        )
        out[f"{agents} agents"] = sim.run(s, replications=2, workers=1)
    return out


def _answered(results, queue):
    metrics = results.metrics()
    return int(metrics.loc[metrics["queue"] == queue, "answered"].sum())


def _waits(counted, queue):
    rows = counted[(counted["queue"] == queue) & counted["wait"].notna()]
    return rows["wait"].to_numpy()


def _unit_seconds(label):
    """Seconds per unit of an axis labelled ``... (minutes)``."""
    name = label.rsplit("(", 1)[1].rstrip(")")
    return {u.name: u.seconds for u in plot_base.UNITS}[name]


def _curves(ax):
    """Data lines of a distribution plot (not the threshold marker)."""
    return [ln for ln in ax.get_lines() if not ln.get_label().startswith("service-level")]


# -- helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("longest", "symbol"),
    [(30, "s"), (119, "s"), (600, "min"), (2 * 3600, "min"), (10 * 3600, "h"), (5 * 86400, "d")],
)
def test_time_unit_follows_the_longest_duration_on_the_axis(longest, symbol):
    waits = np.concatenate([np.zeros(99), [float(longest)]])
    assert plots.time_unit(waits).symbol == symbol


def test_time_unit_of_nothing_is_minutes():
    assert plots.time_unit([float("nan")]).symbol == "min"


def test_day_index_counts_calendar_days_from_the_start_date():
    import datetime as dt

    midnight = Clock(dt.datetime(2026, 1, 5))
    assert list(plots.day_index(np.array([0.0, 86399.0, 86400.0]), midnight)) == [0, 0, 1]
    noon = Clock(dt.datetime(2026, 1, 5, 12))
    # Twelve hours after a noon start is midnight of the next calendar day.
    assert list(plots.day_index(np.array([0.0, 43199.0, 43200.0]), noon)) == [0, 0, 1]


def test_counted_contacts_are_the_ones_the_metrics_count(results, counted):
    w0, w1 = results.runs[0].window
    assert counted["entered"].between(w0, w1, inclusive="left").all()
    for queue in ("chat", "email"):
        assert len(_waits(counted, queue)) == _answered(results, queue)


def test_wait_series_labels_follow_what_varies(results, variants):
    assert list(plots.wait_series(results)) == ["chat", "email"]
    assert list(plots.wait_series(variants, ["chat"])) == list(variants)
    both = plots.wait_series(variants)
    assert list(both)[:2] == ["2 agents · chat", "2 agents · email"]
    with pytest.raises(plots.PlotError, match="unknown queue 'nope'"):
        plots.wait_series(results, ["nope"])
    # One name alone is that queue (it read "unknown queue 'c'" before).
    assert list(plots.wait_series(results, "chat")) == ["chat"]


# -- wait distributions ---------------------------------------------------------------------


def test_histogram_bars_add_up_to_the_answered_contacts(results):
    fig = plots.wait_histogram(results, ["chat"], bins=BINS)
    (ax,) = fig.axes
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == BINS
    assert sum(b.get_height() for b in bars) == _answered(results, "chat")
    # The axis runs to the 99th percentile, in a unit that keeps its numbers short.
    p99 = np.percentile(_waits(plots.counted_contacts(results), "chat"), 99)
    unit = _unit_seconds(ax.get_xlabel())
    assert ax.get_xlim()[1] == pytest.approx(p99 / unit)
    assert 1 <= ax.get_xlim()[1] < 180
    assert "answered contacts" in ax.get_ylabel()
    assert results.scenario.name in ax.get_title()


def test_histogram_of_several_series_draws_one_outline_each(variants, counted):
    fig = plots.wait_histogram(variants, ["chat"], bins=BINS, density=True)
    (ax,) = fig.axes
    outlines = [p for p in ax.patches if isinstance(p, Polygon)]
    assert len(outlines) == len(variants)
    # Each density outline encloses an area of one bin-width-weighted share: heights sum to 1.
    for outline in outlines:
        y = outline.get_xy()[:, 1]
        steps = y[1:-1:2]  # a step outline visits each bin's height twice
        assert steps.sum() == pytest.approx(1.0)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert [lbl.split(" (")[0] for lbl in labels[: len(variants)]] == list(variants)


def test_ecdf_rises_from_zero_to_one_and_matches_the_service_level(results, counted):
    fig = plots.wait_ecdf(results, ["chat"])
    (ax,) = fig.axes
    (curve,) = _curves(ax)
    y = curve.get_ydata()
    assert y[0] == 0.0
    assert y[-1] == pytest.approx(1.0)
    assert np.all(np.diff(y) >= 0)
    # At the service-level threshold the ECDF is the share answered within it, which the
    # metrics give as service_level x offered; every chat arrival is offered here.
    metrics = results.metrics().query("queue == 'chat'")
    within = (metrics["service_level"] * metrics["arrivals"]).sum()
    unit = _unit_seconds(ax.get_xlabel())
    x = curve.get_xdata()
    at = y[np.searchsorted(x, results.scenario.service_level_threshold / unit, "right") - 1]
    assert at == pytest.approx(within / metrics["answered"].sum())
    marker = [ln for ln in ax.get_lines() if ln.get_label().startswith("service-level")]
    assert len(marker) == 1


def test_survival_starts_at_the_share_not_answered_at_once_and_falls(results, counted):
    fig = plots.wait_survival(results, ["chat", "email"])
    (ax,) = fig.axes
    curves = _curves(ax)
    assert [c.get_label() for c in curves] == ["chat", "email"]
    for curve, queue in zip(curves, ["chat", "email"], strict=True):
        waits = _waits(counted, queue)
        y = curve.get_ydata()
        assert curve.get_xdata()[0] == 0.0
        assert y[0] <= 1.0
        assert y[0] == pytest.approx(np.mean(waits > 0))
        assert np.all(np.diff(y) <= 0)
        assert y[-1] == 0.0
    assert ax.get_ylabel() == "P(wait > t)"


def test_survival_on_log_axes_keeps_only_positive_probabilities(results):
    fig = plots.wait_survival(results, log=True, logx=True)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    assert ax.get_xscale() == "symlog"
    for curve in _curves(ax):
        assert np.all(curve.get_ydata() > 0)
    tick_labels = [t.get_text() for t in ax.get_xticklabels()]
    assert tick_labels[:2] == ["0", "1s"]


def test_distributions_accept_a_contacts_table_with_variants(variants):
    frames = [plots.counted_contacts(r).assign(variant=label) for label, r in variants.items()]
    table = pd.concat(frames, ignore_index=True)
    fig = plots.wait_survival(table, ["chat"])
    assert [c.get_label() for c in _curves(fig.axes[0])] == list(variants)


def test_more_agents_shift_the_survival_curve_down(variants):
    """Common random numbers: with more agents fewer answered contacts wait past 1 minute."""
    fig = plots.wait_survival(variants, ["chat"])
    shares = []
    for curve in _curves(fig.axes[0]):
        x, y = curve.get_xdata(), curve.get_ydata()
        shares.append(y[np.searchsorted(x, 1.0, "right") - 1])  # the axis is in minutes
    assert shares == sorted(shares, reverse=True)


# -- hour by hour ---------------------------------------------------------------------------


def test_hour_exposure_covers_the_measurement_window(scenario):
    exposure = plots.hour_exposure(scenario)
    assert len(exposure) == 24
    assert exposure.sum() == pytest.approx((scenario.duration - scenario.warmup) / 3600)
    assert exposure[0] == pytest.approx(1.0)  # the warm-up hour of day 0 is left out
    assert exposure[5] == pytest.approx(2.0)


def test_hourly_profile_shows_24_hours_of_waits_load_and_staff(results, scenario):
    fig = plots.hourly_profile(results, "chat")
    top, bottom, twin = fig.axes
    mean_line, p90_line = top.get_lines()
    hourly = results.hourly().query("queue == 'chat'")
    by_hour = hourly.groupby("hour")
    unit_seconds = _unit_seconds(top.get_ylabel())
    for line, column in ((mean_line, "mean_wait_s"), (p90_line, "p90_wait_s")):
        assert len(line.get_xdata()) == 24
        expected = by_hour[column].mean().reindex(range(24)).to_numpy() / unit_seconds
        np.testing.assert_allclose(line.get_ydata(), expected, equal_nan=True)
    bars = bottom.patches
    assert len(bars) == 24
    # Bars are arrivals per hour; times the hours observed they give every arrival.
    total = sum(
        b.get_height() * e for b, e in zip(bars, plots.hour_exposure(scenario), strict=True) if e
    )
    metrics = results.metrics().query("queue == 'chat'")
    assert total == pytest.approx(metrics["arrivals"].mean())
    (agents,) = twin.get_lines()
    steps = agents.get_ydata()
    assert len(steps) == 25
    assert steps[12] == pytest.approx(3.0)  # the 08:00-20:00 shift
    assert steps[3] == pytest.approx(0.0)
    assert twin.get_ylabel().startswith("agents on shift")
    assert bottom.get_xlabel().startswith("hour of day")
    assert isinstance(top.collections[0], PolyCollection)  # the CI band


def test_hourly_profile_of_a_table_needs_no_results(results):
    fig = plots.hourly_profile(results.hourly(), "email")
    assert fig.axes[1].get_ylabel() == "arrivals per replication"


def test_hourly_profile_of_a_queue_with_no_answer_says_so(results):
    # A queue whose contacts were never answered (nobody on shift) drew an empty wait
    # panel on a made-up 0-0.05 minute axis, with a legend for lines that were not there.
    hourly = results.hourly()
    waits = ["mean_wait_s", "median_wait_s", "p90_wait_s", "p95_wait_s"]
    hourly.loc[hourly["queue"] == "email", waits] = np.nan
    top = plots.hourly_profile(hourly, "email").axes[0]
    assert "no contact answered" in " ".join(t.get_text() for t in top.texts)
    assert top.get_legend() is None
    assert len(plots.hourly_profile(hourly, "chat").axes[0].texts) == 0


def test_titles_with_long_names_stay_inside_the_figure(results):
    # Scenario names have no length limit and queue names reach 64 characters: one long
    # title line was cut off at both edges of the image (hourly, histogram, heat map).
    long = "promotion-peak-of-the-flagship-store-on-the-eleventh-of-november-" * 2
    contacts = results.contacts().assign(scenario=long)
    hourly = results.hourly().assign(scenario=long)
    figures = [
        plots.wait_histogram(contacts, "chat"),
        plots.hourly_profile(hourly, "chat"),
        plots.wait_heatmap(contacts, "chat", scenario=results.scenario),
    ]
    for fig in figures:
        fig.canvas.draw()
        titles = [t for t in [*fig.texts, *(a.title for a in fig.axes)] if t.get_text()]
        assert titles
        for title in titles:
            box = title.get_window_extent()
            assert box.x0 >= 0, title.get_text()
            assert box.x1 <= fig.bbox.x1, title.get_text()


def test_hourly_profile_draws_agents_available_when_breaks_take_some_away():
    data = {
        "name": "breaks",
        "start": "2026-01-05T00:00",
        "duration": "1d",
        "queues": {
            "desk": {
                "arrivals": {"rate": "20/h"},
                "staff": [{"start": "08:00", "end": "20:00", "agents": 4}],
                "breaks": {"every": "2h", "length": "30m"},
                "service": {"dist": "exponential", "mean": "5m"},
            }
        },
    }
    results = sim.run(sim.from_dict(data), replications=1, workers=1)
    twin = plots.hourly_profile(results, "desk").axes[2]
    lines = {line.get_label(): line.get_ydata() for line in twin.get_lines()}
    on_shift, available = lines["agents on shift"], lines["agents available (not on a break)"]
    hourly = results.hourly().set_index("hour")
    np.testing.assert_allclose(available[:24], hourly["agents_available"], equal_nan=True)
    # A quarter of each shift's time is breaks (30 min every 2 h), taken between contacts.
    assert available[8:20].mean() == pytest.approx(0.75 * on_shift[8:20].mean(), rel=0.05)
    assert twin.get_ylabel() == "agents on shift / available"


# -- day by hour ----------------------------------------------------------------------------


def test_heatmap_shows_the_mean_wait_of_each_day_and_hour(results, counted, scenario):
    fig = plots.wait_heatmap(results, "chat")
    ax = fig.axes[0]
    (image,) = [c for c in ax.get_children() if isinstance(c, AxesImage)]
    values = image.get_array()
    assert values.shape == (2, 24)
    clock = Clock(scenario.start)
    rows = counted[(counted["queue"] == "chat") & counted["wait"].notna()]
    day = plots.day_index(rows["arrive"], clock)
    hour = clock.hour_of_day(rows["arrive"].to_numpy())
    cell = (day == 1) & (hour == 14)
    unit = _unit_seconds(fig.axes[1].get_ylabel())
    assert values[1, 14] == pytest.approx(rows["wait"][cell].mean() / unit)
    assert values.mask[0, 0]  # the warm-up hour has no counted contact
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Mon 05 Jan", "Tue 06 Jan"]
    assert "mean wait" in fig.axes[1].get_ylabel()  # the colour bar


def test_heatmap_of_a_table_needs_the_scenario(counted, scenario):
    with pytest.raises(plots.PlotError, match="scenario"):
        plots.wait_heatmap(counted, "chat")
    fig = plots.wait_heatmap(counted, "chat", scenario=scenario)
    assert "chat" in fig.axes[0].get_title()


# -- sweeps ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sweep_table(variants):
    """A sweep table as ``sim sweep --out`` writes it, from the summaries of the variants."""
    frames = []
    for label, res in variants.items():
        table = res.summary().reset_index()
        table.insert(0, "queues.chat.staff.0.agents", int(label.split()[0]))
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def test_varied_columns_are_what_is_neither_id_nor_metric(sweep_table):
    assert plots.varied_columns(sweep_table) == ["queues.chat.staff.0.agents"]


def test_sweep_curve_draws_one_panel_per_queue_with_ci_bands(sweep_table):
    fig = plots.sweep_curve(sweep_table, "mean_wait_s")
    assert len(fig.axes) == 2
    chat = fig.axes[0]
    (line,) = chat.get_lines()
    assert list(line.get_xdata()) == [2, 3, 4]
    unit = _unit_seconds(chat.get_ylabel())
    expected = sweep_table.query("queue == 'chat'")["mean_wait_s"].to_numpy() / unit
    np.testing.assert_allclose(line.get_ydata(), expected)
    (band,) = chat.collections
    low = band.get_paths()[0].vertices[:, 1].min()
    ci = sweep_table.query("queue == 'chat'")["mean_wait_s_ci95"].to_numpy() / unit
    assert low == pytest.approx(min(expected - ci))
    assert chat.get_ylabel().startswith("mean wait (")
    assert fig.axes[-1].get_xlabel() == "queues.chat.staff.0.agents"


def test_sweep_curve_shows_rates_in_percent_and_text_values_as_categories(sweep_table):
    table = sweep_table.assign(
        **{"queues.chat.staff.0.agents": lambda t: "n" + t.iloc[:, 0].astype(str)}
    )
    fig = plots.sweep_curve(table, "abandon_rate", queues=["chat"], xlabel="chat agents")
    (ax,) = fig.axes
    assert ax.get_xlabel() == "chat agents"
    (line,) = ax.get_lines()
    assert list(line.get_xdata()) == [0, 1, 2]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["n2", "n3", "n4"]
    expected = 100 * table.query("queue == 'chat'")["abandon_rate"].to_numpy()
    np.testing.assert_allclose(line.get_ydata(), expected)
    assert ax.get_ylabel() == "abandon rate (%)"


@pytest.mark.parametrize("metric", ["nope", "queue", "queues.chat.staff.0.agents"])
def test_sweep_curve_rejects_an_unknown_metric_listing_the_table_s(sweep_table, metric):
    # sim plot --sweep ... --metric nope said the column was missing, not which to give;
    # an identifier or varied column is no metric either.
    with pytest.raises(plots.PlotError) as caught:
        plots.sweep_curve(sweep_table, metric)
    said, listed = str(caught.value).split("; its metrics are: ")
    assert said == f"the sweep table has no metric {metric!r}"
    assert listed.split(", ") == [m for m in METRICS if m in sweep_table]


# -- the document against the simulation ----------------------------------------------------

VALIDATION = pd.DataFrame(
    [
        # within tolerance: 240 s against 252 s +- 25.2 s
        ("s", "live", "mean_wait", 252.0, 240.0, 15.0, "10%", True),
        # missed by 2 tolerances: 0.55 against 0.61 +- 0.03
        ("s", "live", "resolution_rate", 0.61, 0.55, 0.02, 0.03, False),
        # missed by 10 tolerances: drawn as an arrow at the edge
        ("s", "email", "resolution_rate", 0.89, 0.59, 0.01, 0.03, False),
    ],
    columns=["scenario", "queue", "metric", "value", "simulated", "ci95", "tolerance", "passed"],
)


def test_document_comparison_puts_every_target_on_the_tolerance_scale():
    fig = plots.document_comparison(VALIDATION)
    ax, right = fig.axes
    assert ax.get_title() == "Document vs simulation: 1 of 3 targets within tolerance"
    points = [ln for ln in ax.get_lines() if ln.get_marker() in {"o", "X", "<", ">"}]
    row_of = {y: i for i, y in enumerate(ax.get_yticks())}  # target rows, top to bottom
    x = {row_of[ln.get_ydata()[0]]: ln.get_xdata()[0] for ln in points}
    assert x[0] == pytest.approx((240 - 252) / 25.2)
    assert x[1] == pytest.approx(-2.0)
    assert x[2] == -4.0  # clipped at the edge
    colours = {row_of[ln.get_ydata()[0]]: ln.get_color() for ln in points}
    assert colours[0] == plots.OKABE_ITO[0]
    assert colours[1] == colours[2] == plots.OKABE_ITO[3]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["live · mean wait", "live · resolution rate", "email · resolution rate"]
    figures = [t.get_text() for t in right.get_yticklabels()]
    assert figures[0] == "doc 4m12s ± 25.2s   sim 4m ± 15s"
    assert figures[1] == "doc 61.0% ± 3.0 pp   sim 55.0% ± 2.0 pp"


def test_document_comparison_draws_rows_read_back_from_json_without_a_ci():
    # The docstring names the --json rows as input; with one replication their ci95 is
    # null in every row, a column of None that the figures' text took for a number
    # (TypeError: must be real number, not NoneType).
    rows = VALIDATION.astype({"ci95": object}).assign(ci95=None)
    fig = plots.document_comparison(rows)
    figures = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert figures[0] == "doc 4m12s ± 25.2s   sim 4m"


def test_document_comparison_opens_the_band_of_one_sided_targets():
    rows = VALIDATION.assign(bound=["equal", "at_most", "at_least"], tolerance=[25.2, 0.0, 0.03])
    ax = plots.document_comparison(rows).axes[0]
    bands = sorted(
        (p.get_y() + p.get_height() / 2, p.get_x(), p.get_x() + p.get_width()) for p in ax.patches
    )
    left, right = ax.get_xlim()
    assert bands[0][1:] == (pytest.approx(-1.0), pytest.approx(1.0))
    assert bands[1][1:] == (pytest.approx(left), pytest.approx(0.0))  # at most, no tolerance
    assert bands[2][1:] == (pytest.approx(-1.0), pytest.approx(right))


def test_document_comparison_groups_several_scenarios_under_headers():
    rows = pd.concat([VALIDATION, VALIDATION.assign(scenario="t")], ignore_index=True)
    ax = plots.document_comparison(rows).axes[0]
    labels = ax.get_yticklabels()
    headers = [t.get_text() for t in labels if t.get_fontweight() == "bold"]
    assert headers == ["s", "t"]
    assert len(labels) == len(rows) + 2
    assert [t.get_text() for t in labels].index("t") == 4  # after s's three targets


def test_document_comparison_needs_the_validate_columns():
    with pytest.raises(plots.PlotError, match="lacks columns: passed"):
        plots.document_comparison(VALIDATION.drop(columns="passed"))


# -- sim plot -------------------------------------------------------------------------------

SHIPPED = "scenarios/small_merchant_order_chat.yaml"


@pytest.fixture
def sim_main():
    """The ``sim`` command, in-process."""
    return sim.cli.main


def test_sim_plot_writes_a_png(sim_main, tmp_path, capsys):
    out = tmp_path / "survival.png"
    code = sim_main(["plot", SHIPPED, "--kind", "survival", "-n", "2", "--out", str(out)])
    assert code == 0
    data = out.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 20_000
    assert str(out) in capsys.readouterr().out


def test_sim_plot_without_out_writes_scenario_kind_png_here_and_says_so_in_json(
    sim_main, tmp_path, capsys, monkeypatch
):
    # No test left out --out, nor asked for --json: the default name is the scenario's
    # stem and the kind, in the working folder.
    shipped = Path(SHIPPED).resolve()
    monkeypatch.chdir(tmp_path)
    assert sim_main(["plot", str(shipped), "--kind", "ecdf", "-n", "1", "--json"]) == 0
    written = f"{shipped.stem}_ecdf.png"
    assert json.loads(capsys.readouterr().out) == {"written": [written]}
    assert (tmp_path / written).read_bytes().startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("kind", ["wait", "ecdf", "hourly", "heatmap"])
def test_sim_plot_writes_an_svg_of_every_kind(sim_main, tmp_path, kind):
    out = tmp_path / f"{kind}.svg"
    code = sim_main(
        ["plot", SHIPPED, "--kind", kind, "-n", "2", "--queue", "order_chat", "--out", str(out)]
    )
    assert code == 0
    root = ET.parse(out).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert out.stat().st_size > 10_000


def test_sim_plot_draws_a_sweep_csv(sim_main, tmp_path, sweep_table):
    csv = tmp_path / "sweep.csv"
    sweep_table.to_csv(csv, index=False)
    out = tmp_path / "sweep.png"
    assert (
        sim_main(["plot", "--sweep", str(csv), "--metric", "service_level", "--out", str(out)]) == 0
    )
    assert out.read_bytes().startswith(PNG_SIGNATURE)


def test_sim_plot_of_an_unknown_sweep_metric_lists_the_metrics(
    sim_main, tmp_path, capsys, sweep_table
):
    # It said the table "has no column 'nope'", not which metrics it would take.
    csv, out = tmp_path / "sweep.csv", tmp_path / "sweep.png"
    sweep_table.to_csv(csv, index=False)
    assert sim_main(["plot", "--sweep", str(csv), "--metric", "nope", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    listed = ", ".join(m for m in METRICS if m in sweep_table)
    assert err == f"error: {csv}: the sweep table has no metric 'nope'; its metrics are: {listed}\n"
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["plot"], "either a SCENARIO or --sweep"),
        (["plot", SHIPPED, "--out", "x.jpg"], "--out must end in"),
        (["plot", SHIPPED, "--kind", "hourly", "--queue", "a", "--queue", "b"], "one queue"),
        (["plot", SHIPPED, "--queue", "nope", "-n", "1", "--out", "{tmp}/x.png"], "no queue"),
        (["plot", "--sweep", "{tmp}/missing.csv"], "cannot read"),
        (["plot", "--sweep", "{tmp}/s.csv", "--set", "a=1"], "apply to a SCENARIO"),
        # An axis the figure does not have: the option was ignored without a word.
        (["plot", SHIPPED, "--kind", "ecdf", "--log"], "--log applies to --kind wait and"),
        (["plot", SHIPPED, "--kind", "hourly", "--logx"], "not to --kind hourly"),
        (["plot", "--sweep", "{tmp}/s.csv", "--log"], "not to --sweep"),
    ],
)
def test_sim_plot_bad_input_exits_2_with_a_message(sim_main, tmp_path, capsys, argv, message):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    try:
        code = sim_main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err


def test_write_standard_plots_writes_pngs_per_queue(results, tmp_path):
    written = write_standard_plots(results, tmp_path / "plots")
    names = {p.name for p in written}
    for queue in ("chat", "email"):
        for kind in ("wait_histogram", "wait_survival", "hourly", "wait_heatmap"):
            assert f"{kind}_{queue}.png" in names
    assert "wait_survival.png" in names
    for path in written:
        assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_figures_are_not_left_in_pyplot(results):
    """The object API leaves no figure open in pyplot's registry (no leaks, no duplicates)."""
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plots.wait_histogram(results)
    plots.hourly_profile(results)
    assert plt.get_fignums() == before


def test_series_styles_stay_distinct_and_skip_the_faint_yellow():
    styles = [plot_base.line_style(i) for i in range(28)]
    assert len({(s["color"], s["linestyle"]) for s in styles}) == 28
    assert "#F0E442" not in {s["color"] for s in styles}


# -- CJK queue names ------------------------------------------------------------------------


def _cjk_figure(label: str = "客服.邮件"):
    fig = plot_base.new_figure(3, 2)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], label=label)
    ax.set_title(f"{label} waits")
    ax.set_yticks([0, 1], [label, "chat"])
    ax.legend()
    return fig


def _draw(fig, kind: str = "png") -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format=kind)
    return caught


@pytest.fixture
def no_cjk_font(monkeypatch):
    from sim.plots import fonts

    monkeypatch.setattr(fonts, "installed_cjk_fonts", lambda: ())
    monkeypatch.setattr(fonts, "_warned", False)


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_cjk_text_without_a_cjk_font_warns_once_naming_the_fix(no_cjk_font, kind):
    # Chinese queue names drew as boxes with one "Glyph ... missing" warning per character
    # (and per figure): nothing said what to do about it.
    from sim.plots.fonts import CJKFontWarning

    caught = _draw(_cjk_figure(), kind) + _draw(_cjk_figure("直播间"), kind)
    assert [w.category for w in caught] == [CJKFontWarning]
    said = str(caught[0].message)
    assert "Noto Sans CJK" in said
    assert "apt-get install fonts-noto-cjk" in said
    assert _draw(_cjk_figure("chat")) == []


def test_installed_cjk_fonts_follow_every_text_of_a_figure(monkeypatch):
    # No CJK font can be counted on here: a font matplotlib ships stands in for one, and
    # every text, tick labels and legend included, must fall back to it after its own.
    from matplotlib.text import Text

    from sim.plots import fonts

    monkeypatch.setattr(fonts, "installed_cjk_fonts", lambda: ("DejaVu Serif",))
    fig = _cjk_figure()
    assert not [w for w in _draw(fig) if w.category is fonts.CJKFontWarning]
    texts = [t for t in fig.findobj(Text) if t.get_text()]
    assert {"客服.邮件 waits", "客服.邮件", "chat"} <= {t.get_text() for t in texts}
    assert all(t.get_fontfamily()[-1] == "DejaVu Serif" for t in texts)


@pytest.mark.skipif(not installed_cjk_fonts(), reason="no CJK font on this machine")
def test_an_installed_cjk_font_draws_the_glyphs():
    caught = _draw(_cjk_figure())
    assert not [w for w in caught if "missing from font" in str(w.message)]


def test_the_command_line_says_the_cjk_warning_in_one_line(no_cjk_font, tmp_path, capsys):
    data = {"name": "cjk", "start": "2026-01-05T00:00", "duration": "2h", "seed": 1,
            "queues": {"客服.邮件": {"arrivals": {"rate": "40/h"}, "staff": 1,
                                  "service": {"dist": "exponential", "mean": "1m"}}}}  # fmt: skip
    path = tmp_path / "cjk.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "waits.png"
    argv = ["plot", str(path), "--kind", "wait", "-n", "1", "--workers", "1", "--out", str(out)]
    assert sim.cli.main(argv) == 0
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if "CJK" in line] == [err[-1]]
    assert err[-1].startswith("warning: no CJK font is installed")


def test_hourly_wait_axis_reaches_the_longest_wait_drawn(results):
    # The wait axis was fixed at 0-1 before the lines were drawn: every wait longer than
    # one unit of the axis (an email desk's hours, a chat's 3 minutes) ran off the top.
    for queue in ("chat", "email"):
        top = plots.hourly_profile(results, queue).axes[0]
        mean_line, p90_line = top.get_lines()
        (band,) = top.collections
        drawn = [mean_line.get_ydata(), p90_line.get_ydata(), band.get_paths()[0].vertices[:, 1]]
        highest = max(float(np.nanmax(y)) for y in drawn)
        assert highest > 1.0, queue  # the case that was cut: waits past one unit
        assert top.get_ylim()[0] == 0.0
        assert top.get_ylim()[1] >= highest, queue


def _shown_as_math(fig) -> list[str]:
    """Texts of a drawn figure that matplotlib renders as mathtext."""
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t._preprocess_math(t.get_text())[1]]


def test_dollar_signs_in_names_and_values_are_drawn_as_written(results, sweep_table):
    # Text between two '$' is mathtext to matplotlib: a scenario named 'Fee $1 or $2'
    # drew '1 or ' in math italics, and '$\x$' stopped the figure with a parse error
    # (a traceback from sim plot, and from sim run --report after the whole run).
    name = r"Fee $1 or $2, $\x$ and $^$"
    contacts = results.contacts().assign(scenario=name)
    hourly = results.hourly().assign(scenario=name)
    varied = "queues.chat.channel"
    sweep = sweep_table.assign(**{varied: sweep_table.iloc[:, 0].map(lambda n: f"${n}\\x$")})
    figures = [
        plots.wait_histogram(contacts, "chat"),
        plots.wait_survival(contacts, "chat", log=True, logx=True),
        plots.hourly_profile(hourly, "chat"),
        plots.wait_heatmap(contacts, "chat", scenario=results.scenario),
        plots.sweep_curve(sweep, "mean_wait_s", param=varied, xlabel=name),
    ]
    for fig in figures:
        for _ in range(2):  # a notebook draws a figure again: still as written
            fig.savefig(io.BytesIO(), format="png")
        texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
        assert any("$" in t for t in texts)
        # Only the numbers of a logarithmic axis (10^-2) may be mathtext.
        assert [t for t in _shown_as_math(fig) if "mathdefault" not in t] == []
    assert any("mathdefault" in t for t in _shown_as_math(figures[1]))  # 10^-1 stays so
    (ax,) = figures[-1].axes[-1:]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["$2\\x$", "$3\\x$", "$4\\x$"]


def test_a_legend_of_many_long_names_stays_inside_the_figure():
    # A survival plot of 60 queues put their legend in one column beside the axes, in a
    # fixed 2.5 inches: entries past the 18th fell off the bottom of the image, names
    # were cut at the right edge, and constrained layout gave up with a warning.
    rng = np.random.default_rng(7)
    names = [
        f"q{i:02d}_" + "livestream_flagship_store_desk_of_the_promotion_peak"[: i % 61]
        for i in range(60)
    ]
    contacts = pd.DataFrame(
        {"queue": np.repeat(names, 20), "wait": rng.exponential(60.0, 20 * len(names))}
    )
    fig = plots.wait_survival(contacts, names, threshold=60.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # constrained layout's "axes sizes collapsed"
        fig.savefig(io.BytesIO(), format="png")
    (ax,) = fig.axes
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()][:60] == names
    box, page = legend.get_window_extent(), fig.bbox
    assert page.contains(box.x0, box.y0)
    assert page.contains(box.x1, box.y1)
    assert ax.get_window_extent().width / fig.dpi > 5.5  # the curves keep their room


@pytest.mark.parametrize("kind", ["svg", "pdf", "png"])
def test_the_same_figure_saved_twice_is_the_same_file(results, tmp_path, kind):
    # sim plot --out x.svg wrote the time of saving (<dc:date>) and random clip-path ids
    # into the file, --out x.pdf a CreationDate: the same plot of the same seed was a
    # different file every time (a changed file in version control on every run).
    from sim.report.figures import save_figure

    paths = [tmp_path / f"{n}.{kind}" for n in (1, 2)]
    for path in paths:
        save_figure(plots.wait_survival(results, ["chat"], logx=True), path)
    first, second = (p.read_bytes() for p in paths)
    assert first == second
    assert b"<dc:date>" not in first
    assert b"CreationDate" not in first


def test_the_cjk_warning_is_for_cjk_text_only(no_cjk_font):
    # Any wide character counted as CJK: a scenario named with an emoji (which DejaVu
    # Sans draws) was told "no CJK font is installed ... drawn as boxes". Half-width
    # katakana, which DejaVu Sans lacks, drew as boxes with a warning per glyph instead.
    from sim.plots.fonts import CJKFontWarning

    for label in ("Peak 😀 desk", "⌚ watch desk"):
        assert not [w for w in _draw(_cjk_figure(label)) if w.category is CJKFontWarning]
    caught = _draw(_cjk_figure("ｶｽﾀﾏｰ"))
    assert [w.category for w in caught] == [CJKFontWarning]


def _one_day_backtest():
    """A fit's back-test of a one-day log, as ``FitResult.backtest()`` gives it."""
    from types import SimpleNamespace

    row = {"queue": "desk", "date": "2026-11-16"}
    for metric, (observed, simulated, band) in {
        "arrivals": (212.0, 216.5, 40.0),
        "abandon_rate": (0.04, 0.05, 0.01),
        "mean_wait_s": (24.0, 37.0, 9.0),
        "service_level": (0.87, 0.77, 0.05),
    }.items():
        row |= {f"observed_{metric}": observed, f"observed_{metric}_low": observed * 0.9,
                f"observed_{metric}_high": observed * 1.1, f"simulated_{metric}": simulated,
                f"simulated_{metric}_band": band}  # fmt: skip
    daily = pd.DataFrame([row])
    return SimpleNamespace(backtest=lambda: SimpleNamespace(daily=daily, replications=2)), row


def test_a_one_day_back_test_draws_the_simulated_day_too():
    # A log of one day gave each panel one x: the simulated mean (a line) and its range
    # (a band) need two points to show, so only the observed point was drawn, under a
    # legend naming the simulated line and band that were not there.
    result, row = _one_day_backtest()
    fig = plots.backtest_figure(result, "desk")
    metrics = ["arrivals", "abandon_rate", "mean_wait_s", "service_level"]
    for ax, metric in zip(fig.axes, metrics, strict=True):
        bars = [c for c in ax.containers if c.get_label().startswith("simulated")]
        assert len(bars) == 1, metric
        point, _, (ranges,) = bars[0].lines
        scale = row[f"simulated_{metric}"] / point.get_ydata()[0]
        assert point.get_marker() not in {"None", "", None}
        (segment,) = ranges.get_segments()
        low, high = sorted(segment[:, 1] * scale)
        assert low == pytest.approx(row[f"simulated_{metric}"] - row[f"simulated_{metric}_band"])
        assert high == pytest.approx(row[f"simulated_{metric}"] + row[f"simulated_{metric}_band"])


def test_a_sweep_of_one_variant_draws_its_ci(sweep_table):
    # One value swept (sim sweep --vary queues.x.staff=3): the band of one x drew
    # nothing, so the point had no CI although the title says "band: 95% CI".
    one = sweep_table[sweep_table["queues.chat.staff.0.agents"] == 3]
    fig = plots.sweep_curve(one, "mean_wait_s")
    assert "(bar: 95% CI)" in fig.get_suptitle()
    for ax, (_, row) in zip(fig.axes, one.iterrows(), strict=True):
        (bar,) = ax.containers
        point, _, (ranges,) = bar.lines
        unit = _unit_seconds(ax.get_ylabel())
        assert point.get_ydata()[0] == pytest.approx(row["mean_wait_s"] / unit)
        (segment,) = ranges.get_segments()
        half = row["mean_wait_s_ci95"] / unit
        assert sorted(segment[:, 1]) == pytest.approx([point.get_ydata()[0] - half,
                                                       point.get_ydata()[0] + half])  # fmt: skip


def test_sim_plot_of_a_queue_nobody_answered_names_the_file_and_queue(sim_main, tmp_path, capsys):
    # The message was "error: no answered contacts to plot": neither the scenario file
    # nor the queue that had none.
    data = {"name": "idle", "start": "2026-01-05T00:00", "duration": "2h", "seed": 1,
            "queues": {"idle": {"staff": 1, "service": {"dist": "exponential", "mean": "1m"}},
                       "busy": {"arrivals": {"rate": "10/h"}, "staff": 1,
                                "service": {"dist": "exponential", "mean": "1m"}}}}  # fmt: skip
    path = tmp_path / "idle.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "idle.png"
    argv = ["plot", str(path), "--queue", "idle", "-n", "1", "--workers", "1", "--out", str(out)]
    assert sim_main(argv) == 2
    err = capsys.readouterr().err
    assert err == f"error: {path}: no answered contacts to plot at queue 'idle'\n"
    assert not out.exists()


def test_a_heatmap_of_a_year_stays_a_readable_size(scenario):
    # Each calendar day took a 0.35-inch row with its own date label: a ticket desk run
    # over a year drew a 130-inch (19,500-pixel) tall image with 365 date labels, and a
    # run of 1,300 days one 68,580 pixels tall.
    days = 365
    rng = np.random.default_rng(3)
    arrive = np.sort(rng.uniform(0, days * 86400.0, 20_000))
    contacts = pd.DataFrame(
        {"queue": "desk", "arrive": arrive, "wait": rng.exponential(3600.0, len(arrive))}
    )
    fig = plots.wait_heatmap(contacts, "desk", scenario=scenario)
    ax = fig.axes[0]
    (image,) = [c for c in ax.get_children() if isinstance(c, AxesImage)]
    assert image.get_array().shape == (days, 24)  # every day still has its row
    assert fig.get_figheight() <= 30
    fig.savefig(io.BytesIO(), format="png")
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert 12 <= len(labels) <= 60
    assert labels[0] == Clock(scenario.start).date(0).strftime("%a %d %b %Y")  # two years


def test_a_sweep_panel_of_a_queue_without_the_metric_says_so(sweep_table):
    # A queue nobody reached has no mean wait in any variant: its panel was an empty
    # 0-0.05 axis with no word, like a figure that failed to draw.
    table = sweep_table.copy()
    table.loc[table["queue"] == "email", ["mean_wait_s", "mean_wait_s_ci95"]] = np.nan
    chat, email = plots.sweep_curve(table, "mean_wait_s").axes
    assert "no mean wait at this queue in any variant" in [t.get_text() for t in email.texts]
    assert len(chat.texts) == 0


@pytest.mark.parametrize("survival", [True, False])
def test_curves_of_waits_that_are_all_zero_are_drawn_across_the_axis(survival):
    # A bot answering everyone at once: every wait 0. Its survival curve was the single
    # point (0, 0), which a step line does not draw (and which the axis' spine covered):
    # the figure looked empty; its ECDF was a jump on the y axis and nothing after it.
    contacts = pd.DataFrame(
        {"queue": ["bot"] * 5 + ["desk"] * 5, "wait": [0.0] * 5 + [10, 20, 30, 40, 50]}
    )
    draw = plots.wait_survival if survival else plots.wait_ecdf
    fig = draw(contacts, ["bot", "desk"], threshold=60.0)
    ax = fig.axes[0]
    bot, desk = (line for line in ax.get_lines() if line.get_label() in {"bot", "desk"})
    right = ax.get_xlim()[1]
    for line, level in ((bot, 0.0 if survival else 1.0), (desk, 0.0 if survival else 1.0)):
        x, y = line.get_xdata(), line.get_ydata()
        assert x[0] == 0.0
        assert x[-1] == pytest.approx(right)  # on to the end of the axis
        assert y[-1] == level
    assert ax.get_ylim()[0] < 0  # a curve at 0 is not under the axis line
    if survival:
        log = plots.wait_survival(contacts, ["bot", "desk"], log=True).axes[0]
        labels = [t.get_text() for t in log.get_legend().get_texts()]
        assert labels[:2] == ["bot (every wait 0: none on a log axis)", "desk"]
        (desk,) = (line for line in log.get_lines() if line.get_label() == "desk")
        assert desk.get_xdata()[-1] < 50  # not drawn on past its last positive step


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (lambda t: t.iloc[:0], "the sweep table has no rows"),
        (lambda t: t.assign(mean_wait_s=["soon"] * len(t)), "'mean_wait_s' is not a number"),
        (lambda t: t.assign(mean_wait_s_ci95="wide"), "'mean_wait_s_ci95' is not a number"),
        (lambda t: t.drop(columns="queue"), "a sweep table needs a 'queue' column"),
    ],
)
def test_sim_plot_of_a_sweep_csv_edited_by_hand_is_bad_input(
    sim_main, tmp_path, capsys, sweep_table, *, edit, said
):
    # A header-only sweep CSV and a metric column holding text ended sim plot --sweep in
    # a ValueError or TypeError traceback from inside matplotlib and pandas.
    csv, out = tmp_path / "sweep.csv", tmp_path / "sweep.png"
    edit(sweep_table).to_csv(csv, index=False)
    assert sim_main(["plot", "--sweep", str(csv), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {csv}: ")
    assert said in err
    assert len(err.splitlines()) == 1
    assert not out.exists()
