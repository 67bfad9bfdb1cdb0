"""The counters: limits per window, hashed identifiers, purge, and no slip past a limit
under parallel requests (PostgreSQL)."""

import datetime as dt
import threading

import pytest
from django.db import connection

from accueil.privacy import retention
from accueil.throttle import services as throttle
from accueil.throttle.models import Counter

pytestmark = [pytest.mark.django_db, pytest.mark.abuse_limits]

T0 = dt.datetime(2027, 1, 4, 10, 0, 30, tzinfo=dt.UTC)


@pytest.fixture
def three_a_minute(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "booking_ip": (3, 60)}


def hits(n: int, identifier: str = "192.0.2.1", now: dt.datetime = T0) -> int:
    """How many of n hits pass."""
    passed = 0
    for _ in range(n):
        try:
            throttle.hit("booking_ip", identifier, now=now)
        except throttle.RateLimited:
            continue
        passed += 1
    return passed


def test_the_limit_refuses_the_hit_after_it_until_the_window_ends(three_a_minute):
    assert hits(3) == 3
    with pytest.raises(throttle.RateLimited) as refused:
        throttle.hit("booking_ip", "192.0.2.1", now=T0)
    assert refused.value.retry_after == 30  # the minute started at 10:00:00
    assert refused.value.minutes == 1
    assert hits(1, now=T0 + dt.timedelta(seconds=29)) == 0
    assert hits(3, now=T0 + dt.timedelta(seconds=30)) == 3  # next window


def test_identifiers_and_scopes_are_counted_apart(three_a_minute, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "waitlist_ip": (3, 60)}
    assert hits(5) == 3
    assert hits(5, identifier="192.0.2.2") == 3
    throttle.hit("waitlist_ip", "192.0.2.1", now=T0)


def test_lifted_limits_count_nothing(three_a_minute, settings):
    """The negative control of the tests above: without limits every hit passes."""
    settings.RATE_LIMITS_ENABLED = False
    assert hits(10) == 10
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "booking_ip": (0, 1)}
    assert hits(10) == 10
    assert not Counter.objects.exists()


def test_check_counts_nothing_and_refuses_once_used_up(three_a_minute):
    throttle.check("booking_ip", "192.0.2.1", now=T0)
    assert not Counter.objects.exists()
    hits(3)
    with pytest.raises(throttle.RateLimited):
        throttle.check("booking_ip", "192.0.2.1", now=T0)


def test_numbers_and_addresses_are_not_stored_in_clear(three_a_minute, settings):
    hits(1, identifier="+33612345678")
    hits(1, identifier="192.0.2.1")
    rows = list(Counter.objects.values_list("scope", "key"))
    assert len(rows) == 2
    text = repr(rows)
    for clear in ("+33612345678", "612345678", "192.0.2.1"):
        assert clear not in text
    # Keyed with SECRET_KEY: another key gives other digests.
    before = throttle.digest("booking_ip", "+33612345678")
    settings.SECRET_KEY = "another-secret-key"
    assert throttle.digest("booking_ip", "+33612345678") != before


def test_phone_numbers_count_alike_however_typed():
    assert throttle.phone_key("06 12 34 56 78") == throttle.phone_key("+33 6 12 34 56 78")
    assert throttle.phone_key("06.12.34.56.78") == "+33612345678"


def test_ipv6_addresses_count_by_slash_64(rf):
    one = rf.get("/", REMOTE_ADDR="2001:db8:1:2::1")
    other = rf.get("/", REMOTE_ADDR="2001:db8:1:2:ffff::9")
    elsewhere = rf.get("/", REMOTE_ADDR="2001:db8:1:3::1")
    assert throttle.address(one) == throttle.address(other) == "2001:db8:1:2::/64"
    assert throttle.address(elsewhere) != throttle.address(one)
    assert throttle.address(rf.get("/", REMOTE_ADDR="192.0.2.7")) == "192.0.2.7"


def test_retention_purges_ended_windows(three_a_minute):
    hits(2, now=T0 - dt.timedelta(hours=2))
    hits(1, identifier="192.0.2.9", now=T0)
    report = retention.apply_retention(now=T0)
    assert report.rate_limit_counters == 1
    assert Counter.objects.count() == 1
    assert retention.apply_retention(now=T0).rate_limit_counters == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_hits_never_pass_the_limit(settings):
    """20 threads, each with its own connection, hit a limit of 10 at once: exactly 10 pass
    (one conditional UPSERT counts and reads in the same statement)."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "booking_ip": (10, 3600)}
    n = 20
    barrier = threading.Barrier(n)
    passed = []

    def worker():
        try:
            barrier.wait()
            try:
                throttle.hit("booking_ip", "198.51.100.1")
            except throttle.RateLimited:
                return
            passed.append(1)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(passed) == 10
    assert Counter.objects.get().count == n
