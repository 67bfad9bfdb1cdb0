"""Real parallel workers on PostgreSQL: no message is ever sent twice.

Workers are threads, each with its own database connection, sending through the local fake
provider, which counts deliveries per idempotency key. Each layer of the claim
(sending.py: SELECT ... FOR UPDATE SKIP LOCKED, then the conditional UPDATE) holds on its
own; the negative control, with both removed and every worker picking the same rows before
any of them claims, sends messages twice. The last test stops a real `notify_worker`
process with SIGTERM.
"""

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Q

from accueil.notify import sending
from accueil.notify.models import Kind, Message
from tests import factories
from tests.factories import NOW
from tests.notify.fake_sms import FakeSmsProvider

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2
MESSAGES = 300


def queue_plain(n: int, due: dt.datetime = NOW) -> list[Message]:
    """n SMS reminders due at `due`, without appointment (as the benchmark queues them)."""
    org = factories.organisation()
    run = f"{time.monotonic_ns()}"
    return Message.objects.bulk_create(
        Message(
            organisation=org,
            kind=Kind.REMINDER,
            channel="sms",
            recipient="+33612345678",
            body=f"Rappel {i}",
            scheduled_for=due,
            next_attempt_at=due,
            idempotency_key=f"test-{run}-{i}",
        )
        for i in range(n)
    )


@pytest.fixture
def provider(settings):
    with FakeSmsProvider() as fake:
        settings.NOTIFY_SMS_TRANSPORT = "http"
        settings.SMS_HTTP_URL = fake.url + "/sms"
        settings.SMS_QUIET_HOURS = ""
        yield fake


def run_workers(batch: int, rounds: int | None = None) -> list[str]:
    """WORKERS threads sending until nothing is left; returns the errors."""
    errors: list[str] = []
    start = threading.Barrier(WORKERS)

    def work() -> None:
        try:
            start.wait(timeout=30)
            done = 0
            while sending.send_due(limit=batch, now=NOW):
                done += 1
                if rounds is not None and done >= rounds:
                    break
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=work, name=f"worker-{i}") for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def assert_each_sent_once(provider: FakeSmsProvider, messages: list[Message]) -> None:
    keys = {m.idempotency_key for m in messages}
    assert set(provider.deliveries) == keys
    assert max(provider.deliveries.values()) == 1
    assert Message.objects.filter(status="sent").count() == len(messages)


@pytest.fixture
def sequenced(monkeypatch):
    """Every worker picks the same rows before any of them claims, then they claim one
    after the other (the first has its rows when the second claims)."""
    picked = threading.Barrier(WORKERS)
    first_claimed = threading.Event()
    original_condition = sending.claim_condition
    original_claim = sending.claim
    state = {"condition": original_condition}

    def condition(now):
        picked.wait(timeout=30)
        if threading.current_thread().name != "worker-0":
            first_claimed.wait(timeout=30)
        return state["condition"](now)

    def claim(**kwargs):
        try:
            return original_claim(**kwargs)
        finally:
            if threading.current_thread().name == "worker-0":
                first_claimed.set()

    monkeypatch.setattr(sending, "claim_condition", condition)
    monkeypatch.setattr(sending, "claim", claim)
    return state


@pytest.fixture
def without_skip_locked(monkeypatch):
    monkeypatch.setattr(sending, "lock_for_claim", lambda queryset: queryset)


@pytest.fixture
def without_conditional_update(monkeypatch):
    monkeypatch.setattr(sending, "claim_condition", lambda now: Q())


def test_two_workers_never_send_a_message_twice(provider):
    messages = queue_plain(MESSAGES)
    assert run_workers(batch=10) == []
    assert_each_sent_once(provider, messages)


def test_two_workers_share_the_work(provider, monkeypatch):
    provider.default = "slow"
    provider.slow_seconds = 0.01
    messages = queue_plain(60)
    sent_by: dict[str, int] = {}
    original = sending.deliver

    def deliver(message, **kw):
        name = threading.current_thread().name
        sent_by[name] = sent_by.get(name, 0) + 1
        return original(message, **kw)

    monkeypatch.setattr(sending, "deliver", deliver)
    assert run_workers(batch=5) == []
    assert_each_sent_once(provider, messages)
    assert set(sent_by) == {"worker-0", "worker-1"}


def test_the_conditional_update_alone_sends_once(provider, without_skip_locked, sequenced):
    messages = queue_plain(50)
    assert run_workers(batch=50, rounds=1) == []
    assert_each_sent_once(provider, messages)


def test_skip_locked_alone_sends_once(provider, without_conditional_update):
    messages = queue_plain(MESSAGES)
    assert run_workers(batch=10) == []
    assert_each_sent_once(provider, messages)


def test_negative_control_without_claim_protection_sends_twice(
    provider, without_skip_locked, sequenced
):
    sequenced["condition"] = lambda now: Q()  # and no conditional update either
    messages = queue_plain(50)
    assert run_workers(batch=50, rounds=1) == []
    with pytest.raises(AssertionError):
        assert_each_sent_once(provider, messages)
    assert max(provider.deliveries.values()) == 2
    assert provider.delivered == 2 * len(messages)


def test_sigterm_stops_the_worker_cleanly(provider):
    """A real `manage.py notify_worker` on the test database: SIGTERM in the middle of a
    batch; the message in hand is finished and marked, the rest of the batch is released."""
    provider.default = "slow"
    provider.slow_seconds = 0.2
    messages = queue_plain(30, due=NOW - dt.timedelta(days=3650))  # due on the real clock
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "NOTIFY_SMS_TRANSPORT": "http",
        "SMS_HTTP_URL": provider.url + "/sms",
        "SMS_QUIET_HOURS": "",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "0",
    }
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "notify_worker", "--batch", "50", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while provider.delivered < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert provider.delivered >= 3
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=10) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    counts = {s: Message.objects.filter(status=s).count() for s in ("sent", "sending", "queued")}
    assert counts["sending"] == 0
    assert counts["sent"] == provider.delivered
    assert counts["sent"] + counts["queued"] == len(messages)
    assert 3 <= counts["sent"] < len(messages)
    released = Message.objects.filter(status="queued")
    assert {m.attempts for m in released} == {0}
