"""The demonstration remote secretariat: operators, contracts with three demo practices,
call history, waiting calls (one handed over by the virtual receptionist), printed logins."""

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accueil.accounts import services as accounts
from accueil.demo import secretariat as demo
from accueil.directory.models import Organisation
from accueil.secretariat import services
from accueil.secretariat.models import Contract, Operator, PlannedStaffing, QueuedCall

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_a_working_remote_secretariat():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    printed = out.getvalue()
    for username, *_ in demo.OPERATORS:
        assert username in printed
    assert "direction.telesecretariat" in printed and "/console/" in printed
    secretariat = Organisation.objects.get(slug=demo.SLUG)
    operators = Operator.objects.filter(secretariat=secretariat)
    assert operators.count() == 4
    assert all(op.phone for op in operators)  # the Twilio bridge can ring each of them
    for op in operators:
        assert services.check_operator_phone(op.phone) == op.phone
    assert Contract.objects.filter(secretariat=secretariat).count() == 3
    assert PlannedStaffing.objects.filter(secretariat=secretariat, weekday=0).exists()
    calls = QueuedCall.objects.filter(secretariat=secretariat)
    assert calls.filter(status=QueuedCall.Status.DONE).count() > 500
    assert calls.filter(status=QueuedCall.Status.ABANDONED).exists()
    waiting = calls.filter(status=QueuedCall.Status.WAITING)
    assert waiting.count() == 3
    handover = waiting.get(source=QueuedCall.Source.HANDOVER)
    assert handover.reception_call.summary and handover.client.slug == "cabinet-dr-garnier"

    # Idempotent: nothing doubles on a second run.
    before = calls.count()
    demo.seed(now=handover.queued_at, password_hash="x")
    assert calls.count() == before

    # The hand-over can be taken by an operator with the demo password, then the code of
    # the demo authenticator (`manage.py otp_code`, printed instructions).
    assert "otp_code" in printed
    client = Client()
    step = client.post(
        reverse("desk:login"), {"username": "operateur.hugo", "password": "demo-accueil-2026"}
    )["Location"]
    device = TOTPDevice.objects.get(user__username="operateur.hugo", confirmed=True)
    assert device.key == accounts.demo_key("operateur.hugo")
    assert client.post(step, {"code": accounts.current_code(device)}).status_code == 302
    taken = client.post(reverse("secretariat:take"))
    page = client.get(taken["Location"]).content.decode()
    assert "Appel · " in page

    # --reset removes it all and builds it again.
    call_command("seed_demo", "--reset", stdout=io.StringIO())
    assert Organisation.objects.filter(slug=demo.SLUG).count() == 1
