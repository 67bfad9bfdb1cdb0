import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accueil.reception.models import Call
from tests.reception.agenda import NOW, build_practice

pytestmark = pytest.mark.django_db


def test_the_terminal_call_books_and_prints_the_summary(monkeypatch):
    build_practice()
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    lines = "un rendez-vous vendredi\ndupont\n3 mars 1985\nle premier\nnon merci au revoir\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    out = io.StringIO()
    call_command("call", "--to", "03 22 00 00 00", "--from", "+33612345678", stdout=out)
    text = out.getvalue()
    assert "agent > Bonjour, ici Maison médicale des Lilas" in text
    assert "C'est noté : rendez-vous vendredi 8 janvier" in text
    assert "Fin de l'appel : booked" in text and "Rendez-vous réservé" in text
    assert Call.objects.get().channel == "terminal"


def test_end_of_input_hangs_up(monkeypatch):
    build_practice()
    monkeypatch.setattr("sys.stdin", io.StringIO("je voudrais un rendez-vous\n"))
    out = io.StringIO()
    call_command("call", "--to", "+33322000000", stdout=out)
    assert "raccroché" in out.getvalue()
    assert Call.objects.get().outcomes == ["abandoned"]


def test_unknown_number_is_an_error():
    with pytest.raises(CommandError):
        call_command("call", "--to", "+33199999999", stdout=io.StringIO())
