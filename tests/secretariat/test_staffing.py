import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accueil.secretariat import staffing


def erlang_c_by_factorials(load: float, n: int) -> float:
    """The textbook formula, for comparison on small numbers."""
    top = load**n / math.factorial(n) * n / (n - load)
    return top / (sum(load**k / math.factorial(k) for k in range(n)) + top)


def test_published_example_100_calls_in_30_minutes_of_3_minutes():
    # Call Centre Helper's worked example: 10 Erlangs, 11 agents, 20 s target.
    load = staffing.offered_load(100, 1800, 180)
    assert load == pytest.approx(10)
    assert staffing.probability_of_waiting(load, 11) == pytest.approx(0.6821, abs=1e-4)
    # 1 - 0.6821 * exp(-(11 - 10) * 20 / 180)
    assert staffing.service_level(load, 11, 180, 20) == pytest.approx(0.3896, abs=1e-4)
    assert staffing.average_speed_of_answer(load, 11, 180) == pytest.approx(122.8, abs=0.1)


def test_operators_needed_for_80_20():
    needed = staffing.operators_needed(100, 1800, 180)
    assert needed.operators == 14
    assert needed.service_level >= 0.8
    assert staffing.service_level(needed.load, 13, 180, 20) < 0.8


@given(
    load=st.floats(min_value=0.1, max_value=60),
    extra=st.integers(min_value=1, max_value=30),
)
def test_recurrence_matches_the_textbook_formula(load, extra):
    n = math.floor(load) + extra
    assert staffing.probability_of_waiting(load, n) == pytest.approx(
        erlang_c_by_factorials(load, n), rel=1e-9
    )


@given(load=st.floats(min_value=0.1, max_value=200), extra=st.integers(1, 40))
def test_more_operators_never_serve_worse(load, extra):
    n = math.floor(load) + extra
    assert staffing.service_level(load, n + 1, 180, 20) >= staffing.service_level(load, n, 180, 20)
    assert 0 <= staffing.probability_of_waiting(load, n) <= 1


def test_unstable_queue_and_no_calls():
    assert staffing.probability_of_waiting(5, 5) == 1.0
    assert staffing.service_level(5, 4, 180, 20) == 0.0
    assert staffing.operators_needed(0, 1800, 180).operators == 0
