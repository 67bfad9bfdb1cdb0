"""The instruction sheet in force for an organisation, and its texts for patients.

Kept apart from `services` (calls, booking through the receptionist) so that the public
booking pages and the outbox read the one source of their texts without importing the
receptionist (docs/decisions/0014).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from accueil import sqlbatch
from accueil.directory.models import Organisation
from accueil.reception import instructions
from accueil.reception.models import InstructionSheet
from accueil.scheduling.models import OpeningPeriod


def organisation_facts(organisation: Organisation) -> instructions.OrganisationFacts:
    sites = list(organisation.sites.order_by("id"))
    return instructions.OrganisationFacts(
        name=organisation.name,
        addresses=[
            f"{s.name} : {s.full_address}" if len(sites) > 1 else s.full_address for s in sites
        ],  # fmt: skip
        hours=opening_hours_text(organisation),
    )


def opening_hours_text(organisation: Organisation) -> str:
    """ "Le cabinet reçoit sur rendez-vous le lundi de 8 h 30 à 12 h et de 14 h à 19 h, ..."."""
    spans = []
    for period in OpeningPeriod.objects.filter(
        practitioner__organisation=organisation, single_date__isnull=True
    ):
        spans.extend((day, period.start_time, period.end_time) for day in period.weekday_set)
    return instructions.hours_sentence(spans)


def default_sheet(organisation: Organisation) -> dict[str, Any]:
    return instructions.check_sheet(instructions.default_sheet(organisation_facts(organisation)))


def current_sheet(organisation: Organisation) -> tuple[int, dict[str, Any]]:
    """(version, sheet): the latest version, or version 0 made from the defaults."""
    latest = (
        InstructionSheet.objects.filter(organisation=organisation)
        .order_by("-version")
        .values_list("version", "data")
        .first()
    )
    if latest is None:
        return 0, default_sheet(organisation)
    return latest


def patient_texts(organisation: Organisation) -> instructions.PublicTexts:
    """The texts for patients of the sheet in force (topics, each motif's instructions):
    what the public pages, the confirmations and the receptionist show and say."""
    return instructions.public_texts(current_sheet(organisation)[1])


@functools.cache
def _latest_query() -> tuple[str, Callable[[list[tuple]], list[InstructionSheet]]]:
    """The latest saved version, compiled once: the SQL differs only by the organisation."""
    (sql, params), sheets = sqlbatch.select(
        InstructionSheet.objects.filter(organisation_id=0).order_by("-version")[:1]
    )
    if list(params) != [0]:
        raise RuntimeError(f"Unexpected parameters {params!r}")
    return sql, sheets


def motif_instructions_statement(
    organisation_id: int,
) -> tuple[sqlbatch.Statement, Callable[[list[tuple]], instructions.PublicTexts]]:
    """`patient_texts` as a statement for a batch (the booking's messages read it with
    their other context), and what makes the texts of its rows. Only each motif's
    instructions are exact this way: a practice without a saved sheet has the default one,
    which has none (its topics, built from the sites and hours, are not read here)."""
    sql, sheets = _latest_query()

    def texts(rows: list[tuple]) -> instructions.PublicTexts:
        found = sheets(rows)
        if not found:
            return instructions.PublicTexts(topics={}, motifs={})
        return instructions.public_texts(found[0].data)

    return (sql, [organisation_id]), texts
