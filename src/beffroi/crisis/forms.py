"""Forms of the crisis cell pages (French labels; validation beyond types is in actions)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from beffroi.core.timeutil import PARIS
from beffroi.crisis.models import Hazard, Staffing, Task
from beffroi.crisis.models.crisis import LEVELS
from beffroi.crisis.models.log import Category, Source


class ParisDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input read as Europe/Paris time."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"])
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        result = super().to_python(value)
        if result is not None:
            result = result.replace(tzinfo=None).replace(tzinfo=PARIS)
        return result


class OpenCrisisForm(forms.Form):
    title = forms.CharField(label=_("Intitulé"), max_length=200)
    hazard = forms.ChoiceField(label=_("Aléa"), choices=Hazard.choices)
    level = forms.TypedChoiceField(label=_("Niveau"), choices=list(LEVELS.items()), coerce=int, initial=3)
    communes = forms.MultipleChoiceField(label=_("Communes"), widget=forms.CheckboxSelectMultiple)
    exercise = forms.BooleanField(label=_("Exercice (tout sera marqué EXERCICE)"), required=False)

    def __init__(self, *args, communes=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["communes"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(c.code, f"{c.name} ({c.code})") for c in communes]


class EntryForm(forms.Form):
    text = forms.CharField(label=_("Message"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.ChoiceField(label=_("Catégorie"), choices=Category.choices)
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices, initial=Source.PHONE)
    occurred_at = ParisDateTimeField(label=_("Heure de l'événement (si différente)"), required=False)
    deferred = forms.BooleanField(label=_("Saisie différée (reprise d'une fiche papier)"), required=False)
    location_label = forms.CharField(label=_("Lieu"), required=False, max_length=200)
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    corrects = forms.IntegerField(label=_("Corrige l'entrée n°"), required=False, min_value=1)
    attachment = forms.FileField(label=_("Pièce jointe"), required=False)


class EscalateForm(forms.Form):
    level = forms.TypedChoiceField(label=_("Nouveau niveau"), choices=list(LEVELS.items()), coerce=int)
    reason = forms.CharField(label=_("Motif"), max_length=500, required=False)


class CloseForm(forms.Form):
    summary = forms.CharField(label=_("Bilan de clôture"), widget=forms.Textarea(attrs={"rows": 3}))


class HandoverForm(forms.Form):
    incoming: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Responsable entrant"), queryset=None)
    summary = forms.CharField(label=_("Point de situation"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["incoming"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = users


class PersonField(forms.ModelChoiceField):
    """An account, shown as « Full Name (username) »; its choices are set by the form (``users``)."""

    def __init__(self, **kwargs):
        super().__init__(queryset=get_user_model().objects.none(), **kwargs)

    def label_from_instance(self, obj) -> str:
        name = obj.get_full_name().strip()
        return f"{name} ({obj.get_username()})" if name else obj.get_username()


class _PeopleForm(forms.Form):
    """A form with optional accounts chosen among the crisis's people (``users``)."""

    def _set_users(self, name: str, users) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        if users is not None:
            field.queryset = users


class StaffingForm(_PeopleForm):
    cell = forms.ChoiceField(label=_("Cellule"), choices=Staffing.Cell.choices)
    name = forms.CharField(label=_("Nom"), max_length=200)
    contact = forms.CharField(label=_("Contact (téléphone, radio)"), max_length=200, required=False)
    user = PersonField(label=_("Compte Beffroi (reçoit les tâches de la cellule)"), required=False)

    def __init__(self, *args, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_users("user", users)


_CELL_CHOICES = [("", _("— aucune —")), *Staffing.Cell.choices]


class TaskForm(_PeopleForm):
    title = forms.CharField(label=_("Tâche"), max_length=300)
    assignee = PersonField(label=_("Attribuée au compte"), required=False)
    cell = forms.ChoiceField(label=_("Attribuée à la cellule du PCC"), choices=_CELL_CHOICES, required=False)
    assignee_label = forms.CharField(
        label=_("Ou à un service, une personne sans compte"), max_length=150, required=False
    )
    priority = forms.TypedChoiceField(
        label=_("Priorité"), choices=Task.Priority.choices, coerce=int, initial=Task.Priority.NORMAL
    )
    deadline = ParisDateTimeField(label=_("Échéance"), required=False)
    source_entry = forms.IntegerField(label=_("Liée à l'entrée n°"), required=False, min_value=1)

    def __init__(self, *args, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_users("assignee", users)


class AssignTaskForm(_PeopleForm):
    assignee = PersonField(label=_("Compte"), required=False)
    cell = forms.ChoiceField(label=_("Cellule du PCC"), choices=_CELL_CHOICES, required=False)
    deadline = ParisDateTimeField(label=_("Échéance"), required=False)

    def __init__(self, *args, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_users("assignee", users)
