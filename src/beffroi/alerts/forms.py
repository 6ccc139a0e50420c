"""The composition form: one alert, several languages, an area, validity."""

from __future__ import annotations

import json
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from beffroi.accounts.roles import ROLES
from beffroi.alerts.hazards import LANGUAGE_LABELS, LANGUAGES, hazard_choices
from beffroi.alerts.models import Alert, AlertVersion
from beffroi.core.errors import UserError

LOCAL = "%Y-%m-%dT%H:%M"


class AlertForm(forms.Form):
    hazard = forms.ChoiceField(label=_("Aléa"), choices=hazard_choices)
    status = forms.ChoiceField(label=_("Statut"), choices=Alert.Status.choices, initial="Actual")
    # CAP values, French labels (the XML keeps the CAP words).
    severity = forms.ChoiceField(
        label=_("Gravité"), choices=AlertVersion.SEVERITY_CHOICES, initial="Moderate"
    )
    urgency = forms.ChoiceField(label=_("Urgence"), choices=AlertVersion.URGENCY_CHOICES, initial="Expected")
    certainty = forms.ChoiceField(
        label=_("Certitude"), choices=AlertVersion.CERTAINTY_CHOICES, initial="Likely"
    )
    communes = forms.MultipleChoiceField(
        label=_("Communes concernées"),
        help_text=_(
            "L'alerte ne touche que ces communes. Sans zone dessinée, toute la commune est alertée ; "
            "une zone dessinée remplace le contour des communes et y est limitée."
        ),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    crisis = forms.TypedChoiceField(
        label=_("Crise liée (main courante)"), required=False, coerce=int, empty_value=None, choices=[]
    )
    area_description = forms.CharField(label=_("Description de la zone"), required=False, max_length=300)
    polygon = forms.CharField(
        label=_("Polygone dessiné (GeoJSON)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    circle_lat = forms.FloatField(label=_("Cercle : latitude"), required=False)
    circle_lon = forms.FloatField(label=_("Cercle : longitude"), required=False)
    circle_radius_km = forms.FloatField(label=_("Cercle : rayon (km)"), required=False)
    onset = forms.DateTimeField(
        label=_("Début"),
        input_formats=[LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL),
    )
    expires = forms.DateTimeField(
        label=_("Fin de validité"),
        input_formats=[LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL),
    )
    web = forms.URLField(label=_("Lien web"), required=False, assume_scheme="https")
    contact = forms.CharField(label=_("Contact"), required=False, max_length=200)
    groups = forms.MultipleChoiceField(
        label=_("Prévenir aussi par e-mail (agents de la commune)"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        choices=[],
    )
    test_recipients = forms.CharField(
        label=_("Destinataires de test (exercice : e-mails ou mobiles, un par ligne)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, communes=(), crises=(), **kwargs):
        super().__init__(*args, **kwargs)
        field: forms.MultipleChoiceField = self.fields["communes"]  # type: ignore[assignment]
        field.choices = [(c.code, f"{c.name} ({c.code})") for c in communes]
        crisis: forms.TypedChoiceField = self.fields["crisis"]  # type: ignore[assignment]
        crisis.choices = [("", _("Aucune"))] + [
            (str(c.pk), f"{'EXERCICE – ' if c.exercise else ''}{c.title} ({', '.join(c.communes)})")
            for c in crises
        ]

        groups: forms.MultipleChoiceField = self.fields["groups"]  # type: ignore[assignment]
        groups.choices = [(key, role.label) for key, role in ROLES.items()]
        for lang in LANGUAGES:
            label = LANGUAGE_LABELS[lang]
            # Each text field says its language (screen readers, spell checkers, our language test).
            self.fields[f"{lang}_headline"] = forms.CharField(
                label=_("Titre – %s") % label,
                max_length=140,
                required=lang == "fr",
                widget=forms.TextInput(attrs={"lang": lang}),
            )
            self.fields[f"{lang}_description"] = forms.CharField(
                label=_("Description – %s") % label,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3, "lang": lang}),
            )
            self.fields[f"{lang}_instruction"] = forms.CharField(
                label=_("Consignes – %s") % label,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3, "lang": lang}),
            )
        if not self.is_bound and "onset" not in self.initial:
            now = timezone.localtime().replace(second=0, microsecond=0)
            self.initial.update({"onset": now, "expires": now + timedelta(hours=12)})

    def clean_polygon(self):
        value = self.cleaned_data["polygon"].strip()
        if not value:
            return None
        try:
            polygon = json.loads(value)
        except ValueError:
            raise forms.ValidationError(_("Le polygone doit être du GeoJSON.")) from None
        from beffroi.alerts.area import validate_polygon

        try:  # the same checks as the action, shown beside the field
            validate_polygon(polygon)
        except UserError as exc:
            raise forms.ValidationError(str(exc.message)) from None
        return polygon

    def action_kwargs(self) -> dict:
        d = self.cleaned_data
        circle = None
        if d.get("circle_lat") is not None and d.get("circle_lon") is not None and d.get("circle_radius_km"):
            circle = {"lat": d["circle_lat"], "lon": d["circle_lon"], "radius_km": d["circle_radius_km"]}
        return {
            "texts": {
                lang: {k: d.get(f"{lang}_{k}") or "" for k in ("headline", "description", "instruction")}
                for lang in LANGUAGES
            },
            "severity": d["severity"],
            "urgency": d["urgency"],
            "certainty": d["certainty"],
            "area": {
                "polygon": d.get("polygon"),
                "circle": circle,
                "communes": d.get("communes") or [],
                "description": d.get("area_description") or "",
            },
            "onset": d["onset"],
            "expires": d["expires"],
            "web": d.get("web") or "",
            "contact": d.get("contact") or "",
            "test_recipients": [r for r in (d.get("test_recipients") or "").splitlines() if r.strip()],
            "groups": d.get("groups") or [],
        }

    def crisis_id(self) -> int | None:
        return self.cleaned_data.get("crisis") or None

    @classmethod
    def initial_from(cls, version: AlertVersion) -> dict:
        initial = {
            "hazard": version.alert.hazard,
            "status": version.alert.status,
            "severity": version.severity,
            "urgency": version.urgency,
            "certainty": version.certainty,
            "communes": version.area.get("communes") or [],
            "area_description": version.area.get("description", ""),
            "polygon": json.dumps(version.area["polygon"]) if version.area.get("polygon") else "",
            "onset": timezone.localtime(version.onset),
            "expires": timezone.localtime(version.expires),
            "web": version.web,
            "contact": version.contact,
            "test_recipients": "\n".join(version.test_recipients),
            "groups": version.groups,
        }
        if version.area.get("circle"):
            c = version.area["circle"]
            initial.update(
                {"circle_lat": c["lat"], "circle_lon": c["lon"], "circle_radius_km": c["radius_km"]}
            )
        for lang in LANGUAGES:
            for k in ("headline", "description", "instruction"):
                initial[f"{lang}_{k}"] = version.text(lang).get(k, "")
        return initial
