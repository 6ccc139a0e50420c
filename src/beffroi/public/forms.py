from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from beffroi.alerts.hazards import hazard_choices


class SubscribeForm(forms.Form):
    channel = forms.ChoiceField(label=_("Recevoir les alertes par"))
    # 254: the longest e-mail address (RFC 5321); phone numbers are far shorter.
    address = forms.CharField(label=_("Adresse e-mail ou numéro de mobile"), max_length=254)
    commune = forms.ChoiceField(label=_("Commune"))
    street = forms.CharField(
        label=_("Votre adresse (facultatif, pour être alerté précisément)"), required=False, max_length=200
    )
    topics = forms.MultipleChoiceField(
        label=_("Sujets (aucun coché : tous)"),
        choices=hazard_choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    language = forms.ChoiceField(
        label=_("Langue"), choices=[("fr", "Français"), ("en", "English"), ("falc", _("Facile à lire"))]
    )
    consent = forms.BooleanField(
        label=_(
            "J'accepte que la mairie conserve ces données pour m'envoyer des alertes "
            "(désinscription à tout moment)."
        )
    )

    def __init__(self, *args, communes=(), sms=False, **kwargs):
        super().__init__(*args, **kwargs)
        field: forms.ChoiceField = self.fields["commune"]  # type: ignore[assignment]
        field.choices = [(c.code, c.name) for c in communes]
        channel: forms.ChoiceField = self.fields["channel"]  # type: ignore[assignment]
        # SMS is offered only when the town has an SMS provider configured.
        channel.choices = [("email", _("E-mail"))] + ([("sms", _("SMS"))] if sms else [])
        if not sms:
            self.fields["address"].label = _("Adresse e-mail")
