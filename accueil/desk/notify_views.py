"""Desk pages about notifications: the "Rappels et messages" settings (what is sent and when,
the organisation's texts) and the messages that did not reach patients.

The settings follow the other settings pages: every member reads them, only owners change
them (`settings_view`). Views stay thin: `notify.services` checks and writes.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accueil.desk.notify_forms import MessageTextForm, NotificationSettingsForm
from accueil.desk.settings_views import _data, _initial, _save, settings_view
from accueil.desk.views import staff_view
from accueil.directory.roles import Capability
from accueil.notify import services as notify
from accueil.notify import texts
from accueil.notify.models import Channel, Kind, Message

UNDELIVERED_DAYS = 7


def _page(request: HttpRequest, template: str, **context) -> HttpResponse:
    context.update(
        organisation=request.organisation,
        nav="settings",
        section="notify",
        may_edit=request.may_edit,
    )
    return render(request, f"desk/settings/{template}", context)


@settings_view
def notify_settings(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    prefs = notify.settings_for(organisation.id)
    form = NotificationSettingsForm(
        _data(request), initial=_initial(prefs, NotificationSettingsForm)
    )
    if _save(request, form, lambda data: notify.save_settings(organisation, **data)):
        messages.success(
            request,
            "Réglages des messages enregistrés. Ils valent pour les rendez-vous pris ou "
            "déplacés à partir de maintenant ; les rappels déjà programmés ne changent pas.",
        )
        return redirect("desk:notify_settings", slug=organisation.slug)
    own = texts.organisation_texts(organisation.id)
    kinds = []
    for kind in Kind:
        channels = [
            {
                "channel": Channel(channel),
                "default": texts.DEFAULTS[(kind, channel)],
                "own": own.get((kind, channel)),
                "url": reverse("desk:notify_text", args=[organisation.slug, kind.value, channel]),
            }
            for channel in Channel
            if (kind, channel) in texts.DEFAULTS
        ]
        kinds.append({"kind": kind, "channels": channels})
    return _page(request, "notify.html", form=form, kinds=kinds)


def _text_key(kind: str, channel: str) -> tuple[str, str]:
    if (kind, channel) not in texts.DEFAULTS:
        raise Http404
    return kind, channel


@settings_view
def notify_text(request: HttpRequest, kind: str, channel: str) -> HttpResponse:
    """One text: edit it (owners), preview it with long sample values, count its SMS."""
    organisation = request.organisation
    key = _text_key(kind, channel)
    own = texts.organisation_texts(organisation.id).get(key)
    subject, body = own or texts.DEFAULTS[key]
    count_url = reverse("desk:notify_sms_count", args=[organisation.slug])
    form = MessageTextForm(
        channel, count_url, _data(request), initial={"subject": subject, "body": body}
    )
    if request.method == "POST":
        subject = request.POST.get("subject", "")
        body = request.POST.get("body", "")
        if "preview" in request.POST:
            # Checked like a save, nothing written: the count and the errors without JS.
            _save(request, form, lambda data: notify.clean_template(kind, channel, **data))
        elif _save(
            request,
            form,
            lambda data: notify.save_template(organisation, kind, channel, **data),
        ):
            messages.success(request, "Texte enregistré. Il sert aux prochains messages.")
            return redirect("desk:notify_text", organisation.slug, kind, channel)
    body = texts.normalise(body)
    is_sms = channel == Channel.SMS
    sample = texts.render(body, texts.SAMPLE_VALUES)
    return _page(
        request,
        "notify_text.html",
        form=form,
        title=f"{Kind(kind).label} par {Channel(channel).label}",
        kind=kind,
        channel=channel,
        is_sms=is_sms,
        own=own,
        default=texts.DEFAULTS[key],
        placeholders=[
            (name, texts.PLACEHOLDER_HELP[name]) for name in sorted(texts.PLACEHOLDERS[kind])
        ],
        preview_subject=texts.render(" ".join(subject.split()), texts.SAMPLE_VALUES),
        preview_body=texts.sms_text(sample) if is_sms else sample,
        length=texts.sample_sms_length(body) if is_sms else None,
        max_segments=texts.SMS_MAX_SEGMENTS,
    )


@settings_view
@require_POST
def notify_sms_count(request: HttpRequest) -> HttpResponse:
    """The count fragment of an SMS text being typed (htmx)."""
    body = texts.normalise(request.POST.get("body", ""))
    context = {"length": texts.sample_sms_length(body), "max_segments": texts.SMS_MAX_SEGMENTS}
    return render(request, "desk/settings/_sms_count.html", context)


@settings_view
@require_POST
def notify_text_reset(request: HttpRequest, kind: str, channel: str) -> HttpResponse:
    _text_key(kind, channel)
    if notify.reset_template(request.organisation, kind, channel):
        messages.success(request, "Le texte par défaut est rétabli.")
    return redirect("desk:notify_text", request.organisation.slug, kind, channel)


# Messages not delivered ---------------------------------------------------------------------


@staff_view(Capability.MESSAGES)
def undelivered(request: HttpRequest) -> HttpResponse:
    """Failed and dropped messages of the last 7 days, newest first, with the reason."""
    now = timezone.now()
    found = notify.undelivered(request.organisation, now - dt.timedelta(days=UNDELIVERED_DAYS), now)
    status = request.GET.get("statut", "")
    if status in (Message.Status.FAILED, Message.Status.DROPPED):
        found = found.filter(status=status)
    else:
        status = ""
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    context = {
        "organisation": request.organisation,
        "nav": "undelivered",
        "page": page,
        "status": status,
        "statuses": [Message.Status.FAILED, Message.Status.DROPPED],
        "days": UNDELIVERED_DAYS,
    }
    return render(request, "desk/undelivered.html", context)
