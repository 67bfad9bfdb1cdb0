"""Every scripted call of tests/reception/scenarios/*.yaml: expected outcome and DB effect."""

import pytest

from tests.reception import scenarios

SCENARIOS = scenarios.load()


def test_the_set_is_big_and_varied_enough():
    by_category = {c: 0 for c in scenarios.CATEGORIES}
    for scenario in SCENARIOS:
        by_category[scenario["category"]] += 1
    assert len(SCENARIOS) >= 150
    assert by_category["emergency"] >= 30
    assert all(by_category.values())


@pytest.mark.django_db
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_scenario(scenario):
    result = scenarios.run(scenario)
    transcript = "\n".join(f"  appelant: {c}\n  agent:    {a}" for c, a in result.transcript)
    assert result.ok, "\n".join(result.failures + result.wrong_actions) + "\n" + transcript
