"""Every URL of the project and every API operation, discovered from the URL resolver and
the OpenAPI schema, requested by every member of the cast (tests/security/world.py).

Each URL name must have a rule in RULES below; a new view without one fails
`test_every_url_has_a_rule` with a message saying where to add it. The rule says who may
use the page, and the sweep checks the answer each cast member really gets:

- staff pages: members whose role has the capability (directory.roles) get the page,
  other members a 403, anyone outside the organisation a 404 (no existence leak), anonymous
  visitors the login page; refused POSTs change no row;
- console pages: only the secretariat's operators (calls: the call's secretariat only),
  statements: the client practice's owners; everyone else a 404;
- public pages answer everyone alike (who is logged in changes nothing);
- Twilio webhooks refuse any unsigned request; the admin is for superusers only.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

from accueil.api.api import api
from accueil.directory import roles
from accueil.directory.models import Membership
from accueil.directory.roles import Capability
from tests.access import login
from tests.security import world as world_module
from tests.security.world import CAST

pytestmark = pytest.mark.django_db

C = Capability


@dataclass(frozen=True)
class Public:
    """Anyone, logged in or not, gets the same answer (the secret, if any, is in the URL)."""


@dataclass(frozen=True)
class LoggedIn:
    """Any logged-in user (their own organisations only); anonymous users log in first."""


@dataclass(frozen=True)
class Staff:
    """Members of the URL's organisation whose role has `capability` (None: any member)."""

    capability: Capability | None


@dataclass(frozen=True)
class Console:
    """The operators' console. `allowed`: who of the cast may get an answer other than 404
    (their own secretariat's pages, or their own practice's statements)."""

    allowed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ConsolePost(Console):
    """A console action answering POST only: GET is a 404 for everyone."""


@dataclass(frozen=True)
class Signed:
    """Telephony webhooks: a valid provider signature or nothing."""


@dataclass(frozen=True)
class Superuser:
    """The Django admin."""


@dataclass(frozen=True)
class Api:
    """An API route: checked operation by operation against the OpenAPI schema below."""


OPERATOR_PAGE = Console(frozenset({"foreign_operator"}))  # their own secretariat's page
CALL = Console()  # a call of another secretariat: nobody of the cast
STATEMENTS = Console(frozenset({"owner"}))  # the client practice's owner reads its bills

