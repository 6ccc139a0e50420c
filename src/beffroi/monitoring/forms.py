"""Editing an indicator and its threshold levels (maire, cellule de crise)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from beffroi.monitoring.models import Indicator

MAX_LEVELS = 5


class IndicatorForm(forms.Form):
    label = forms.CharField(label=_("Libellé"), max_length=200)
    source = forms.CharField(label=_("Source (affichée avec chaque valeur)"), max_length=200)
    hazard = forms.ChoiceField(label=_("Aléa"), choices=Indicator._meta.get_field("hazard").choices or [])
    direction = forms.ChoiceField(label=_("Sens"), choices=Indicator.Direction.choices)
    stale_minutes = forms.IntegerField(
        label=_("Retard toléré (minutes)"), min_value=1, max_value=60 * 24 * 14
    )
    public = forms.BooleanField(label=_("Publier sur le site citoyen"), required=False)
    zones_dataset = forms.CharField(
        label=_("Zones par hauteur (jeu de données du module Croisements)"), max_length=120, required=False
    )


class ThresholdForm(forms.Form):
    name = forms.SlugField(label=_("Code"), max_length=30, required=False)
    label = forms.CharField(label=_("Niveau"), max_length=60, required=False)
    value = forms.FloatField(label=_("Seuil"), required=False)
    colour = forms.RegexField(
        label=_("Couleur"),
        regex=r"^#[0-9a-fA-F]{6}$",
        required=False,
        initial="#f2c200",
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    hysteresis = forms.FloatField(label=_("Hystérésis"), min_value=0, required=False, initial=0)
    min_minutes = forms.IntegerField(label=_("Durée minimale (min)"), min_value=0, required=False, initial=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rank = int(self.prefix.rsplit("-", 1)[-1]) + 1 if self.prefix and self.prefix[-1].isdigit() else ""
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = f"{field.label} — {_('niveau')} {rank}"

    def clean(self):
        data = super().clean() or {}
        if data.get("value") is not None and not data.get("label"):
            self.add_error("label", _("Donnez un nom au niveau."))
        return data


ThresholdFormSet = forms.formset_factory(ThresholdForm, extra=0, max_num=MAX_LEVELS, absolute_max=MAX_LEVELS)
