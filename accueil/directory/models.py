"""Who owns agendas: organisations, their sites, practitioners, staff memberships and motifs.

Texts for patients (walk-in hours, access, a motif's instructions) are not here: they live
in the instruction sheet (reception, docs/decisions/0014)."""

import datetime

from django.conf import settings
from django.db import models
from django.utils.text import slugify

# First path segments the application itself uses: an organisation's public page lives at
# /<slug>/, so these can never be slugs (tests/directory/test_models.py checks the list
# against the URL configuration).
RESERVED_SLUGS = (
    "admin", "api", "console", "desk", "liste-attente", "rdv", "static", "telephony"
)  # fmt: skip


class Organisation(models.Model):
    class Kind(models.TextChoices):
        CABINET = "cabinet", "Cabinet"
        MSP = "msp", "Maison de santé pluriprofessionnelle"
        HEALTH_CENTRE = "centre_sante", "Centre de santé"
        HOSPITAL_SERVICE = "service_hospitalier", "Service hospitalier"
        DEPARTMENTAL_SERVICE = "service_departemental", "Service départemental"
        REMOTE_SECRETARIAT = "telesecretariat", "Télésecrétariat"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    phone = models.CharField(max_length=20, blank=True)
    # `holidays` subdivision: "" metropole, "57"/"6AE" Alsace-Moselle, "971".. overseas.
    holidays_subdivision = models.CharField(max_length=8, blank=True, default="")
    closed_on_public_holidays = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(slug__in=RESERVED_SLUGS),
                name="organisation_slug_not_reserved",
                violation_error_message="Cette adresse est réservée par Accueil.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=200)
    # Public URL /<organisation.slug>/<slug>/; filled from the city when left empty.
    slug = models.SlugField(max_length=80, blank=True)
    address = models.CharField(max_length=300)
    postcode = models.CharField(max_length=10)
    city = models.CharField(max_length=100)
    phone = models.CharField(max_length=20, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="site_slug_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.city})"

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = unique_site_slug(
                self.organisation_id, self.city or self.name, exclude_id=self.pk
            )
        super().save(*args, **kwargs)

    @property
    def full_address(self) -> str:
        return f"{self.address}, {self.postcode} {self.city}"


def unique_site_slug(organisation_id: int, text: str, *, exclude_id: int | None = None) -> str:
    """A slug for a site (from its city), unique within its organisation: lille, lille-2..."""
    base = slugify(text)[:72].strip("-") or "lieu"
    taken = set(
        Site.objects.filter(organisation_id=organisation_id, slug__startswith=base)
        .exclude(pk=exclude_id)
        .values_list("slug", flat=True)
    )
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


class Practitioner(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="practitioners"
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    title = models.CharField(max_length=20, blank=True, help_text="Dr, Pr, Mme, M.")
    profession = models.CharField(max_length=100, db_index=True)
    rpps = models.CharField("RPPS", max_length=11, blank=True)
    sites = models.ManyToManyField(Site, related_name="practitioners")
    departure_date = models.DateField(null=True, blank=True, help_text="Départ annoncé")
    active = models.BooleanField(default=True)
    # Where the practice's messages reach the practitioner when the instruction sheet routes
    # a category to them (never shown to patients).
    pro_mobile = models.CharField("Portable professionnel", max_length=20, blank=True)
    pro_email = models.EmailField("E-mail professionnel", blank=True)
    # Urgent messages by SMS even during the SMS quiet hours (night): the practitioner's
    # own choice, off by default.
    urgent_sms_anytime = models.BooleanField(
        "SMS urgents à toute heure, même la nuit", default=False
    )

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.title, self.first_name, self.last_name) if p)


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Responsable"
        PRACTITIONER = "practitioner", "Praticien"
        SECRETARY = "secretary", "Secrétaire"
        # Outside professional: books the motifs open to referrers, sees only their bookings.
        REFERRER = "referrer", "Correspondant"
        # Territory: aggregate figures only, never a patient.
        ANALYST = "analyst", "Analyste territorial"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    practitioner = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.organisation} ({self.get_role_display()})"


class Motif(models.Model):
    class LocationType(models.TextChoices):
        ON_SITE = "on_site", "Au cabinet"
        PHONE = "phone", "Par téléphone"
        VIDEO = "video", "En vidéo"
        HOME = "home", "À domicile"

    class BookableBy(models.TextChoices):
        STAFF = "staff", "Secrétariat uniquement"
        REFERRERS = "referrers", "Correspondants"
        PUBLIC = "public", "Tout public"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="motifs")
    practitioners = models.ManyToManyField(Practitioner, related_name="motifs")
    name = models.CharField(max_length=200)
    duration = models.DurationField(default=datetime.timedelta(minutes=15))
    # Grid of slot starts inside a period; empty means "step by the duration".
    step = models.DurationField(null=True, blank=True)
    location_type = models.CharField(
        max_length=10, choices=LocationType.choices, default=LocationType.ON_SITE
    )
    bookable_by = models.CharField(
        max_length=10, choices=BookableBy.choices, default=BookableBy.PUBLIC
    )
    min_notice = models.DurationField(default=datetime.timedelta(minutes=30))
    horizon = models.DurationField(default=datetime.timedelta(days=91))
    buffer_before = models.DurationField(default=datetime.timedelta(0))
    buffer_after = models.DurationField(default=datetime.timedelta(0))
    # Home visits only: time kept free between a visit and anything else.
    travel_time = models.DurationField(default=datetime.timedelta(0))
    capacity = models.PositiveSmallIntegerField(default=1)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1), name="motif_capacity_gte_1"
            ),
            models.CheckConstraint(
                condition=models.Q(duration__gt=datetime.timedelta(0)), name="motif_duration_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def duration_minutes(self) -> int:
        return int(self.duration.total_seconds() // 60)

    @property
    def is_group_session(self) -> bool:
        return self.capacity > 1
