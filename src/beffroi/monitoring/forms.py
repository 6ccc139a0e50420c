"""Creating and editing an indicator and its threshold levels (maire, cellule de crise)."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from beffroi.monitoring import selectors
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
    forecast_series = forms.CharField(
        label=_("Série de prévision (facultatif)"),
        max_length=120,
        required=False,
        help_text=_(
            "Prévisions d'une autre série valant pour cet indicateur, ex. vigicrues:F664000104:H "
            "pour une station suivie par Hub'Eau."
        ),
    )

    def clean_forecast_series(self) -> str:
        series = self.cleaned_data.get("forecast_series", "").strip()
        if any(c.isspace() for c in series):
            raise forms.ValidationError(_("Un identifiant de série ne contient pas d'espace."))
        return series


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


def level_formset(data=None, *, initial: list[dict] | None = None):
    """The level rows: the existing levels, then empty rows up to ``MAX_LEVELS`` to add more."""
    rows = list(initial or [])
    rows += [{} for _ in range(MAX_LEVELS - len(rows))]
    if data is not None:
        return ThresholdFormSet(data, prefix="levels")
    return ThresholdFormSet(initial=rows, prefix="levels")


def thresholds_from(levels) -> list[dict]:
    """The filled rows of a valid level formset, numbered 1.. in order, as ``do_save_indicator``
    takes them; a row without a value is how a user removes a level."""
    rows = [f.cleaned_data for f in levels.forms if f.cleaned_data.get("value") is not None]
    return [
        {
            "level": i + 1,
            "name": r.get("name") or f"niveau-{i + 1}",
            "label": r["label"],
            "value": r["value"],
            "colour": r.get("colour") or "#f2c200",
            "hysteresis": r.get("hysteresis") or 0,
            "min_duration": timedelta(minutes=r.get("min_minutes") or 0),
        }
        for i, r in enumerate(rows)
    ]


class NewIndicatorForm(IndicatorForm):
    """What only a new indicator sets: its key, commune, series, unit, source link and map position."""

    key = forms.SlugField(
        label=_("Clé"),
        max_length=80,
        required=False,
        help_text=_("Identifiant dans les adresses et l'API ; laissez vide pour la déduire du libellé."),
    )
    commune = forms.ChoiceField(label=_("Commune"))
    series = forms.CharField(
        label=_("Identifiant de série"),
        max_length=120,
        help_text=_(
            "Clé des observations envoyées par la source (source:station:grandeur), ex. "
            "hubeau:F664000104:H pour la hauteur d'une station Hub'Eau."
        ),
        widget=forms.TextInput(attrs={"list": "known-series", "autocomplete": "off", "spellcheck": "false"}),
    )
    unit = forms.CharField(
        label=_("Unité"),
        max_length=20,
        required=False,
        help_text=_("ex. m, m3/s, indice ; vide pour un nombre sans unité"),
    )
    source_url = forms.URLField(
        label=_("Adresse de la source"), max_length=200, required=False, assume_scheme="https"
    )
    latitude = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90, required=False)
    longitude = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180, required=False)

    field_order = [
        "label",
        "key",
        "commune",
        "series",
        "unit",
        "source",
        "source_url",
        "hazard",
        "direction",
        "public",
        "stale_minutes",
        "latitude",
        "longitude",
        "zones_dataset",
        "forecast_series",
    ]

    def __init__(self, *args, communes: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        # Start from the model's defaults, as an indicator created by code or the API would.
        model = Indicator._meta
        self.fields["hazard"].initial = model.get_field("hazard").default
        self.fields["direction"].initial = model.get_field("direction").default
        self.fields["stale_minutes"].initial = model.get_field("stale_after").default // timedelta(minutes=1)
        # Only the user's communes are offered: a code posted for another commune is not a valid choice.
        cast(forms.ChoiceField, self.fields["commune"]).choices = communes
        if len(communes) == 1:
            self.fields["commune"].initial = communes[0][0]

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        if key and selectors.key_in_use(key):
            raise forms.ValidationError(_("Un indicateur a déjà cette clé ; choisissez-en une autre."))
        return key

    def clean_series(self) -> str:
        series = self.cleaned_data["series"].strip()
        if any(c.isspace() for c in series):
            raise forms.ValidationError(_("Un identifiant de série ne contient pas d'espace."))
        if selectors.series_in_use(series):
            raise forms.ValidationError(_("Un indicateur suit déjà cette série."))
        return series

    def clean(self):
        data = super().clean() or {}
        position_ok = not (self.has_error("latitude") or self.has_error("longitude"))
        if position_ok and (data.get("latitude") is None) != (data.get("longitude") is None):
            raise forms.ValidationError(_("Donnez la latitude et la longitude, ou aucune des deux."))
        return data
