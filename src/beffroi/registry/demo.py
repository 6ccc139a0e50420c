"""A small synthetic registry for 92063, with obviously fake names, and the ``ccas`` demo user nominated."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from beffroi.core.actors import SystemActor

DEMO_COMMUNE = "92063"
# Obviously fake: invented surnames from a children's-book register, "(fictif)" in the first name.
SURNAMES = [
    "Démo-Pomme",
    "Fictif-Lune",
    "Exemple-Rivière",
    "Test-Moulin",
    "Essai-Chêne",
    "Bidon-Étoile",
    "Factice-Nuage",
    "Simul-Colline",
    "Modèle-Sapin",
    "Imagin-Ruisseau",
    "Prototype-Grêle",
    "Maquette-Vent",
]
FIRST = [
    "Aglaé (fictive)",
    "Barnabé (fictif)",
    "Capucine (fictive)",
    "Désiré (fictif)",
    "Eulalie (fictive)",
    "Firmin (fictif)",
    "Gisèle (fictive)",
    "Hector (fictif)",
]
STREETS = [
    "rue de l'Exemple",
    "avenue du Test",
    "allée Fictive",
    "place de la Démonstration",
    "chemin Imaginaire",
]


def _demo_key() -> None:
    """The demo creates its key explicitly, as an operator would with ``beffroi registry init-key``
    (a missing key file is otherwise an error, never a new key)."""
    from django.conf import settings

    from beffroi.registry import crypto
    from beffroi.registry.models import Person

    if getattr(settings, "REGISTRY_KEY", None) or crypto.key_file().exists() or Person.objects.exists():
        return
    crypto.init_key_file()


def load(commune_codes) -> None:
    from beffroi.registry.actions import do_nominate, do_register_person
    from beffroi.registry.models import Nomination, Person
    from beffroi.registry.models.people import Source

    if DEMO_COMMUNE not in commune_codes:
        return
    _demo_key()
    user = get_user_model().objects.filter(username="ccas").first()
    if (
        user is not None
        and not Nomination.objects.filter(
            user=user, commune_code=DEMO_COMMUNE, revoked_at__isnull=True
        ).exists()
    ):
        do_nominate(
            user,
            DEMO_COMMUNE,
            decision_date=date(2026, 1, 5),
            signer="Le maire (démonstration)",
            decision_reference="Arrêté DEMO-2026-001",
            actor=SystemActor("demo"),
        )
    if Person.objects.filter(commune_code=DEMO_COMMUNE).exists():
        return
    rng = random.Random(92063)
    today = timezone.localdate()
    for i in range(40):
        age = rng.randint(66, 97)
        born = today.replace(year=today.year - age) - timedelta(days=rng.randint(1, 300))
        source = rng.choice([Source.SELF, Source.SELF, Source.LEGAL_REP, Source.THIRD_PARTY])
        raw = {
            "last_name": f"{SURNAMES[i % len(SURNAMES)]}{i // len(SURNAMES) or ''}",
            "first_names": FIRST[i % len(FIRST)],
            "birth_date": born.isoformat(),
            "category": "65+" if i % 7 else "handicap",
            "address": f"{rng.randint(1, 120)} {rng.choice(STREETS)}, 92500 Rueil-Malmaison (adresse fictive)",  # noqa: E501
            "phone": f"01 99 00 {i // 10:02d} {i % 100:02d}",
            "lon": round(2.165 + rng.random() * 0.05, 5),
            "lat": round(48.86 + rng.random() * 0.03, 5),
            "emergency_contact": "Contact Fictif, 06 99 00 00 00" if i % 3 == 0 else "",
        }
        proof = None
        if source == Source.THIRD_PARTY:
            raw.update(third_party_name="Voisin Fictif", third_party_capacity="voisin")
            proof = ("demande-ecrite-fictive.txt", "text/plain", "Demande écrite (démonstration).".encode())
        do_register_person(
            DEMO_COMMUNE,
            raw,
            source=source,
            request_date=today - timedelta(days=rng.randint(0, 400)),
            proof=proof,
            actor=SystemActor("demo"),
        )
