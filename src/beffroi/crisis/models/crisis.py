"""A crisis (or an exercise), its level, its communal command post (PCC) and shift handovers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Hazard(models.TextChoices):
    FLOOD = "inondation", _("Inondation")
    HEATWAVE = "canicule", _("Canicule")
    STORM = "tempete", _("Tempête")
    SNOW = "neige", _("Neige et verglas")
    POLLUTION = "pollution", _("Pollution de l'air")
    INDUSTRIAL = "technologique", _("Risque technologique")
    GROUND = "mouvement_terrain", _("Mouvement de terrain")
    NETWORK = "reseaux", _("Coupure de réseaux (eau, électricité)")
    HEALTH = "sanitaire", _("Crise sanitaire")
    OTHER = "autre", _("Autre")


LEVELS = {
    1: _("1 – veille"),
    2: _("2 – vigilance renforcée"),
    3: _("3 – alerte (PCS activé)"),
    4: _("4 – crise majeure"),
}
LEVEL_ALIASES = {
    "veille": 1,
    "vert": 1,
    "green": 1,
    "vigilance": 2,
    "jaune": 2,
    "yellow": 2,
    "alerte": 3,
    "orange": 3,
    "crise": 4,
    "rouge": 4,
    "red": 4,
}


class Crisis(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("En cours")
        CLOSED = "closed", _("Close")

    title = models.CharField(_("intitulé"), max_length=200)
    hazard = models.CharField(_("aléa"), max_length=30, choices=Hazard.choices)
    communes = models.JSONField(_("communes (codes INSEE)"), default=list)
    level = models.PositiveSmallIntegerField(_("niveau"), choices=list(LEVELS.items()), default=2)
    exercise = models.BooleanField(_("exercice"), default=False)
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    opened_at = models.DateTimeField(_("ouverte le"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(_("close le"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closing_summary = models.TextField(_("bilan de clôture"), blank=True)
    shift_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("responsable de quart"),
    )

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("crise")
        permissions = [
            ("open_crisis", "Ouvrir une crise"),
            ("close_crisis", "Clore une crise"),
            ("escalate_crisis", "Changer le niveau d'une crise"),
            ("run_exercise", "Lancer et animer un exercice"),
        ]

    def __str__(self) -> str:
        prefix = "[EXERCICE] " if self.exercise else ""
        return f"{prefix}{self.title}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def level_label(self) -> str:
        return str(LEVELS.get(self.level, self.level))


class LogChain(models.Model):
    """The per-crisis lock row and head of the main courante hash chain.

    Appending an entry locks this row (``select_for_update`` on PostgreSQL; an IMMEDIATE transaction
    on SQLite), so appends to one crisis are serialised and the chain never forks.
    """

    crisis = models.OneToOneField(Crisis, on_delete=models.PROTECT, primary_key=True, related_name="chain")
    length = models.PositiveIntegerField(default=0)
    head_hash = models.CharField(max_length=64, default="0" * 64)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("tête de chaîne")

    def __str__(self) -> str:
        return f"{self.crisis_id}: {self.length} entries, head {self.head_hash[:16]}"


class Staffing(models.Model):
    """Who sits in which cell of the communal command post (PCC), with their contact."""

    class Cell(models.TextChoices):
        DOS = "dos", _("Directeur des opérations (DOS)")
        COS = "cos", _("Commandant des opérations de secours (COS) / liaison")
        PCC = "responsable_pcc", _("Responsable du PCC")
        SECRETARIAT = "secretariat", _("Secrétariat / main courante")
        LOGISTICS = "logistique", _("Logistique")
        POPULATION = "soutien_population", _("Soutien aux populations")
        COMMUNICATION = "communication", _("Communication")
        TECHNICAL = "technique", _("Services techniques")
        OTHER = "autre", _("Autre")

    crisis = models.ForeignKey(Crisis, on_delete=models.PROTECT, related_name="staffing")
    cell = models.CharField(_("cellule"), max_length=30, choices=Cell.choices)
    name = models.CharField(_("nom"), max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    started_at = models.DateTimeField(_("depuis"))
    ended_at = models.DateTimeField(_("jusqu'à"), null=True, blank=True)

    class Meta:
        ordering = ["cell", "started_at"]
        verbose_name = _("poste au PCC")

    def __str__(self) -> str:
        return f"{self.get_cell_display()}: {self.name}"


class Handover(models.Model):
    """A shift handover: the outgoing lead briefs the incoming one; the chain head is read out."""

    crisis = models.ForeignKey(Crisis, on_delete=models.PROTECT, related_name="handovers")
    at = models.DateTimeField(_("à"))
    outgoing = models.CharField(_("sortant"), max_length=150)
    incoming = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.TextField(_("points de situation"))
    open_tasks = models.PositiveIntegerField(default=0)
    chain_head = models.CharField(max_length=64)
    chain_length = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at"]
        verbose_name = _("relève")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.outgoing}"

    @property
    def anchor(self) -> str:
        """``HASH@N``, as printed and mailed: what ``verify-log --head`` checks against."""
        return f"{self.chain_head}@{self.chain_length}"
