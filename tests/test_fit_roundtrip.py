"""Round trips: simulate a desk, fit its log, recover the truth, re-simulate the figures.

The desk (:func:`sim.fit.synthetic.desk_scenario`) has shifts with breaks, a bot
overnight, patience, routes to email, weekday weights and a promotion day. One
replication's ``contacts.csv`` is fitted; every true parameter must lie in its fitted
95% CI widened for the number of parameters checked (Bonferroni: the family-wise level
is 95%, so the test fails by chance 5% of the time under a fixed seed, never more).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from sim.fit import synthetic
from sim.fit.arrivals import fit_arrivals
from sim.fit.backtest import figures
from sim.timeline import Clock, shift_instances
from sim.yamlfile import parse_text

DATA = synthetic.desk_scenario()
CHAT = DATA["queues"]["chat"]


def _normalised(weights: list[float]) -> np.ndarray:
    w = np.asarray(weights, float)
    return w / w.mean()


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    out = tmp_path_factory.mktemp("desk")
    truth = sim.run(sim.from_dict(DATA), replications=1, workers=1)
    truth.save(out)
    return sim.fit.fit(out / "contacts.csv", replications=10, workers=1)


def _checks(result) -> list[tuple[str, float, float, float, float, bool]]:
    """(name, truth, estimate, low, high, on log scale) for every parameter checked."""
    chat, email = result.queue("chat"), result.queue("email")
    a = chat.arrivals
    (peak,) = a.peaks
    rows = [
        ("chat rate /h", 22.0, a.rate_per_hour, True),
        ("chat promotion multiplier", 1.8, peak.multiplier, True),
        ("chat handle mean", 240.0, chat.handle.mean, True),
        ("chat handle cv", 0.9, chat.handle.cv, True),
        ("chat patience mean", 300.0, chat.patience.best.mean, True),
        ("chat patience cv", 1.0, chat.patience.best.cv, True),
        ("chat resolution", 0.8, chat.routes.resolution, False),
        ("chat unresolved -> email", 0.6, chat.routes.on_unresolved["email"], False),
        ("chat abandoned -> email", 0.15, chat.routes.on_abandon["email"], False),
        ("chat bot resolution", 0.4, chat.bot.resolution, False),
        ("email handle mean", 720.0, email.handle.mean, True),
        ("email resolution", 0.95, email.routes.resolution, False),
    ]
    out = [(n, t, e.value, e.low, e.high, log) for n, t, e, log in rows]
    weights = [
        ("profile", _normalised(CHAT["arrivals"]["profile"]), a.profile, a.profile_ci),
        ("weekday", _normalised(CHAT["arrivals"]["weekdays"]), a.weekdays, a.weekdays_ci),
    ]
    for what, truth, value, ci in weights:
        out += [
            (f"chat {what} weight {i}", truth[i], value[i], ci[i, 0], ci[i, 1], True)
            for i in range(len(truth))
        ]
    return out


def test_fitted_parameters_recover_the_true_ones(fitted):
    chat = fitted.queue("chat")
    assert chat.handle.chosen == "lognormal"
    assert chat.patience.best.family == "lognormal"
    assert chat.bot.when == "unstaffed"
    email = fitted.queue("email")
    assert email.patience is None
    assert email.arrivals is None
    if email.handle.cv is not None:  # gamma: its cv must allow the true exponential's 1
        assert email.handle.cv.low <= 1.0 <= email.handle.cv.high
    checks = _checks(fitted)
    widen = stats.norm.ppf(1 - 0.025 / len(checks)) / stats.norm.ppf(0.975)
    missed = []
    for name, truth, value, low95, high95, log in checks:
        if log:
            low, high = value * (low95 / value) ** widen, value * (high95 / value) ** widen
        else:
            low, high = value - (value - low95) * widen, value + (high95 - value) * widen
        if not low <= truth <= high:
            missed.append(f"{name}: true {truth:.4g}, fitted {value:.4g} [{low:.4g}, {high:.4g}]")
    assert not missed, missed


def test_backtest_figures_agree_with_the_log_and_with_the_true_scenario(fitted):
    backtest = fitted.backtest()
    metrics = ["arrivals", "abandon_rate", "mean_wait_s", "service_level"]
    overall = backtest.overall.set_index("queue")
    for metric in metrics:
        assert overall.loc["chat", f"plausible_{metric}"], metric
    # Each day's and hour's observed figure lies in one run's 95% range about 95% of the
    # time if the model is right: at least the binomial's 0.1% quantile of them must.
    for table in (backtest.daily, backtest.hourly):
        flags = table[[f"plausible_{m}" for m in metrics]].stack().dropna().astype(bool)
        floor = stats.binom.ppf(0.001, len(flags), 0.95)
        assert flags.sum() >= floor, (int(flags.sum()), len(flags), floor)
    # The fitted scenario's figures against the true scenario's: the fit comes from one
    # replication, so they may differ by about one replication's spread, not more.
    true = sim.run(sim.from_dict(DATA), replications=10, seed=1, workers=1).metrics()
    chat = true[true["queue"] == "chat"]
    for metric, column in [("abandon_rate", "abandon_rate"), ("mean_wait_s", "mean_wait_s"),
                           ("service_level", "service_level")]:  # fmt: skip
        fitted_value = overall.loc["chat", f"simulated_{metric}"]
        spread = stats.t.ppf(0.975, len(chat) - 1) * chat[column].std(ddof=1) * np.sqrt(1.1)
        assert abs(fitted_value - chat[column].mean()) <= spread, metric


def test_arrival_chi_square_is_sane_for_the_model_and_fails_without_it():
    rng = np.random.default_rng(8)
    origin = dt.datetime(2026, 11, 2)
    profile = _normalised(CHAT["arrivals"]["profile"])
    weekdays = _normalised(CHAT["arrivals"]["weekdays"])
    hours = np.arange(21 * 24)
    rate = 20 * profile[hours % 24] * weekdays[(hours // 24) % 7]
    counts = rng.poisson(rate)
    times = np.repeat(hours * 3600.0, counts) + rng.uniform(0, 3600, counts.sum())
    good = fit_arrivals("q", times, origin, (0.0, hours.size * 3600.0))
    assert good.p_value > 0.001
    assert not good.peaks
    # Weekends with their own daily shape (evenings): not an hour x weekday product.
    evening = np.roll(profile, 8)
    weekend = (hours // 24) % 7 >= 5
    rate2 = np.where(weekend, 20 * evening[hours % 24], rate)
    counts2 = rng.poisson(rate2)
    times2 = np.repeat(hours * 3600.0, counts2) + rng.uniform(0, 3600, counts2.sum())
    bad = fit_arrivals("q", times2, origin, (0.0, hours.size * 3600.0))
    assert bad.p_value < 1e-6


def test_staffing_recovers_the_schedule_and_availability_sees_breaks(desk_logs):
    clean = desk_logs[0]
    result = sim.fit.fit(clean, replications=2, workers=1)
    table = result.queue("chat").staffing.intervals
    scenario = sim.from_dict(DATA)
    instances = shift_instances(scenario.queues["chat"].staff, Clock(scenario.start), 14 * 86400)
    minutes = np.arange(0, 14 * 86400, 60.0)
    on_shift = sum(((minutes >= i.start) & (minutes < i.end)).astype(float) for i in instances)
    truth = on_shift.reshape(-1, 60).mean(axis=1)
    effective = table["effective"].to_numpy()[: len(truth)]
    present = table["present"].to_numpy()[: len(truth)]
    # Agent-hours within 5%: presence starts at a first answer and ends at a last
    # service end, a few minutes off each shift edge.
    assert abs(effective.sum() / truth.sum() - 1) < 0.05
    # Breaks: people stay "present" across them; the availability factor takes them out.
    on_break = present - truth > 0.2
    assert on_break.sum() >= 20
    assert (
        np.abs(effective - truth)[on_break].mean() < 0.6 * np.abs(present - truth)[on_break].mean()
    )
    assert (table["availability"].dropna() <= 1 + 1e-9).all()


def test_the_email_desks_fitted_staff_waits_as_long_as_its_true_staff():
    # The email desk closes at 18:00 on a backlog, and the log's last day only shows its
    # agents while they work off the period's messages. Presence to a last service end
    # kept a fitted agent on shift through its last contact (answering more that
    # evening), and dropped the staff once the log's backlog was done (a run with more
    # left some unanswered, leaving out the longest waits): 0.5 h shorter on average.
    # Per log, the fitted scenario against the same with the desk's true staff, on
    # common random numbers; over logs, the mean difference's 95% t interval must hold 0.
    logs, runs = 8, 5
    differences = []
    for k in range(logs):
        log = synthetic.simulate_log(DATA, replication=k, people=synthetic.desk_people())
        fitted = parse_text(sim.fit.fit(log, replications=1, workers=1).to_yaml())
        waits = []
        for staff in (None, DATA["queues"]["email"]["staff"]):
            if staff is not None:
                fitted["queues"]["email"]["staff"] = staff
            rows = sim.run(sim.from_dict(fitted), replications=runs, seed=1, workers=1).metrics()
            email = rows[rows["queue"] == "email"]
            assert (email["answered"] == email["arrivals"]).all(), k  # none left waiting
            waits.append(email["mean_wait_s"].mean())
        differences.append(waits[0] - waits[1])
    d = np.array(differences)
    half = stats.t.ppf(0.975, logs - 1) * d.std(ddof=1) / np.sqrt(logs)
    assert abs(d.mean()) <= half, (d / 3600, half / 3600)


def recovery_table() -> str:
    """Every true parameter beside its fitted value and 95% CI, as a Markdown table."""
    with tempfile.TemporaryDirectory() as folder:
        sim.run(sim.from_dict(DATA), replications=1, workers=1).save(Path(folder))
        result = sim.fit.fit(Path(folder) / "contacts.csv", replications=10, workers=1)
    checks = _checks(result)
    lines = ["| parameter | true | fitted | 95% CI | inside |", "|---|---|---|---|---|"]
    for name, truth, value, low, high, _ in checks:
        inside = "yes" if low <= truth <= high else "no"
        lines.append(f"| {name} | {truth:.4g} | {value:.4g} | {low:.4g}-{high:.4g} | {inside} |")
    inside = sum(low <= truth <= high for _, truth, _, low, high, _ in checks)
    lines.append(f"\n{inside} of {len(checks)} true values inside their raw 95% CI")
    return "\n".join(lines)


if __name__ == "__main__":  # python tests/test_fit_roundtrip.py: the recovery table
    print(recovery_table())


def test_a_desk_closed_at_night_and_on_sundays_with_a_promotion_day_fits_finite_weights():
    # Hours and a weekday with no arrivals at all have a factor of 0; the fit must not
    # divide by it (0/0 once a date is freed as a peak made every weight NaN or 0).
    rng = np.random.default_rng(12)
    origin = dt.datetime(2026, 11, 2)  # a Monday
    hours = np.arange(21 * 24)
    clock, day = hours % 24, hours // 24
    open_hours = (clock >= 9) & (clock < 18) & (day % 7 != 6)
    promotion = day == 9  # the second Wednesday, three times the volume
    rate = np.where(open_hours, 10.0, 0.0) * np.where(promotion, 3.0, 1.0)
    counts = rng.poisson(rate)
    times = np.repeat(hours * 3600.0, counts) + rng.uniform(0, 3600, counts.sum())
    fit = fit_arrivals("q", times, origin, (0.0, hours.size * 3600.0))
    assert [p.date for p in fit.peaks] == [dt.date(2026, 11, 11)]
    assert fit.peaks[0].multiplier.covers(3.0)
    # Mean over the week of rate x profile x weekdays: 10/h for 9 of 24 hours, 6 of 7 days.
    assert fit.rate_per_hour.covers(10.0 * 9 / 24 * 6 / 7)
    assert np.isfinite(fit.profile).all()
    assert np.isfinite(fit.weekdays).all()
    assert (fit.profile[:9] == 0).all()
    assert (fit.profile[18:] == 0).all()
    assert fit.weekdays[6] == 0


def test_a_day_missing_from_a_two_week_log_is_the_unusual_date_not_its_twin():
    # Two weeks, every day alike, and Thursday 2026-11-05 missing (an outage, a gap in
    # the export). Its only twin, the next Thursday, must not become a x200 promotion
    # that leaves Thursdays a weight of almost nothing.
    rng = np.random.default_rng(14)
    origin = dt.datetime(2026, 11, 2)  # a Monday
    hours = np.arange(14 * 24)
    counts = rng.poisson(np.where(hours // 24 == 3, 0.0, 10.0))
    times = np.repeat(hours * 3600.0, counts) + rng.uniform(0, 3600, counts.sum())
    fit = fit_arrivals("q", times, origin, (0.0, hours.size * 3600.0))
    assert [p.date for p in fit.peaks] == [dt.date(2026, 11, 5)]
    assert fit.peaks[0].multiplier.value == 0
    assert 0 < fit.peaks[0].multiplier.high < 0.05  # no arrivals where about 240 were due
    low, high = fit.weekdays_ci[3]
    assert low <= 1.0 <= high  # Thursday as busy as any day


def test_backtest_counts_an_answer_exactly_at_the_threshold_as_within_it():
    # Engine times are floats: an answer 60 s after an arrival of 972.69... s is a hair
    # over 60 s as a difference; it is compared with arrive + 60 s, as sim run does.
    arrive = np.array([972.6948361613607, 480.16806312313014, 10.0])
    frame = pd.DataFrame(
        {"queue": "q", "arrive": arrive, "answer": arrive + 60.0, "kind": "bot", "overall": "all"}
    )
    assert (frame["answer"] - frame["arrive"] > 60.0).sum() == 2
    assert figures(frame, ["overall"], 60.0)["service_level"].tolist() == [1.0]


# A hidden entry, a bot's response time and hours closed: the desk above has none of them.
HIDDEN_AND_CLOSED = {
    "name": "hidden-closed",
    "start": "2026-01-05T00:00",
    "duration": "14d",
    "seed": 4,
    "queues": {
        "chat": {
            "arrivals": {"rate": "40/h"},
            "staff": 3,
            "service": {"dist": "exponential", "mean": "3m"},
            "visibility": 0.7,
            "on_not_visible": {"email": 0.5},
            "bot": {
                "when": "always",
                "resolution": 0.3,
                "response": {"dist": "lognormal", "mean": "20s", "cv": 0.5},
            },
        },
        "email": {
            "arrivals": {"rate": "5/h"},
            "staff": {"business_hours": {"agents": 2}},
            "closed": "lost",
            "service": {"dist": "gamma", "mean": "10m", "cv": 1},
        },
    },
}


def test_a_hidden_entry_a_bots_response_time_and_closed_hours_are_fitted(tmp_path):
    # No test fitted a log with not_visible or closed visits, or a bot that takes time
    # to answer: the fit's estimates of them, and the file it writes, had never run.
    sim.run(sim.from_dict(HIDDEN_AND_CLOSED), replications=1, workers=1).save(tmp_path)
    fitted = sim.fit.fit(tmp_path / "contacts.csv", replications=1, workers=1)
    chat, email = fitted.queue("chat"), fitted.queue("email")
    response = chat.bot.response
    assert response is not None
    assert response.family == "lognormal"
    checks = [
        ("visibility", 0.7, chat.routes.visibility),
        ("not visible -> email", 0.5, chat.routes.on_not_visible["email"]),
        ("bot response mean", 20.0, response.mean),
        ("bot response cv", 0.5, response.cv),
    ]
    widen = stats.norm.ppf(1 - 0.025 / len(checks)) / stats.norm.ppf(0.975)
    for name, truth, e in checks:
        low, high = e.value - (e.value - e.low) * widen, e.value + (e.high - e.value) * widen
        assert low <= truth <= high, (name, truth, e)
    assert (email.routes.closed, email.routes.on_closed) == ("lost", {})
    # The written file says the same, and runs.
    queues = fitted.scenario.queues
    assert queues["chat"].visibility == round(chat.routes.visibility.value, 4)
    assert queues["chat"].bot.response.dist == "lognormal"
    assert queues["email"].closed == "lost"
    assert '    closed: "lost"  # visits arriving with nobody on duty' in fitted.to_yaml()
