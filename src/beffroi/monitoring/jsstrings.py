"""The dashboard script's texts, translated on the server and passed through ``json_script``
(placeholders ``{name}`` are filled in by veille.js)."""

from __future__ import annotations

from django.utils.translation import gettext as _


def strings() -> dict[str, str]:
    return {
        "noValue": _("aucune valeur"),
        "agoMinutes": _("il y a {m} min"),
        "agoHours": _("il y a {h} h {m} min"),
        "sourceLate": _("{age} — source en retard"),
        "late": _("en retard"),
        "upToDate": _("à jour"),
        "exercise": _("EXERCICE"),
        "entryPopup": _("{crisis} n° {seq} : {text}"),
        "shelter": _("Hébergement : {name}"),
        "places": _("{n} places"),
        "observed": _("Observé"),
        "forecastSeries": _("Prévision (source)"),
        "trendSeries": _("Tendance"),
        "low": _("Bas"),
        "high": _("Haut"),
        "basisForecast": _("selon la prévision de la source"),
        "basisTrend": _("selon la tendance (projection linéaire)"),
        "eta": _("Seuil « {label} » attendu vers {at} (dans {hours} h, {basis})"),
        "maxLevel": _("Niveau maximal atteint"),
        "noCrossing": _("Pas de franchissement de seuil attendu"),
        "atForecast": _("À la hauteur prévue"),
        "atTrend": _("À la hauteur projetée"),
        "atObserved": _("À la hauteur observée"),
        "noZone": _("aucune zone inondable atteinte"),
        "firstZone": _("première zone à {level}"),
        "zone": _("zone « {label} »"),
        "nothingCounted": _("rien de recensé"),
        "source": _("Source : {source}"),
        "residents": _("habitants"),
        "addresses": _("adresses"),
        "facilities": _("équipements"),
        "registry": _("personnes du registre"),
        "over75": _("dont {n} de 75 ans et plus"),
        "live": _("En direct"),
        "reconnecting": _("Connexion perdue, reconnexion…"),
        "noEventSource": _("Direct indisponible sur ce navigateur"),
        "levelAnnounce": _("{label} : niveau {level}"),
        "zonesLayer": _("Zones inondées (niveau actuel / prévu)"),
        "facilitiesLayer": _("Équipements"),
        "zoneCurrent": _("Zone atteinte à {value}"),
        "zoneForecast": _("Zone prévue à {value} vers {at}"),
        "synthetic": _("données synthétiques"),
        # Facility types of the BPE-like datasets (docs/crossing.md); another type is shown as is.
        "facilityType_ecole": _("école"),
        "facilityType_creche": _("crèche"),
        "facilityType_ehpad": _("EHPAD"),
        "facilityType_sante": _("établissement de santé"),
        "facilityType_gymnase": _("gymnase"),
    }
