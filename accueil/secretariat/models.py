"""A remote secretariat ("télésecrétariat"): its contracts with client practices, its
operators and the calls they answer, in one queue across every client.

The secretariat is an `Organisation` of kind REMOTE_SECRETARIAT. What a caller says stays
in `reception.Turn`; a queued call keeps only the caller's number, flags, times, the outcome
and the operator's wrap-up note (health data: shown to the secretariat and the practice,
never logged).
"""

import datetime as dt
import uuid

from django.conf import settings
from django.db import models

from accueil.directory.models import Organisation
from accueil.reception.models import Call


class Outcome(models.TextChoices):
    """How an operator's call ended (the wrap-up code); ABANDONED is set by the queue."""

    BOOKED = "booked", "Rendez-vous pris"
    MOVED = "moved", "Rendez-vous déplacé"
    CANCELLED = "cancelled", "Rendez-vous annulé"
    MESSAGE = "message", "Message transmis"
    INFORMED = "informed", "Renseignement donné"
    PUT_THROUGH = "put_through", "Mis en relation"
    EMERGENCY = "emergency", "Orienté vers le 15"
    NO_SLOT = "no_slot", "Aucun créneau à proposer"
    WRONG_NUMBER = "wrong_number", "Faux numéro"
    ABANDONED = "abandoned", "Raccroché avant la prise d'appel"


# Calls that could not be satisfied: billed only when the contract says so.
UNSATISFIABLE = frozenset({Outcome.NO_SLOT, Outcome.WRONG_NUMBER, Outcome.ABANDONED})
# What a new contract bills: every call an operator settled.
DEFAULT_BILLABLE = [o.value for o in Outcome if o not in UNSATISFIABLE]


class Contract(models.Model):
    """What a secretariat answers for a client practice, when, and how it bills it."""

    class Mode(models.TextChoices):
        ALL_CALLS = "all", "Tous les appels"
        OVERFLOW = "overflow", "Débordement : quand le cabinet ne décroche pas"
        OUTSIDE_DESK_HOURS = "outside_desk_hours", "En dehors des heures du secrétariat du cabinet"
        HANDOVERS = "handovers", "Seulement les appels transmis par la standardiste virtuelle"

    secretariat = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="client_contracts"
    )
    client = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="secretariat_contracts"
    )
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.HANDOVERS)
    overflow_seconds = models.PositiveSmallIntegerField(default=20)
    # [{"days": [0, 1, 2, 3, 4, 5], "start": "07:00", "end": "19:00"}], Paris wall-clock time;
    # the same shape as the instruction sheet's desk hours (routing.check_hours).
    covered_hours = models.JSONField(default=list)
    # A head start in the queue, in seconds (0: plain first come, first served).
    priority = models.PositiveSmallIntegerField(default=0)
    required_skills = models.JSONField(default=list, blank=True)
    price_per_call = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    monthly_fee = models.DecimalField(max_digits=9, decimal_places=2, default=0)
    billable_outcomes = models.JSONField(default=list)
    bill_unsatisfiable = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The client practice's owner agreed (a contract proposed in the console routes no call
    # and opens none of the practice's data until then).
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["secretariat", "client"], name="one_contract_per_secretariat_and_client"
            )
        ]

    def __str__(self) -> str:
        return f"{self.secretariat} → {self.client}"


class Operator(models.Model):
    class Status(models.TextChoices):
        AVAILABLE = "available", "Disponible"
        ON_CALL = "on_call", "En communication"
        WRAP_UP = "wrap_up", "Fin d'appel"
        PAUSE = "pause", "En pause"
        OFFLINE = "offline", "Hors ligne"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="operator"
    )
    secretariat = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="operators"
    )
    skills = models.JSONField(default=list, blank=True)  # ["pédiatrie", "anglais"]
    # Where the audio bridge rings the operator: E.164 number or sip: address (bridge.py).
    phone = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFLINE)
    status_since = models.DateTimeField()
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class QueuedCall(models.Model):
    """One call for the secretariat: waiting, answered by one operator, then wrapped up."""

    class Status(models.TextChoices):
        WAITING = "waiting", "En attente"
        ON_CALL = "on_call", "En communication"
        WRAP_UP = "wrap_up", "Fin d'appel"
        DONE = "done", "Terminé"
        ABANDONED = "abandoned", "Raccroché avant réponse"

    class Source(models.TextChoices):
        HANDOVER = "handover", "Transmis par la standardiste virtuelle"
        DIRECT = "direct", "Appel direct"

    class Bridge(models.TextChoices):
        """The audio bridge to the operator who took the call (bridge.py)."""

        NONE = "", "Sans objet"
        REQUESTED = "requested", "Appel de l'opérateur lancé"
        OFF = "off", "Pont téléphonique désactivé"
        FAILED = "failed", "Échec du pont téléphonique"

    # Public id: console URLs must not be guessable.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    secretariat = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="secretariat_queue"
    )
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="calls")
    client = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="secretariat_calls"
    )
    reception_call = models.OneToOneField(
        Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="queued"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    caller_number = models.CharField(max_length=20, blank=True, help_text="E.164")
    # Twilio's CallSid of the caller's leg: the call waits in Twilio's <Enqueue> (bridge.py).
    twilio_call_sid = models.CharField(max_length=64, blank=True, db_index=True)
    bridge = models.CharField(max_length=10, choices=Bridge.choices, blank=True, default="")
    urgent = models.BooleanField(default=False)
    put_through_listed = models.BooleanField(default=False)
    required_skills = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    queued_at = models.DateTimeField()
    # queued_at minus the contract's priority: the queue's "longest waiting" order.
    rank_at = models.DateTimeField()
    taken_by = models.ForeignKey(
        Operator, null=True, blank=True, on_delete=models.PROTECT, related_name="calls"
    )
    taken_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)  # end of the conversation
    wrapped_at = models.DateTimeField(null=True, blank=True)  # outcome and note written
    abandoned_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    wrap_up_note = models.TextField(blank=True)
    appointment_ids = models.JSONField(default=list, blank=True)  # booked, moved, cancelled
    message_ids = models.JSONField(default=list, blank=True)  # StaffMessage rows left

    class Meta:
        indexes = [
            models.Index(fields=["secretariat", "status", "rank_at"]),
            models.Index(fields=["secretariat", "queued_at"]),
            models.Index(fields=["client", "queued_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["taken_by"],
                condition=models.Q(status__in=["on_call", "wrap_up"]),
                name="one_call_at_a_time_per_operator",
            )
        ]

    def __str__(self) -> str:
        return f"Appel {self.public_id} ({self.get_status_display()})"

    @property
    def wait(self) -> dt.timedelta | None:
        end = self.taken_at or self.abandoned_at
        return end - self.queued_at if end else None

    @property
    def talk(self) -> dt.timedelta | None:
        return self.ended_at - self.taken_at if self.ended_at and self.taken_at else None

    @property
    def handling(self) -> dt.timedelta | None:
        """Conversation and wrap-up: what the average handling time averages."""
        return self.wrapped_at - self.taken_at if self.wrapped_at and self.taken_at else None


class PlannedStaffing(models.Model):
    """How many operators the secretariat plans for a half-hour of a weekday."""

    secretariat = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="planned_staffing"
    )
    weekday = models.PositiveSmallIntegerField()  # 0 Monday .. 6 Sunday
    start = models.TimeField()  # 07:00, 07:30...
    operators = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["secretariat", "weekday", "start"], name="one_plan_per_half_hour"
            )
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start:%H:%M} : {self.operators}"
