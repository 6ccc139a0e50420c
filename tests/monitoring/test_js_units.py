"""The dashboard script says readings as the server does: word units translated, numbers per locale."""

from django.utils import translation

from beffroi.monitoring.jsstrings import strings


def test_the_scripts_word_units_and_number_locale_follow_the_language():
    with translation.override("en"):
        english = strings()
    with translation.override("fr"):
        french = strings()
    assert english["unit_niveau"] == "level {v}" and english["numberLocale"] == "en-GB"
    assert french["unit_niveau"] == "niveau {v}" and french["numberLocale"] == "fr-FR"
