"""The load bench's report (bench/load/run.py): what counts as an error, the knee, PASS and FAIL.

The bench itself runs in CI as ``make bench-load-smoke``; these check its arithmetic on made-up samples.
"""

import importlib.util
import os
import sys
from pathlib import Path
from unittest import mock

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path[:0] = [str(BENCH / "load"), str(BENCH)]
with mock.patch.dict(os.environ):  # bench/institutions_api.py sets its own defaults when imported
    import institutions_api  # noqa: F401

_spec = importlib.util.spec_from_file_location("bench_load_run", BENCH / "load" / "run.py")
load = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(load)

from mix import EXPECTED, MIX  # noqa: E402


class NoCpu:
    def between(self, start, end):
        return {}


def result_of(stages, users=4):
    """A Locust result: per stage (rate, ms of every request, achieved share of the rate, status of one API list)."""
    samples, windows, t = [], [], 1_000_000.0
    for rate, ms, achieved, odd_status in stages:
        count = round(rate * 10 * achieved)  # 10 s per stage
        kinds = [kind for kind, slots in MIX.items() for _ in range(slots)]
        for i in range(count):
            kind = kinds[i % len(kinds)]
            samples.append([kind, t + i * 10 / count, ms, EXPECTED[kind], None, None])
        if odd_status is not None:
            samples.append(["API list", t + 5, ms, odd_status, f"{odd_status}", "page 1 of 20 (own token)"])
        windows.append({"rate": rate, "start": t, "end": t + 10})
        t += 10
    sign_ins = [["admin sign-in", 999_990.0 + i, 400.0, 302, None, None] for i in range(users)]
    return {"signed_in": users, "stages": windows, "samples": sign_ins + samples, "rates": [s[0] for s in stages]}


def report(stages, smoke=False):
    result = result_of(stages)
    analysed, knee, sign_in = load.analyse(result, NoCpu())
    passed, reasons, _latency = load.verdict(analysed, sign_in, result, 4, smoke)
    return analysed, knee, passed, reasons


def test_a_429_is_counted_apart_a_5xx_and_no_answer_are_server_errors():
    statuses = [200, 429, 500, 503, 0, 404, 200, 200]
    stats = load.type_stats([["API list", 0.0, 10.0 * (i + 1), s, None, None] for i, s in enumerate(statuses)])
    assert stats["requests"] == 8
    assert (stats["ok"], stats["throttled"], stats["server_error"], stats["unexpected"]) == (3, 1, 3, 1)
    assert stats["errors"] == 4
    # Of the answers that were as expected (10, 70 and 80 ms), nearest rank.
    assert (stats["p50_ms"], stats["p95_ms"], stats["p99_ms"]) == (70.0, 80.0, 80.0)


def test_the_knee_is_the_last_rate_whose_p95_stays_within_1_5_times_the_lowest_rates():
    _stages, knee, passed, reasons = report([(5, 100.0, 1, None), (10, 150.0, 1, None), (20, 151.0, 1, None)])
    assert knee == 10
    assert passed, reasons  # 151 ms at 20 requests/s is within the 300 ms target


def test_a_rate_not_achieved_is_past_the_knee_however_flat_its_p95():
    stages, knee, _passed, _reasons = report([(5, 100.0, 1, None), (10, 100.0, 1, None), (20, 100.0, 0.8, None)])
    assert stages[2]["achieved_rps"] == 16.0
    assert knee == 10


@pytest.mark.parametrize("status", [500, 0])
def test_one_server_error_at_any_rate_fails_the_run(status):
    _stages, _knee, passed, reasons = report([(5, 50.0, 1, None), (20, 50.0, 1, None), (40, 50.0, 1, status)])
    assert not passed
    assert reasons == ["1 answers were 5xx or never came"]


def test_429s_alone_do_not_fail_the_run():
    stages, _knee, passed, reasons = report([(5, 50.0, 1, None), (20, 50.0, 1, 429)])
    assert passed, reasons
    assert stages[1]["types"]["API list"]["throttled"] == 1


def test_api_lists_slower_than_300_ms_at_20_requests_a_second_fail_the_run_but_not_the_smoke():
    stages = [(5, 250.0, 1, None), (20, 301.0, 1, None)]
    _stages, _knee, passed, reasons = report(stages)
    assert not passed
    assert reasons == ["API list p95 at 20 requests/s is 301.0 ms (target ≤ 300 ms)"]
    assert report(stages, smoke=True)[2] is True


def test_percentiles_are_nearest_rank():
    stats = load.type_stats([["API list", 0.0, float(ms), 200, None, None] for ms in range(1, 21)])
    # 20 answers of 1…20 ms: p95 is the 19th (95 % of them at or below it), not the slowest.
    assert (stats["p50_ms"], stats["p95_ms"], stats["p99_ms"]) == (10.0, 19.0, 20.0)
    hundred = load.type_stats([["API list", 0.0, float(ms), 200, None, None] for ms in range(1, 101)])
    assert (hundred["p95_ms"], hundred["p99_ms"]) == (95.0, 99.0)


def test_the_knee_is_measured_from_the_lowest_rate_whatever_order_the_rates_ran_in():
    _stages, knee, _passed, _reasons = report([(20, 151.0, 1, None), (5, 100.0, 1, None), (10, 150.0, 1, None)])
    assert knee == 10  # 151 ms at 20 is over 1.5 × the 100 ms at 5, the lowest rate, not the first run


def test_requests_unanswered_when_the_run_ends_fail_it():
    result = result_of([(5, 50.0, 1, None), (20, 50.0, 1, None)])
    result["unfinished"] = 2
    analysed, _knee, sign_in = load.analyse(result, NoCpu())
    passed, reasons, _latency = load.verdict(analysed, sign_in, result, 4, False)
    assert not passed and reasons == ["2 requests were still unanswered when the run ended"]


def test_a_sign_in_form_that_fails_fails_the_run():
    result = result_of([(5, 50.0, 1, None), (20, 50.0, 1, None)])
    result["samples"].append(["admin sign-in form", 999_980.0, 30.0, 500, "500", None])
    analysed, _knee, sign_in = load.analyse(result, NoCpu())
    passed, reasons, _latency = load.verdict(analysed, sign_in, result, 4, False)
    assert not passed and reasons == ["1 answers were 5xx or never came"]
    assert sign_in["requests"] == 4  # the sign-ins' times are the four POSTs'
