"""Many calls at once against a live server on 127.0.0.1, on PostgreSQL: every turn lands
in its own call, in order, none lost; turns sent at once to one call are serialised."""

import datetime as dt
import threading
from collections import Counter

import httpx
import pytest
from django.db import connection

from accueil.booking.models import ACTIVE_STATUSES, Appointment
from accueil.reception.models import Call, Turn
from tests.reception.agenda import build_practice
from tests.reception.live import LiveServer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TOKEN = "concurrency-token"
CALLS = 40
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")  # fmt: skip
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def caller_name(i: int) -> str:
    return "martel" + LETTERS[i // 26] + LETTERS[i % 26]


def spoken_birth(i: int) -> str:
    day = dt.date(1950, 1, 1) + dt.timedelta(days=97 * i)
    return f"le {day.day} {MONTHS[day.month - 1]} {day.year}"


@pytest.fixture
def server(settings):
    settings.ACCUEIL_TELEPHONY_TOKEN = TOKEN
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    build_practice()
    with LiveServer() as live:
        yield live.url


def run_parallel(n, work):
    barrier = threading.Barrier(n)
    errors: list[str] = []

    def worker(i):
        try:
            barrier.wait(timeout=60)
            work(i)
        except Exception as exc:  # reported below, with the call number
            errors.append(f"{i}: {type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return errors


def test_parallel_calls_book_without_lost_or_mixed_turns(server):
    sent: dict[int, list[str]] = {}
    heard: dict[int, list[str]] = {}
    call_ids: dict[int, str] = {}
    outcomes: Counter = Counter()

    def call(i: int) -> None:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=server, headers=headers, timeout=60) as client:
            started = client.post(
                "/api/v1/calls", json={"to": "+33322000000", "from": f"+336120000{i:02d}"}
            )
            assert started.status_code == 201, started.text
            call_id = started.json()["id"]
            call_ids[i] = call_id
            sent[i], heard[i] = [], [started.json()["say"]]

            def say(text):
                answer = client.post(f"/api/v1/calls/{call_id}/turns", json={"text": text})
                assert answer.status_code == 200, answer.text
                sent[i].append(text)
                heard[i].append(answer.json()["say"])
                return answer.json()

            say("bonjour je voudrais un rendez-vous le plus tôt possible")
            say(caller_name(i))
            say(spoken_birth(i))
            answer = say("jean")
            choices = ("le premier", "le deuxième", "le troisième")
            for attempt in range(30):  # taken by another caller meanwhile: offered again
                answer = say(choices[(i + attempt) % 3])
                if answer["outcome"] == "booked":
                    break
            outcomes[answer["outcome"]] += 1
            say("non merci au revoir")

    errors = run_parallel(CALLS, call)
    assert not errors, errors
    assert outcomes == Counter({"booked": CALLS})
    for i, call_id in call_ids.items():
        turns = list(Turn.objects.filter(call_id=call_id).order_by("index"))
        assert [t.index for t in turns] == list(range(len(turns)))
        assert [t.caller_text for t in turns[1:]] == sent[i]
        assert [t.say for t in turns] == heard[i]
        call = Call.objects.get(pk=call_id)
        assert call.status == "ended" and call.outcomes == ["booked"]
        [appointment] = Appointment.objects.filter(pk__in=call.appointment_ids)
        assert appointment.patient.last_name.lower() == caller_name(i)
    assert Appointment.objects.filter(status__in=ACTIVE_STATUSES).count() == CALLS
    starts = Counter(Appointment.objects.values_list("practitioner_id", "start").order_by())
    assert max(starts.values()) == 1


def test_turns_sent_at_once_to_one_call_are_serialised(server):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=server, headers=headers, timeout=60) as client:
        call_id = client.post("/api/v1/calls", json={"to": "+33322000000"}).json()["id"]
    n = 12

    def speak(i: int) -> None:
        with httpx.Client(base_url=server, headers=headers, timeout=60) as client:
            answer = client.post(
                f"/api/v1/calls/{call_id}/turns", json={"text": f"quels horaires {i}"}
            )
            assert answer.status_code in {200, 409}, answer.text

    errors = run_parallel(n, speak)
    assert not errors, errors
    call = Call.objects.get(pk=call_id)
    turns = list(Turn.objects.filter(call=call).order_by("index"))
    assert [t.index for t in turns] == list(range(call.turn_count + 1))
    assert len({t.caller_text for t in turns[1:]}) == call.turn_count
