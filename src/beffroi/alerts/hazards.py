"""Built-in hazard templates (headline, description, instructions per language, CAP category).

A commune may override a template (``HazardTemplate`` rows); composing an alert starts from the
commune's template when one exists, else from these defaults.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

LANGUAGES = ["fr", "en", "falc"]
CAP_LANGUAGE = {"fr": "fr-FR", "en": "en-GB", "falc": "fr-x-falc"}
LANGUAGE_LABELS = {"fr": _("Français"), "en": _("Anglais"), "falc": _("Facile à lire (FALC)")}

HAZARDS: dict[str, dict] = {
    "inondation": {
        "label": _("Inondation"),
        "category": "Met",
        "event_en": "Flood",
        "fr": (
            "Risque d'inondation",
            "La crue de la rivière peut inonder des rues et des sous-sols.",
            "Ne descendez pas dans les sous-sols. Montez à l'étage. Ne prenez pas votre voiture.",
        ),
        "en": (
            "Flood warning",
            "The river may flood streets and basements.",
            "Do not go into basements. Move upstairs. Do not drive.",
        ),
        "falc": (
            "Attention : l'eau monte",
            "L'eau de la rivière peut entrer dans les rues et les caves.",
            "N'allez pas à la cave. Montez à l'étage. Ne prenez pas la voiture.",
        ),
    },
    "canicule": {
        "label": _("Canicule"),
        "category": "Met",
        "event_en": "Heatwave",
        "fr": (
            "Canicule",
            "De très fortes chaleurs sont attendues, de jour comme de nuit.",
            "Buvez de l'eau régulièrement. Restez au frais. Prenez des nouvelles de vos proches âgés.",
        ),
        "en": (
            "Heatwave",
            "Very high temperatures are expected, day and night.",
            "Drink water often. Stay in cool places. Check on elderly relatives.",
        ),
        "falc": (
            "Il va faire très chaud",
            "Il va faire très chaud le jour et la nuit.",
            "Buvez de l'eau souvent. Restez au frais. Appelez vos proches âgés.",
        ),
    },
    "tempete": {
        "label": _("Tempête"),
        "category": "Met",
        "event_en": "Storm",
        "fr": (
            "Tempête : vents violents",
            "Des vents violents sont attendus.",
            "Rentrez les objets du balcon. Évitez les déplacements et les parcs.",
        ),
        "en": (
            "Storm: strong winds",
            "Strong winds are expected.",
            "Bring in balcony objects. Avoid travel and parks.",
        ),
        "falc": (
            "Il va y avoir beaucoup de vent",
            "Le vent va être très fort.",
            "Rentrez les objets du balcon. Restez à la maison.",
        ),
    },
    "neige": {
        "label": _("Neige et verglas"),
        "category": "Met",
        "event_en": "Snow and ice",
        "fr": (
            "Neige et verglas",
            "Les routes et trottoirs peuvent être glissants.",
            "Limitez vos déplacements. Dégagez le trottoir devant chez vous.",
        ),
        "en": (
            "Snow and ice",
            "Roads and pavements may be slippery.",
            "Limit travel. Clear the pavement in front of your home.",
        ),
        "falc": ("Neige et glace", "Le sol peut glisser.", "Sortez le moins possible."),
    },
    "pollution": {
        "label": _("Pollution de l'air"),
        "category": "Env",
        "event_en": "Air pollution",
        "fr": (
            "Épisode de pollution",
            "La qualité de l'air est mauvaise.",
            "Évitez les efforts physiques en plein air, surtout les personnes fragiles.",
        ),
        "en": (
            "Air pollution episode",
            "Air quality is poor.",
            "Avoid outdoor physical effort, especially vulnerable people.",
        ),
        "falc": ("L'air est sale", "L'air n'est pas bon à respirer.", "Ne faites pas de sport dehors."),
    },
    "technologique": {
        "label": _("Risque technologique"),
        "category": "Env",
        "event_en": "Industrial accident",
        "fr": (
            "Accident industriel",
            "Un accident industriel est en cours.",
            "Rentrez dans un bâtiment. Fermez portes et fenêtres. "
            "N'allez pas chercher les enfants à l'école.",
        ),
        "en": (
            "Industrial accident",
            "An industrial accident is in progress.",
            "Go indoors. Close doors and windows. Do not fetch children from school.",
        ),
        "falc": (
            "Accident dans une usine",
            "Il y a un accident dans une usine.",
            "Rentrez. Fermez les portes et les fenêtres.",
        ),
    },
    "reseaux": {
        "label": _("Coupure de réseaux (eau, électricité)"),
        "category": "Infra",
        "event_en": "Utility outage",
        "fr": (
            "Coupure de réseau",
            "Une coupure d'eau ou d'électricité touche le secteur.",
            "Suivez les informations de la mairie. Des points de distribution peuvent être ouverts.",
        ),
        "en": (
            "Utility outage",
            "A water or power outage affects the area.",
            "Follow the town's information. Distribution points may open.",
        ),
        "falc": (
            "Plus d'eau ou plus d'électricité",
            "L'eau ou l'électricité est coupée.",
            "Écoutez les informations de la mairie.",
        ),
    },
    "autre": {
        "label": _("Autre"),
        "category": "Other",
        "event_en": "Public information",
        "fr": ("Information de la mairie", "", ""),
        "en": ("Information from the town", "", ""),
        "falc": ("Information de la mairie", "", ""),
    },
}
# Hazards of the crisis app without a specific template fall back to "autre".
ALIASES = {"mouvement_terrain": "autre", "sanitaire": "autre"}
CAP_CATEGORIES = {"mouvement_terrain": "Geo", "sanitaire": "Health"}


def hazard_choices() -> list[tuple[str, str]]:
    return [(key, value["label"]) for key, value in HAZARDS.items()]


def template_for(hazard: str) -> dict:
    return HAZARDS.get(hazard) or HAZARDS[ALIASES.get(hazard, "autre")]


def default_texts(hazard: str) -> dict[str, dict[str, str]]:
    tpl = template_for(hazard)
    return {
        lang: {"headline": tpl[lang][0], "description": tpl[lang][1], "instruction": tpl[lang][2]}
        for lang in LANGUAGES
    }


def cap_category(hazard: str) -> str:
    return CAP_CATEGORIES.get(hazard) or template_for(hazard)["category"]
