"""No-show statistics: exact numbers per month, practitioner and motif (the 24-hour boundary
of late cancellations included), the page with its SVG chart, the CSV export."""

import csv
import datetime as dt
import io
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from accueil.booking.models import Appointment, AppointmentEvent, Status
from accueil.booking.models import Channel as BookingChannel
from accueil.desk import stats
from accueil.desk.stats import Counts
from accueil.scheduling.engine import PARIS
from tests import factories

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 3, 15, 11, 0, tzinfo=dt.UTC)
_keys = itertools.count()


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def paris(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


def appointment(org, practitioner, motif, start, status=Status.SEEN, cancelled_at=None):
    """An appointment as the desk leaves it, with its "cancelled" event when cancelled."""
    found = Appointment.objects.create(
        organisation=org,
        practitioner=practitioner,
        motif=motif,
        site=practitioner.sites.get(),
        patient=factories.patient(org),
        start=start,
        end=start + dt.timedelta(minutes=20),
        status=status,
        channel=BookingChannel.WEB,
        session_key=f"k{next(_keys)}",
    )
    if cancelled_at is not None:
        AppointmentEvent.objects.create(
            appointment=found,
            kind=AppointmentEvent.Kind.CANCELLED,
            at=cancelled_at,
            channel=BookingChannel.WEB,
            from_status=Status.BOOKED,
            to_status=status,
        )
    return found


@pytest.fixture
def data(practice):
    """Two practitioners, two motifs, January to March 2027 (now: 15 March, 12:00 Paris)."""
    org = practice["organisation"]
    morel = practice["practitioner"]
    morel.first_name, morel.last_name = "Claire", "Morel"
    morel.save()
    petit = factories.practitioner(org, sites=[morel.sites.get()], first_name="Paul")
    petit.last_name = "Petit"
    petit.save()
    consult = practice["motif"]
    vaccine = factories.motif(org, [morel, petit], name="Vaccination")

    def add(p, m, start, status=Status.SEEN, cancelled_before=None):
        cancelled_at = start - cancelled_before if cancelled_before is not None else None
        return appointment(org, p, m, start, status, cancelled_at)

    # January: Morel, consultation: 4 seen, 1 no-show (one of them at 23:30 on the 31st,
    # 22:30 UTC: still January in Paris).
    for day in (4, 5, 6):
        add(morel, consult, paris(2027, 1, day, 9))
    add(morel, consult, paris(2027, 1, 31, 23, 30))
    add(morel, consult, paris(2027, 1, 7, 9), Status.NO_SHOW)
    # January: Petit, consultation: 1 no-show, 1 left "booked" (past, counted), 1 arrived.
    add(petit, consult, paris(2027, 1, 8, 9), Status.NO_SHOW)
    add(petit, consult, paris(2027, 1, 8, 10), Status.BOOKED)
    add(petit, consult, paris(2027, 1, 8, 11), Status.ARRIVED)
    # February: Morel, vaccination: 3 seen, 2 no-shows; cancellations by the patient at the
    # 24-hour boundary: 23 h 59 min 59 s and 1 h before are late, exactly 24 h and 25 h are
    # not; a cancellation by the practice 1 h before is not the patient's.
    for hour in (9, 10, 11):
        add(morel, vaccine, paris(2027, 2, 10, hour))
    add(morel, vaccine, paris(2027, 2, 11, 9), Status.NO_SHOW)
    add(morel, vaccine, paris(2027, 2, 28, 23, 30), Status.NO_SHOW)  # 22:30 UTC
    patient = Status.CANCELLED_BY_PATIENT
    add(
        morel,
        vaccine,
        paris(2027, 2, 12, 9),
        patient,
        dt.timedelta(hours=24) - dt.timedelta(seconds=1),
    )
    add(morel, vaccine, paris(2027, 2, 12, 10), patient, dt.timedelta(hours=1))
    add(morel, vaccine, paris(2027, 2, 12, 11), patient, dt.timedelta(hours=24))
    add(morel, vaccine, paris(2027, 2, 12, 12), patient, dt.timedelta(hours=25))
    add(morel, vaccine, paris(2027, 2, 12, 14), Status.CANCELLED_BY_PRACTICE, dt.timedelta(hours=1))
    # March: 00:30 on the 1st is 23:30 UTC on 28 February, but March in Paris; one no-show;
    # today, later than now: a late cancellation (counted) and a booked one (not yet).
    add(petit, vaccine, paris(2027, 3, 1, 0, 30))
    add(petit, vaccine, paris(2027, 3, 10, 9), Status.NO_SHOW)
    add(petit, vaccine, paris(2027, 3, 15, 13), patient, dt.timedelta(minutes=90))
    add(petit, vaccine, paris(2027, 3, 15, 17), Status.BOOKED)
    # Outside the period, or another practice: never counted.
    add(morel, consult, paris(2026, 12, 31, 23, 30), Status.NO_SHOW)
    add(morel, consult, paris(2027, 3, 16, 0, 0), Status.NO_SHOW)
    other = practice["other_organisation"]
    p = factories.practitioner(other)
    appointment(other, p, factories.motif(other, [p]), paris(2027, 2, 1, 9), Status.NO_SHOW)
    return {
        "organisation": org,
        "morel": morel,
        "petit": petit,
        "consult": consult,
        "vaccine": vaccine,
    }


def compute(data, **filters):
    return stats.no_show_stats(
        data["organisation"], dt.date(2027, 1, 1), dt.date(2027, 3, 15), NOW, **filters
    )


# Numbers ------------------------------------------------------------------------------------


def test_exact_counts_per_month_practitioner_and_motif(data):
    found = compute(data)
    assert [(r.month, r.practitioner, r.motif, r.counts) for r in found.rows] == [
        (dt.date(2027, 1, 1), "Dr Claire Morel", "Consultation", Counts(5, 1, 0)),
        (dt.date(2027, 1, 1), "Dr Paul Petit", "Consultation", Counts(3, 1, 0)),
        (dt.date(2027, 2, 1), "Dr Claire Morel", "Vaccination", Counts(5, 2, 2)),
        (dt.date(2027, 3, 1), "Dr Paul Petit", "Vaccination", Counts(2, 1, 1)),
    ]
    assert found.months == [
        (dt.date(2027, 1, 1), Counts(8, 2, 0)),
        (dt.date(2027, 2, 1), Counts(5, 2, 2)),
        (dt.date(2027, 3, 1), Counts(2, 1, 1)),
    ]
    assert found.by_practitioner == [
        ("Dr Claire Morel", Counts(10, 3, 2)),
        ("Dr Paul Petit", Counts(5, 2, 1)),
    ]
    assert found.by_motif == [("Consultation", Counts(8, 2, 0)), ("Vaccination", Counts(7, 3, 3))]
    assert found.total == Counts(15, 5, 3)
    assert found.total.rate == pytest.approx(100 / 3)


def test_the_24_hour_boundary_of_late_cancellations(data):
    feb = stats.no_show_stats(data["organisation"], dt.date(2027, 2, 12), dt.date(2027, 2, 12), NOW)
    # 23:59:59 and 1 h before: late; exactly 24 h and 25 h: not; the practice's: never.
    assert feb.total == Counts(0, 0, 2)


def test_filters_by_practitioner_and_motif(data):
    assert compute(data, practitioner=data["petit"]).total == Counts(5, 2, 1)
    assert compute(data, motif=data["consult"]).total == Counts(8, 2, 0)
    both = compute(data, practitioner=data["morel"], motif=data["vaccine"])
    assert both.total == Counts(5, 2, 2)
    assert [month for month, _ in both.months] == [
        dt.date(2027, 1, 1),
        dt.date(2027, 2, 1),
        dt.date(2027, 3, 1),
    ]
    assert both.months[0][1] == Counts() and both.months[0][1].rate is None


def test_counted_in_the_database_in_three_queries(data, django_assert_num_queries):
    with django_assert_num_queries(3):  # the grouped counts, practitioners' and motifs' names
        compute(data)


def test_default_period_is_the_last_twelve_months():
    assert stats.default_period(dt.date(2027, 3, 15)) == (dt.date(2026, 4, 1), dt.date(2027, 3, 15))
    assert stats.default_period(dt.date(2027, 12, 31)) == (
        dt.date(2027, 1, 1),
        dt.date(2027, 12, 31),
    )


# The page -----------------------------------------------------------------------------------


def page_url(data, **query):
    base = reverse("desk:stats", args=[data["organisation"].slug])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_page_shows_the_numbers_and_an_accessible_chart(client, practice, data):
    factories.login_verified(client, practice["member"])
    response = client.get(page_url(data, du="2027-01-01", au="2027-03-15"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<svg role="img" aria-labelledby="chart-title chart-desc"' in html
    assert '<title id="chart-title">Taux de rendez-vous non honorés par mois</title>' in html
    assert html.count('<rect class="bar"') == 3
    assert "<title>février 2027 : 40 % de rendez-vous non honorés (2 sur 5)</title>" in html
    assert "<title>mars 2027 : 50 % de rendez-vous non honorés (1 sur 2)</title>" in html
    assert '<th scope="row">janvier 2027</th><td>8</td><td>2</td><td>25,0 %</td><td>0</td>' in html
    assert (
        '<th scope="row">Dr Claire Morel</th><td>10</td><td>3</td><td>30,0 %</td><td>2</td>' in html
    )
    assert '<th scope="row">Vaccination</th><td>7</td><td>3</td><td>42,9 %</td><td>3</td>' in html
    assert "<dt>Rendez-vous passés</dt><dd>15</dd>" in html
    assert "Du 1er janvier 2027 au 15 mars 2027" in html
    assert 'aria-current="page">Statistiques' in html


def test_chart_geometry():
    months = [(dt.date(2027, 1, 1), Counts(8, 2, 0)), (dt.date(2027, 2, 1), Counts())]
    chart = stats.chart(months)
    january, february = chart["bars"]
    assert chart["baseline"] == stats.TOP + stats.PLOT_HEIGHT
    # 25 % on a scale rounded up to 30 %
    assert january.height == pytest.approx(stats.PLOT_HEIGHT * 25 / 30)
    assert january.value == "25 %" and january.year == "2027" and january.label == "janv."
    assert february.height == 0 and february.value == "–" and february.year == ""
    assert "aucun rendez-vous" in february.title
    assert [t["label"] for t in chart["ticks"]] == ["0 %", "15 %", "30 %"]


def test_the_default_page_shows_twelve_months(client, practice, data):
    factories.login_verified(client, practice["owner"])
    response = client.get(page_url(data))
    html = response.content.decode()
    assert response.context["form"]["du"].value() == "2026-04-01"
    assert response.context["form"]["au"].value() == "2027-03-15"
    assert html.count('<rect class="bar"') == 12
    assert 'value="2026-04-01"' in html


def test_filters_on_the_page(client, practice, data):
    factories.login_verified(client, practice["owner"])
    response = client.get(page_url(data, praticien=data["petit"].id, motif=data["vaccine"].id))
    assert response.context["stats"].total == Counts(2, 1, 1)
    assert f"praticien={data['petit'].id}" in response.context["csv_url"]


def test_filter_errors_are_shown_next_to_their_field(client, practice, data):
    factories.login_verified(client, practice["owner"])
    response = client.get(page_url(data, du="2027-03-01", au="2027-01-01"))
    html = response.content.decode()
    assert "stats" not in response.context
    assert 'id="id_au_error"' in html and "La fin de la période doit suivre son début." in html
    response = client.get(page_url(data, du="2020-01-01", au="2027-01-01"))
    assert "trois ans au plus" in response.context["form"].errors["du"][0]
    foreign = factories.practitioner(practice["other_organisation"])
    response = client.get(page_url(data, praticien=foreign.id))
    assert "praticien" in response.context["form"].errors


# CSV ----------------------------------------------------------------------------------------


def test_csv_export_for_french_excel(client, practice, data):
    factories.login_verified(client, practice["member"])
    url = reverse("desk:stats_csv", args=[data["organisation"].slug])
    response = client.get(url + "?du=2027-01-01&au=2027-03-15")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    org = data["organisation"]
    assert response["Content-Disposition"] == (
        f'attachment; filename="non-honores-{org.slug}-2027-01-01-2027-03-15.csv"'
    )
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    lines = content[1:].split("\r\n")
    assert lines == [
        "Établissement;Mois;Praticien;Motif;Rendez-vous;Non honorés;Taux de non-honorés (%);"
        "Annulations tardives (moins de 24 h)",
        f"{org.name};2027-01;Dr Claire Morel;Consultation;5;1;20;0",
        f"{org.name};2027-01;Dr Paul Petit;Consultation;3;1;33,3;0",
        f"{org.name};2027-02;Dr Claire Morel;Vaccination;5;2;40;2",
        f"{org.name};2027-03;Dr Paul Petit;Vaccination;2;1;50;1",
        "",
    ]


def test_csv_cells_are_never_formulas_and_empty_rates_stay_empty(practice):
    org = practice["organisation"]
    p = practice["practitioner"]
    motif = factories.motif(org, [p], name='=HYPERLINK("http://x")')
    appointment(
        org, p, motif, paris(2027, 2, 1, 9), Status.CANCELLED_BY_PATIENT, paris(2027, 2, 1, 8)
    )
    found = stats.no_show_stats(org, dt.date(2027, 2, 1), dt.date(2027, 2, 28), NOW)
    out = io.StringIO()
    stats.write_csv(out, org, found)
    rows = list(csv.reader(io.StringIO(out.getvalue()[1:]), delimiter=";"))
    assert rows[1][3] == '\'=HYPERLINK("http://x")'
    assert rows[1][4:] == ["0", "0", "", "1"]


def test_an_invalid_csv_request_goes_back_to_the_page(client, practice, data):
    factories.login_verified(client, practice["owner"])
    url = reverse("desk:stats_csv", args=[data["organisation"].slug])
    response = client.get(url + "?du=2027-03-01&au=2027-01-01")
    assert response.status_code == 302
    assert response["Location"] == page_url(data, du="2027-03-01", au="2027-01-01")
