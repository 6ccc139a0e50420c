from django import forms
from django.utils.translation import gettext_lazy as _

from beffroi.sources.actions import NAME_RE


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Fichier (CSV, XLSX, GeoJSON, GeoPackage, Shapefile zippé)"))
    dataset = forms.RegexField(
        regex=NAME_RE,
        label=_("Nom du jeu de données"),
        max_length=80,
        help_text=_("minuscules, chiffres, - et _ ; par exemple erp-rueil"),
    )
    title = forms.CharField(label=_("Titre"), max_length=200, required=False)
    licence = forms.CharField(
        label=_("Licence"), max_length=120, required=False, initial="Licence Ouverte / Etalab 2.0"
    )
    replace = forms.BooleanField(label=_("Remplacer le jeu existant du même nom"), required=False)
    repair = forms.BooleanField(label=_("Réparer les géométries invalides"), required=False)