RULES: dict[str, object] = {
    # Desk: login and the list of one's organisations.
    "desk:login": Public(),
    "desk:logout": Public(),
    "desk:home": LoggedIn(),
    # The second login step and one's own account (accounts): the user's own data only.
    **{
        f"accounts:{name}": LoggedIn()
        for name in (
            "verify",
            "enrol",
            "security",
            "recovery_codes",
            "regenerate_codes",
            "reset_authenticator",
            "logout_everywhere",
        )
    },
    "desk:organisation": Staff(None),
    # Agenda and appointments.
    "desk:agenda": Staff(C.AGENDA),
    "desk:new_appointment": Staff(C.AGENDA),
    "desk:appointment": Staff(C.AGENDA),
    "desk:appointment_status": Staff(C.AGENDA),
    "desk:appointment_cancel": Staff(C.AGENDA),
    "desk:appointment_move": Staff(C.AGENDA),
    "desk:waiting_room": Staff(C.AGENDA),
    "desk:new_absence": Staff(C.AGENDA),
    "desk:delete_absence": Staff(C.AGENDA),
    # Patients.
    "desk:patients": Staff(C.PATIENTS),
    "desk:patient_picker": Staff(C.PATIENTS),
    "desk:patient": Staff(C.PATIENTS),
    "desk:patient_sms": Staff(C.PATIENTS),
    # Data protection: owners.
    "desk:patient_data": Staff(C.PRIVACY),
    "desk:patient_data_json": Staff(C.PRIVACY),
    "desk:patient_erase": Staff(C.PRIVACY),
    "desk:journal": Staff(C.PRIVACY),
    "desk:journal_csv": Staff(C.PRIVACY),
    # Referrers' area.
    "desk:referrer": Staff(C.REFERRER_BOOKING),
    "desk:referrer_book": Staff(C.REFERRER_BOOKING),
    "desk:referrer_cancel": Staff(C.REFERRER_BOOKING),
    # Messages.
    "desk:messages": Staff(C.MESSAGES),
    "desk:message_done": Staff(C.MESSAGES),
    "desk:undelivered": Staff(C.MESSAGES),
    # Aggregates.
    "desk:stats": Staff(C.STATISTICS),
    "desk:stats_csv": Staff(C.STATISTICS),
    # The virtual receptionist's calls.
    "desk:calls": Staff(C.CALLS),
    "desk:simulator": Staff(C.CALLS),
    "desk:simulator_call": Staff(C.CALLS),
    "desk:call": Staff(C.CALLS),
    # Settings: read by staff, changed by owners (a POST from other staff: 403).
    **{
        f"desk:{name}": Staff(C.SETTINGS_READ)
        for name in (
            "settings",
            "settings_sites",
            "settings_site_new",
            "settings_site",
            "settings_practitioners",
            "settings_practitioner_new",
            "settings_practitioner",
            "settings_motifs",
            "settings_motif_new",
            "settings_motif",
            "settings_periods",
            "settings_period_new",
            "settings_period",
            "settings_period_delete",
            "settings_absences",
            "settings_absence_delete",
            "settings_team",
            "settings_member_new",
            "settings_member",
            "settings_member_remove",
            "settings_member_reset_second_factor",
            "instructions",
            "instructions_yaml",
            "instructions_version",
            "notify_settings",
            "notify_sms_count",
            "notify_text",
            "notify_text_reset",
        )
    },
    # The remote secretariat's console.
    "secretariat:console": Console(frozenset({"foreign_operator", "owner"})),  # owner: billing
    "secretariat:queue": OPERATOR_PAGE,
    "secretariat:status": OPERATOR_PAGE,
    "secretariat:take": OPERATOR_PAGE,
    "secretariat:wallboard": OPERATOR_PAGE,
    "secretariat:wallboard_live": OPERATOR_PAGE,
    "secretariat:planning": OPERATOR_PAGE,
    **{
        f"secretariat:{name}": CALL
        for name in ("call", "book", "cancel", "move", "message", "put_through")
    },
    "secretariat:hang_up": CALL,
    "secretariat:finish": CALL,
    "secretariat:billing": STATEMENTS,
    "secretariat:statement": STATEMENTS,
    "secretariat:statement_csv": STATEMENTS,
    "secretariat:accept_contract": ConsolePost(frozenset({"owner"})),  # the client's owner
    "secretariat:withdraw_contract": ConsolePost(frozenset({"owner"})),
    # The secretariat's settings: its owner only (nobody of the cast).
    **{
        f"secretariat:{name}": Console()
        for name in (
            "contracts",
            "contract_new",
            "contract_edit",
            "operators",
            "operator_new",
            "operator_edit",
        )
    },
    # Telephony provider webhooks.
    "reception:twilio-voice": Signed(),
    "reception:twilio-gather": Signed(),
    "reception:twilio-status": Signed(),
    "secretariat_telephony:wait": Signed(),
    "secretariat_telephony:left": Signed(),
    "secretariat_telephony:operator": Signed(),
    # The public booking site: secrets are UUIDs and tokens in the URL.
    "booking:home": Public(),
    "booking:practice": Public(),
    "booking:site": Public(),
    "booking:choose_motif": Public(),
    "booking:week": Public(),
    "booking:book": Public(),
    "booking:waitlist_join": Public(),
    "booking:confirmation": Public(),
    "booking:manage": Public(),
    "booking:cancel": Public(),
    "booking:move": Public(),
    "booking:move_confirm": Public(),
    "booking:waitlist_offer": Public(),
    "booking:waitlist_leave": Public(),
    # The API: its documentation is public, its operations are in API_RULES.
    "api:openapi-json": Public(),
    "api:openapi-view": Public(),
    "api:api-root": Public(),
}
# Whole namespaces under one gate.
NAMESPACE_RULES = {"admin": Superuser()}

MEMBERS = ("owner", "practitioner", "secretary", "referrer", "analyst")
REFUSED = {403, 404}


# Discovering the URLs ------------------------------------------------------------------------


@dataclass
class Url:
    name: str  # "desk:agenda"; admin views without a name: "admin:<pattern>"
    namespace: str
    path: str
    pattern: URLPattern


