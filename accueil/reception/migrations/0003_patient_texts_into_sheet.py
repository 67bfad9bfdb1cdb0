"""The texts for patients move into the instruction sheet (docs/decisions/0014): each
organisation's walk-in hours, its sites' access directions and its motifs' instructions
become a new version of its sheet, before directory 0004 drops those columns.

Only organisations with such a text get a version. One without a saved sheet gets version 1
made from the defaults (the same pure functions the application uses, on the historical
models), with the texts in it."""

import copy
import datetime as dt

from django.db import migrations


def _sites_text(sites):
    texts = [(s.name, " ".join(s.access_directions.split())) for s in sites]
    texts = [(name, text) for name, text in texts if text]
    if len(sites) <= 1 or len(texts) <= 1:
        return " ".join(text for _, text in texts)
    return " ".join(f"{name} : {text}" for name, text in texts)


def _default(organisation, sites, OpeningPeriod):
    from accueil.reception import instructions

    spans = []
    for period in OpeningPeriod.objects.filter(
        practitioner__organisation=organisation, single_date__isnull=True
    ):
        days = {int(d) for d in period.weekdays.split(",") if d.strip()}
        spans.extend((day, period.start_time, period.end_time) for day in days)
    many = len(sites) > 1
    facts = instructions.OrganisationFacts(
        name=organisation.name,
        addresses=[
            f"{s.name} : {s.address}, {s.postcode} {s.city}"
            if many
            else f"{s.address}, {s.postcode} {s.city}"
            for s in sites
        ],
        hours=instructions.hours_sentence(spans),
    )
    return instructions.default_sheet(facts)


def forwards(apps, schema_editor):
    Organisation = apps.get_model("directory", "Organisation")
    Motif = apps.get_model("directory", "Motif")
    OpeningPeriod = apps.get_model("scheduling", "OpeningPeriod")
    InstructionSheet = apps.get_model("reception", "InstructionSheet")
    for organisation in Organisation.objects.order_by("id"):
        sites = list(organisation.sites.order_by("id"))
        walk_in = " ".join(organisation.walk_in_hours.split())
        directions = _sites_text(sites)
        motifs = [
            (m.name, " ".join(m.patient_instructions.split()))
            for m in Motif.objects.filter(organisation=organisation).order_by("id")
            if m.patient_instructions.strip()
        ]
        if not (walk_in or directions or motifs):
            continue
        latest = (
            InstructionSheet.objects.filter(organisation=organisation).order_by("-version").first()
        )
        sheet = (
            copy.deepcopy(latest.data) if latest else _default(organisation, sites, OpeningPeriod)
        )
        topics = sheet.setdefault("topics", {})
        # A saved sheet already said something about these: it wins (it is what callers hear).
        if walk_in and not topics.get("walk_in"):
            topics["walk_in"] = walk_in
        if directions and not topics.get("directions"):
            topics["directions"] = directions
        entries = sheet.setdefault("motifs", [])
        by_name = {e["motif"].casefold(): e for e in entries}
        for name, text in motifs:
            entry = by_name.get(name.casefold())
            if entry is None:
                entry = {"motif": name, "keywords": []}
                entries.append(entry)
                by_name[name.casefold()] = entry
            entry["instructions"] = text[:1000]
        for entry in entries:
            entry.setdefault("instructions", "")
        sheet.setdefault("notes", "")
        InstructionSheet.objects.create(
            organisation=organisation,
            version=(latest.version if latest else 0) + 1,
            data=sheet,
            created_at=dt.datetime.now(dt.UTC),
            note="Textes pour les patients repris des réglages",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("reception", "0002_call_message_ids"),
        ("directory", "0003_organisation_slug_not_reserved"),
        ("scheduling", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
