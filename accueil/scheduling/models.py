"""When practitioners can be booked: recurring opening periods and absences."""

from django.core.exceptions import ValidationError
from django.db import models

from accueil.directory.models import Motif, Practitioner, Site

WEEKDAY_NAMES = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


class OpeningPeriod(models.Model):
    """Recurring wall-clock hours (Europe/Paris) during which some motifs can be booked.

    Either a single date, or weekly on `weekdays` every `every_n_weeks` weeks from
    `valid_from` (the week of `valid_from` is week 0) until `valid_until` included.
    """

    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="opening_periods"
    )
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="opening_periods")
    motifs = models.ManyToManyField(Motif, related_name="opening_periods")
    start_time = models.TimeField()
    end_time = models.TimeField()
    single_date = models.DateField(null=True, blank=True)
    # Comma-separated ISO weekday numbers, Monday=0 (as datetime.weekday()).
    weekdays = models.CharField(max_length=20, blank=True, default="")
    every_n_weeks = models.PositiveSmallIntegerField(default=1)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="period_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(every_n_weeks__gte=1), name="period_every_n_weeks_gte_1"
            ),
        ]

    def __str__(self) -> str:
        days = ", ".join(WEEKDAY_NAMES[d] for d in sorted(self.weekday_set))
        when = self.single_date.isoformat() if self.single_date else days
        return f"{when} {self.start_time:%H:%M}-{self.end_time:%H:%M}"

    def clean(self) -> None:
        if not self.single_date and not self.weekday_set:
            raise ValidationError("Choisissez une date ou au moins un jour de la semaine.")

    @property
    def weekday_set(self) -> frozenset[int]:
        return frozenset(int(d) for d in self.weekdays.split(",") if d.strip())


class Absence(models.Model):
    """Time that blocks a practitioner's agenda; optionally repeated every week."""

    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="absences"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    weekly = models.BooleanField(default=False)
    repeat_until = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="absence_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} {self.start:%Y-%m-%d %H:%M} – {self.end:%Y-%m-%d %H:%M}"