def _fill(segment, kwargs: dict) -> str:
    if isinstance(segment, RoutePattern):
        return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), str(segment._route))
    if isinstance(segment, RegexPattern):
        text = segment._regex.lstrip("^").rstrip("$")
        return re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(kwargs[m.group(1)]), text)
    raise AssertionError(f"unknown pattern type {segment!r}")


def discover(kwargs: dict, overrides: dict) -> list[Url]:
    found = []

    def walk(patterns, namespace: str, prefix: list) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, p.namespace or namespace, [*prefix, p.pattern])
                continue
            name = f"{namespace}:{p.name}" if namespace else str(p.name)
            if p.name is None:
                name = f"{namespace}:{p.pattern}"
            values = {**kwargs, **overrides.get(name, {})}
            path = "/" + "".join(_fill(s, values) for s in [*prefix, p.pattern])
            found.append(Url(name, namespace, path, p))

    walk(get_resolver().url_patterns, "", [])
    return found


def rule_of(url: Url):
    if url.namespace == "api" and url.pattern.name in operation_names():
        return Api()
    return NAMESPACE_RULES.get(url.namespace) or RULES.get(url.name)


@pytest.fixture
def world():
    return world_module.build()


@pytest.fixture
def urls(world) -> list[Url]:
    return discover(world.kwargs, world.overrides)


def client_for(world, who: str) -> Client:
    client = Client()
    user = world.users[who]
    return login(client, user) if user is not None else client


# The table is complete and true --------------------------------------------------------------


def test_every_url_has_a_rule(urls):
    missing = sorted({u.name for u in urls if rule_of(u) is None})
    assert not missing, (
        f"No access rule for {missing}: add each URL name to RULES in "
        "tests/security/test_access_sweep.py (Public, LoggedIn, Staff(capability), Console, "
        "Signed), and protect the view accordingly."
    )
    stale = set(RULES) - {u.name for u in urls}
    assert not stale, f"RULES names URLs that no longer exist: {sorted(stale)}"


def test_every_url_resolves_to_its_view(urls):
    for url in urls:
        if url.namespace == "admin":
            continue
        assert resolve(url.path).func is url.pattern.callback, url.name


def test_staff_rules_match_what_each_view_declares(urls):
    """The capability in the table is the one the view asks `staff_view` for."""
    for url in urls:
        rule = rule_of(url)
        declared = getattr(url.pattern.callback, "capability", "none declared")
        if isinstance(rule, Staff):
            assert declared == rule.capability, (url.name, declared, rule.capability)
        else:
            assert declared == "none declared", f"{url.name} is a staff view: give it Staff()"


# GET and POST from every side -----------------------------------------------------------------


def expected(rule, who: str, method: str) -> str:
    """'ok' (any answer but a refusal), 'login', '404', '403' or 'same' (public)."""
    if isinstance(rule, Public):
        return "same"
    if who == "anonymous" and not isinstance(rule, Signed | Superuser | Api):
        return "login"
    if isinstance(rule, LoggedIn):
        return "ok"
    if isinstance(rule, Staff):
        if who not in MEMBERS:
            return "404"
        membership = Membership(role=world_module.ROLES[who])
        return "ok" if rule.capability is None or roles.may(membership, rule.capability) else "403"
    if isinstance(rule, ConsolePost):
        return "ok" if method == "post" and who in rule.allowed else "404"
    if isinstance(rule, Console):
        return "ok" if who in rule.allowed else "404"
    if isinstance(rule, Signed):
        return "405" if method == "get" else "403"
    if isinstance(rule, Superuser):
        return "admin-login"
    raise AssertionError(rule)


def snapshot() -> dict[str, list]:
    """Every row of the application's tables (the audit log apart: reading is recorded)."""
    rows = {}
    for model in apps.get_models():
        if not model.__module__.startswith("accueil.") or model._meta.label == "audit.AuditEntry":
            continue
        rows[model._meta.label] = list(model.objects.order_by("pk").values())
    rows["auth.User"] = list(User.objects.order_by("pk").values())
    return rows


