"""The queue across all client practices: order, skills, claiming, statuses, hand-overs
from the virtual receptionist, abandonment, and the walls between secretariats."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accueil.reception import services as reception
from accueil.reception.models import Call
from accueil.secretariat import routing, services
from accueil.secretariat.models import Contract, Operator, Outcome, QueuedCall
from tests import factories
from tests.factories import MONDAY
from tests.secretariat import cast as secretariat_cast
from tests.secretariat.cast import WEEK, at, with_fallback

pytestmark = pytest.mark.django_db

NINE = at(MONDAY, 9)


@pytest.fixture
def cast():
    return secretariat_cast.build()


def queue(contract, seconds_after_nine=0, **kw) -> QueuedCall:
    kw.setdefault("caller_number", "+33612345678")
    return services.enqueue(
        contract,
        source=QueuedCall.Source.DIRECT,
        now=NINE + dt.timedelta(seconds=seconds_after_nine),
        **kw,
    )


def test_longest_waiting_first_across_practices(cast):
    late = queue(cast.contracts[0], 30)
    early = queue(cast.contracts[1], 0)
    middle = queue(cast.contracts[2], 10)
    assert services.waiting_calls(cast.secretariat) == [early, middle, late]
    taken = [services.take_next_call(op, now=NINE + dt.timedelta(minutes=1)) for op in
             (cast.alice, cast.bruno)]  # fmt: skip
    assert taken == [early, middle]


def test_urgent_then_listed_callers_go_first(cast):
    plain = queue(cast.contracts[0], 0)
    listed = queue(cast.contracts[1], 20, listed=True)
    urgent = queue(cast.contracts[2], 40, urgent=True)
    assert services.waiting_calls(cast.secretariat) == [urgent, listed, plain]


def test_contract_priority_is_a_head_start_in_seconds(cast):
    cast.contracts[2].priority = 30
    cast.contracts[2].save()
    first = queue(cast.contracts[0], 0)
    premium = queue(cast.contracts[2], 20)  # ranked as if queued 10 s before 9:00
    later_premium = queue(cast.contracts[2], 40)  # as if 9:00:10, after `first`
    assert services.waiting_calls(cast.secretariat) == [premium, first, later_premium]


def test_calls_needing_a_skill_go_only_to_operators_who_have_it(cast):
    cast.contracts[0].required_skills = ["pédiatrie"]
    cast.contracts[0].save()
    paediatric = queue(cast.contracts[0], 0)
    plain = queue(cast.contracts[1], 10)
    assert paediatric.required_skills == ["pédiatrie"]
    assert services.take_next_call(cast.alice, now=NINE) == plain
    assert services.take_next_call(cast.bruno, now=NINE) == paediatric


def test_an_operator_without_the_skill_gets_nothing_rather_than_the_wrong_call(cast):
    cast.contracts[0].required_skills = ["anglais"]
    cast.contracts[0].save()
    queue(cast.contracts[0], 0)
    assert services.take_next_call(cast.alice, now=NINE) is None
    assert Operator.objects.get(pk=cast.alice.pk).status == Operator.Status.AVAILABLE


def test_taking_a_call_puts_the_operator_on_call_and_one_call_at_a_time(cast):
    first = queue(cast.contracts[0], 0)
    queue(cast.contracts[1], 5)
    taken = services.take_next_call(cast.alice, now=NINE + dt.timedelta(seconds=12))
    assert taken == first
    taken.refresh_from_db()
    assert (taken.status, taken.taken_by, taken.wait) == (
        QueuedCall.Status.ON_CALL,
        cast.alice,
        dt.timedelta(seconds=12),
    )
    alice = Operator.objects.get(pk=cast.alice.pk)
    assert (alice.status, alice.status_since) == (Operator.Status.ON_CALL, taken.taken_at)
    with pytest.raises(services.Busy):
        services.take_next_call(alice, now=NINE)
    with pytest.raises(services.Busy):
        services.set_status(alice, Operator.Status.PAUSE, now=NINE)
    assert services.current_call(alice) == first


def test_an_empty_queue_gives_none(cast):
    assert services.take_next_call(cast.alice, now=NINE) is None


def test_hang_up_then_wrap_up_makes_the_operator_available(cast):
    queue(cast.contracts[0], 0)
    call = services.take_next_call(cast.alice, now=NINE + dt.timedelta(seconds=5))
    services.hang_up(cast.alice, call, now=NINE + dt.timedelta(seconds=185))
    assert Operator.objects.get(pk=cast.alice.pk).status == Operator.Status.WRAP_UP
    with pytest.raises(ValidationError) as error:
        services.finish(cast.alice, call, outcome="", note="", now=NINE)
    assert "outcome" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.finish(cast.alice, call, outcome=Outcome.ABANDONED, note="", now=NINE)
    done = services.finish(
        cast.alice,
        call,
        outcome=Outcome.INFORMED,
        note="Horaires du samedi donnés.",
        now=NINE + dt.timedelta(seconds=215),
    )
    assert done.status == QueuedCall.Status.DONE
    assert (done.talk, done.handling) == (dt.timedelta(seconds=180), dt.timedelta(seconds=210))
    assert Operator.objects.get(pk=cast.alice.pk).status == Operator.Status.AVAILABLE
    with pytest.raises(services.NotYourCall):
        services.hang_up(cast.alice, call, now=NINE)


def test_finishing_directly_from_the_conversation_closes_it(cast):
    queue(cast.contracts[0], 0)
    call = services.take_next_call(cast.alice, now=NINE)
    done = services.finish(
        cast.alice, call, outcome=Outcome.WRONG_NUMBER, note="", now=NINE + dt.timedelta(30)
    )
    assert done.ended_at == done.wrapped_at


def test_status_switch(cast):
    services.set_status(cast.alice, Operator.Status.PAUSE, now=NINE)
    alice = Operator.objects.get(pk=cast.alice.pk)
    assert (alice.status, alice.status_since) == (Operator.Status.PAUSE, NINE)
    with pytest.raises(ValidationError):
        services.set_status(alice, Operator.Status.ON_CALL, now=NINE)


def test_operators_only_ever_see_and_take_their_own_secretariat_calls(cast):
    ours = queue(cast.contracts[0], 0)
    other_contract = Contract.objects.get(secretariat=cast.other_secretariat)
    theirs = queue(other_contract, -60)  # waiting longer, but not ours
    assert services.waiting_calls(cast.secretariat) == [ours]
    assert services.waiting_calls(cast.other_secretariat) == [theirs]
    assert services.operator_call(cast.alice, theirs.public_id) is None
    assert services.operator_call(cast.outsider, ours.public_id) is None
    assert services.take_next_call(cast.outsider, now=NINE) == theirs
    assert services.take_next_call(cast.alice, now=NINE) == ours
    # Even with the call's id, an outsider cannot act on it.
    with pytest.raises(services.NotYourCall):
        services.hang_up(cast.outsider, ours, now=NINE)
    with pytest.raises(services.NotYourCall):
        services.finish(cast.bruno, ours, outcome=Outcome.INFORMED, note="", now=NINE)


def test_a_caller_who_hangs_up_while_waiting_is_an_abandoned_call(cast):
    call = queue(cast.contracts[0], 0)
    services.caller_hung_up(call.id, now=NINE + dt.timedelta(seconds=48))
    call.refresh_from_db()
    assert (call.status, call.outcome, call.wait) == (
        QueuedCall.Status.ABANDONED,
        Outcome.ABANDONED,
        dt.timedelta(seconds=48),
    )
    assert services.take_next_call(cast.alice, now=NINE) is None


def test_a_caller_who_hangs_up_during_the_conversation_sends_the_operator_to_wrap_up(cast):
    queue(cast.contracts[0], 0)
    call = services.take_next_call(cast.alice, now=NINE)
    services.caller_hung_up(call.id, now=NINE + dt.timedelta(seconds=90))
    call.refresh_from_db()
    assert (call.status, call.ended_at) == (
        QueuedCall.Status.WRAP_UP,
        NINE + dt.timedelta(seconds=90),
    )
    assert Operator.objects.get(pk=cast.alice.pk).status == Operator.Status.WRAP_UP


def test_save_contract_checks_its_terms(cast):
    with pytest.raises(ValidationError) as error:
        services.save_contract(
            cast.clients[0],
            cast.secretariat,
            mode="sometimes",
            covered_hours=[{"days": [9], "start": "x", "end": "19:00"}],
            price_per_call="-1",
            billable_outcomes=["booked", "nonsense"],
            overflow_seconds=1,
        )
    assert set(error.value.message_dict) == {
        "secretariat",
        "client",
        "mode",
        "covered_hours",
        "overflow_seconds",
        "price_per_call",
        "billable_outcomes",
    }
    contract = services.save_contract(
        cast.secretariat,
        cast.clients[0],
        mode=Contract.Mode.OVERFLOW,
        covered_hours=WEEK,
        required_skills=[" Pédiatrie ", "pédiatrie"],
    )
    assert contract.pk == cast.contracts[0].pk  # replaced, not duplicated
    assert contract.required_skills == ["pédiatrie"]
    assert Outcome.NO_SLOT not in contract.billable_outcomes


# Arrivals: direct calls and hand-overs from the virtual receptionist ----------------------


def test_a_direct_call_in_covered_hours_is_queued(cast):
    arrival = services.arrive("03 22 00 10 01", "06 12 34 56 78", now=NINE)
    assert (arrival.step, arrival.position) == (routing.Step.QUEUE, 1)
    queued = arrival.queued
    assert (queued.client, queued.caller_number, queued.source) == (
        cast.clients[1],
        "+33612345678",
        QueuedCall.Source.DIRECT,
    )
    second = services.arrive("03 22 00 10 02", now=NINE)
    assert second.position == 2
    arrival = services.arrive("03 22 00 10 01", "", now=at(MONDAY, 20))
    assert (arrival.step, arrival.queued) == (routing.Step.RECEPTIONIST, None)
    with pytest.raises(ValidationError):
        services.arrive("01 00 00 00 00", now=NINE)


def test_overflow_rings_the_desk_then_queues_the_missed_call():
    cast = secretariat_cast.build(mode=Contract.Mode.OVERFLOW)
    with_fallback(cast.clients[0], "+33322001111")  # the desk's number
    arrival = services.arrive("03 22 00 10 00", now=NINE)
    assert (arrival.step, arrival.route.seconds, arrival.queued) == (
        routing.Step.RING_DESK,
        20,
        None,
    )
    assert arrival.desk_number == "+33322001111"
    arrival = services.arrive("03 22 00 10 00", now=NINE, desk_missed=True)
    assert arrival.queued.client == cast.clients[0]
    # Without a desk number nothing can ring: the secretariat answers at once.
    assert services.arrive("03 22 00 10 01", now=NINE).step is routing.Step.QUEUE


def test_queue_position_follows_the_queue_order(cast):
    plain = services.arrive("03 22 00 10 00", now=NINE).queued
    later = services.arrive("03 22 00 10 01", now=NINE + dt.timedelta(seconds=5)).queued
    urgent = services.arrive("03 22 00 10 02", now=NINE + dt.timedelta(seconds=9), urgent=True)
    assert urgent.position == 1
    assert [services.queue_position(c) for c in (plain, later)] == [2, 3]
    services.take_next_call(cast.alice, now=NINE + dt.timedelta(seconds=10))
    assert [services.queue_position(c) for c in (plain, later)] == [1, 2]
    assert [c.id for c in services.waiting_calls(cast.secretariat)] == [plain.id, later.id]


def test_a_listed_caller_is_flagged_from_the_sheet(cast):
    sheet = reception.current_sheet(cast.clients[0])[1]
    sheet["put_through"] = [
        {"label": "Pharmacie", "phones": ["+33322001234"], "roles": [], "number": "+33322005555"}
    ]
    reception.save_sheet(cast.clients[0], sheet, now=factories.NOW)
    queued = services.arrive("03 22 00 10 00", "03 22 00 12 34", now=NINE).queued
    assert queued.put_through_listed


def hand_over(org, caller="+33612345678", now=NINE) -> Call:
    with_fallback(org)
    call = reception.start_call(to=org.phone, from_=caller, now=now).call
    result = reception.take_turn(call.id, "je voudrais parler à une vraie personne", now=now)
    assert result.status == Call.Status.TRANSFERRED
    return Call.objects.get(pk=call.id)


def test_a_handover_from_the_virtual_receptionist_joins_the_queue_with_its_call(cast):
    call = hand_over(cast.clients[2])
    queued = QueuedCall.objects.get()
    assert (queued.reception_call, queued.client, queued.source, queued.caller_number) == (
        call,
        cast.clients[2],
        QueuedCall.Source.HANDOVER,
        "+33612345678",
    )
    assert queued.queued_at == NINE
    assert services.take_next_call(cast.alice, now=NINE) == queued


def test_a_handover_outside_covered_hours_is_not_queued(cast):
    hand_over(cast.clients[0], now=at(MONDAY, 21))
    assert not QueuedCall.objects.exists()


def test_a_practice_without_contract_hands_over_as_before(cast):
    org, _, _ = factories.agenda()
    org.phone = "03 22 00 30 00"
    org.save()
    hand_over(org)
    assert not QueuedCall.objects.exists()


def test_the_callers_hang_up_reported_by_the_telephony_abandons_the_queued_call(cast):
    call = hand_over(cast.clients[0])
    reception.hang_up(call.id, now=NINE + dt.timedelta(seconds=35))
    queued = QueuedCall.objects.get()
    assert (queued.status, queued.wait) == (
        QueuedCall.Status.ABANDONED,
        dt.timedelta(seconds=35),
    )


def test_a_failing_queue_never_breaks_the_receptionists_transfer(cast, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("queue down")

    monkeypatch.setattr(services, "enqueue", broken)
    call = hand_over(cast.clients[0])
    assert call.status == Call.Status.TRANSFERRED and call.transfer_to
    assert not QueuedCall.objects.exists()