def check(url: Url, who: str, method: str, response, world) -> None:
    rule = rule_of(url)
    want = expected(rule, who, method)
    status = response.status_code
    where = (url.name, url.path, who, method, status)
    assert status < 500, where
    if want == "login":
        assert status == 302 and response["Location"].startswith("/desk/connexion/"), where
    elif want == "admin-login":
        if url.name in ("admin:login", "admin:logout"):
            assert status in (200, 302, 405), where
        else:
            assert status == 302 and "/admin/login/" in response["Location"], where
    elif want in ("403", "404", "405"):
        assert status == int(want), where
    elif want == "ok":
        assert status not in REFUSED, where
        body = response.content.decode(errors="replace") if status == 200 else ""
        if who in ("foreign_operator", "outsider"):  # their own pages: nothing of ours
            assert world.organisation.name not in body, where
        if isinstance(rule, Staff):
            assert world.other.name not in body, where
            if who in ("referrer", "analyst"):  # the practice's patient is not theirs
                assert world.appointment.patient.last_name.upper() not in body.upper(), where


@pytest.mark.parametrize("who", CAST)
def test_get_every_url(world, urls, who):
    client = client_for(world, who)
    for url in urls:
        rule = rule_of(url)
        if isinstance(rule, Public | Api):
            continue  # compared across the cast below; operations by the API sweep
        check(url, who, "get", client.get(url.path), world)


@pytest.mark.parametrize("who", CAST)
def test_refused_posts_change_nothing(world, urls, who):
    """Whoever is refused a page is refused its POST too, and no row changes."""
    client = client_for(world, who)
    before = snapshot()
    tried = 0
    for url in urls:
        rule = rule_of(url)
        if isinstance(rule, Public | Api) or expected(rule, who, "post") == "ok":
            continue
        check(url, who, "post", client.post(url.path, {"status": "arrived"}), world)
        tried += 1
    assert snapshot() == before, who
    if who in ("outsider", "anonymous", "foreign_operator"):
        assert tried > 60, tried


def test_public_pages_answer_everyone_alike(world, urls):
    """No session changes what a public page answers (so it grants nothing either)."""
    # The login page sends a logged-in user on to the desk; logging out changes the session.
    public = [
        u
        for u in urls
        if isinstance(rule_of(u), Public) and u.name not in ("desk:login", "desk:logout")
    ]
    assert len(public) >= 15
    clients = {who: client_for(world, who) for who in CAST}
    for url in public:
        answers = {who: clients[who].get(url.path).status_code for who in CAST}
        assert len(set(answers.values())) == 1, (url.name, answers)
        assert answers["anonymous"] < 500, (url.name, answers)


def test_a_superuser_opens_the_admin(world, urls):
    client = login(Client(), User.objects.create_superuser("root", password="x-demo-pass"))
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/directory/organisation/").status_code == 200


# The API, operation by operation --------------------------------------------------------------

PUBLIC_API, TELEPHONY_TOKEN = "public", "telephony token"
API_RULES = {
    ("GET", "/api/v1/practitioners"): PUBLIC_API,
    ("GET", "/api/v1/motifs"): PUBLIC_API,
    ("GET", "/api/v1/slots"): PUBLIC_API,
    ("GET", "/api/v1/first-available"): PUBLIC_API,
    ("POST", "/api/v1/appointments"): PUBLIC_API,
    # The appointment's own manage token, in the query or the body.
    ("GET", "/api/v1/appointments/{appointment_id}"): PUBLIC_API,
    ("POST", "/api/v1/appointments/{appointment_id}/cancel"): PUBLIC_API,
    ("POST", "/api/v1/appointments/{appointment_id}/move"): PUBLIC_API,
    ("POST", "/api/v1/waitlist"): PUBLIC_API,
    ("DELETE", "/api/v1/waitlist/{token}"): PUBLIC_API,
    # The voice agent's side: a bearer token (ACCUEIL_TELEPHONY_TOKEN).
    ("GET", "/api/v1/organisations"): TELEPHONY_TOKEN,
    ("POST", "/api/v1/calls"): TELEPHONY_TOKEN,
    ("POST", "/api/v1/calls/{call_id}/turns"): TELEPHONY_TOKEN,
    ("GET", "/api/v1/calls/{call_id}"): TELEPHONY_TOKEN,
    ("POST", "/api/v1/calls/{call_id}/hangup"): TELEPHONY_TOKEN,
}


@functools.cache
def operations() -> list[tuple[str, str, dict]]:
    schema = api.get_openapi_schema()
    return [
        (method.upper(), path, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


@functools.cache
def operation_names() -> set[str]:
    """URL names of the operations (ninja names each route after its function)."""
    return {url.name for url in _api_urls()}


def _api_urls():
    (resolver,) = [
        p
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and p.namespace == "api"
    ]
    ids = {op["operationId"] for _, _, op in operations()}
    return [
        p
        for p in resolver.url_patterns
        if isinstance(p, URLPattern) and p.name and any(i.endswith("_" + p.name) for i in ids)
    ]


def test_every_api_operation_has_a_rule():
    found = {(method, path) for method, path, _ in operations()}
    missing = sorted(found - set(API_RULES))
    assert not missing, (
        f"No access rule for the API operations {missing}: add them to API_RULES in "
        "tests/security/test_access_sweep.py."
    )
    assert not set(API_RULES) - found, sorted(set(API_RULES) - found)


def test_token_operations_are_the_ones_the_schema_secures():
    for method, path, operation in operations():
        secured = bool(operation.get("security"))
        assert secured == (API_RULES[(method, path)] == TELEPHONY_TOKEN), (method, path)


def _api_path(path: str, world) -> str:
    values = {
        "appointment_id": world.appointment.public_id,
        "call_id": world.kwargs["call_id"],
        "token": "inconnu-" + "x" * 24,
    }
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


def _api_query(method: str, world) -> dict:
    if method != "GET":
        return {}
    return {
        "practitioner": world.kwargs["practitioner_id"],
        "motif": world.kwargs["motif_id"],
        "from": "2027-01-04",
        "to": "2027-01-08",
    }


def _request(client: Client, method: str, path: str, data: dict, **headers):
    if method == "GET":
        return client.get(path, data, headers=headers)
    call = getattr(client, method.lower())
    return call(path, data={}, content_type="application/json", headers=headers)


def test_public_operations_answer_everyone_alike(world):
    """A session (staff, outsider) neither opens nor changes anything in the public API."""
    clients = {who: client_for(world, who) for who in CAST}
    before = snapshot()
    for method, path, _ in operations():
        if API_RULES[(method, path)] != PUBLIC_API:
            continue
        url = _api_path(path, world)
        answers = {
            who: _request(clients[who], method, url, _api_query(method, world)) for who in CAST
        }
        statuses = {who: r.status_code for who, r in answers.items()}
        assert len(set(statuses.values())) == 1, (method, path, statuses)
        assert statuses["anonymous"] < 500, (method, path, statuses)
        bodies = {r.content for r in answers.values()}
        if method == "GET" and "{" not in path:
            assert len(bodies) == 1, (method, path)
    assert snapshot() == before  # no body, no token: nothing booked, cancelled or left


@pytest.mark.parametrize("who", CAST)
def test_token_operations_refuse_without_the_right_token(world, who, settings):
    settings.ACCUEIL_TELEPHONY_TOKEN = "le-bon-jeton-de-la-standardiste"
    client = client_for(world, who)
    before = snapshot()
    secured = [(m, p) for m, p, _ in operations() if API_RULES[(m, p)] == TELEPHONY_TOKEN]
    assert len(secured) == 5
    for method, path in secured:
        url = _api_path(path, world)
        for headers in ({}, {"Authorization": "Bearer mauvais-jeton"}):
            response = _request(client, method, url, {}, **headers)
            assert response.status_code == 401, (method, path, who, headers)
    assert snapshot() == before
    # The right token opens them (a hang-up then really ends the call: checked last).
    good = {"Authorization": "Bearer le-bon-jeton-de-la-standardiste"}
    for method, path in secured:
        response = _request(client, method, _api_path(path, world), {}, **good)
        assert response.status_code != 401, (method, path)


def test_outsider_sees_nothing_of_the_other_practice_in_its_own_pages(world):
    client = client_for(world, "outsider")
    other = world.other.slug
    patient = world.appointment.patient
    response = client.get(f"/desk/{other}/patients/?q={patient.last_name}")
    assert response.status_code == 200
    assert "Aucun patient trouvé" in response.content.decode()
    assert f"/patients/{patient.id}/" not in response.content.decode()
    response = client.get(f"/desk/{other}/agenda/?jour=2027-01-04")
    assert world.appointment.practitioner.last_name not in response.content.decode()
