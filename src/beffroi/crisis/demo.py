"""Demo data for the crisis cell: reflex sheets (flood, heatwave), a directory, resources and shelters.

Idempotent: what already exists (same commune and name/title) is kept. Phone numbers of people are
fictitious (06 00 …); public numbers (préfecture, SDIS) are the services' switchboards as published.
"""

from __future__ import annotations

from beffroi.core.actors import SystemActor
from beffroi.crisis.actions_means import (
    do_save_contact,
    do_save_reflex_sheet,
    do_save_resource,
    do_save_shelter,
)
from beffroi.crisis.models import Contact, ReflexSheet, Resource, Shelter

DEMO = SystemActor("demo")

SHEETS = [
    (
        "",
        "inondation",
        2,
        "Crue — vigilance renforcée",
        "Anticiper la montée des eaux et préparer le PCS.",
        [
            (
                "Consulter Vigicrues et Hub'Eau toutes les 3 h ; inscrire les hauteurs en main courante",
                "Secrétariat",
                30,
                2,
            ),
            ("Prévenir les élus d'astreinte et le responsable du PCC", "DOS", 30, 1),
            ("Vérifier le stock de sacs de sable, batardeaux et motopompes", "Logistique", 120, 2),
            (
                "Recenser les personnes vulnérables en zone inondable (registre)",
                "Soutien aux populations",
                180,
                1,
            ),
            ("Préparer le message d'information à la population", "Communication", 120, 2),
        ],
    ),
    (
        "",
        "inondation",
        3,
        "Crue — alerte, activation du PCS",
        "Protéger la population des zones inondables.",
        [
            ("Ouvrir le PCC et désigner le secrétariat de la main courante", "DOS", 15, 1),
            ("Alerter la population des zones inondables (messages, porte-à-porte)", "Communication", 30, 1),
            (
                "Fermer les voies, parkings et quais submersibles ; poser la signalisation",
                "Services techniques",
                60,
                1,
            ),
            (
                "Appeler les personnes inscrites au registre en zone inondable",
                "Soutien aux populations",
                60,
                1,
            ),
            ("Ouvrir et armer un centre d'hébergement", "Logistique", 90, 2),
            ("Informer la préfecture (COD) de la situation et des moyens engagés", "DOS", 60, 2),
        ],
    ),
    (
        "",
        "canicule",
        2,
        "Canicule — veille saisonnière et vigilance orange",
        "Protéger les personnes isolées.",
        [
            (
                "Activer les appels quotidiens aux personnes inscrites au registre",
                "Soutien aux populations",
                120,
                1,
            ),
            ("Ouvrir les salles rafraîchies et afficher leurs horaires", "Logistique", 240, 2),
            ("Diffuser les consignes canicule (site, affichage, réseaux)", "Communication", 120, 2),
            ("Adapter les horaires des agents en extérieur", "Services techniques", 240, 3),
        ],
    ),
    (
        "",
        "canicule",
        3,
        "Canicule — vigilance rouge",
        "Éviter tout décès lié à la chaleur.",
        [
            ("Ouvrir le PCC ; point de situation deux fois par jour", "DOS", 30, 1),
            ("Visites à domicile des personnes inscrites injoignables", "Soutien aux populations", 60, 1),
            ("Distribuer de l'eau aux personnes sans abri et aux points chauds", "Logistique", 120, 1),
            ("Étendre les horaires des salles rafraîchies et des parcs", "Logistique", 120, 2),
            ("Annuler ou adapter les manifestations en plein air", "DOS", 180, 2),
        ],
    ),
]

DIRECTORY = {
    "*": [
        (
            "organisme",
            "Préfecture — permanence du cabinet",
            "Préfecture",
            "Astreinte sécurité civile",
            "",
            "",
            "",
        ),
        ("organisme", "SDIS — centre opérationnel", "Pompiers", "CODIS", "18", "112", ""),
        (
            "organisme",
            "Enedis — dépannage électricité",
            "Enedis",
            "Dépannage",
            "09 72 67 50 + n° dép.",
            "",
            "",
        ),
        ("organisme", "Météo-France — prévisions", "Météo-France", "", "", "", ""),
    ],
    "92063": [
        (
            "personne",
            "Maire de Rueil-Malmaison",
            "Mairie",
            "DOS",
            "06 00 00 01 01",
            "06 00 00 01 02",
            "dos@rueil.invalid",
        ),
        (
            "personne",
            "Directeur des services techniques",
            "Mairie de Rueil-Malmaison",
            "Logistique",
            "06 00 00 01 10",
            "06 00 00 01 11",
            "",
        ),
        (
            "personne",
            "Directrice du CCAS",
            "CCAS de Rueil-Malmaison",
            "Soutien aux populations",
            "06 00 00 01 20",
            "06 00 00 01 21",
            "",
        ),
        (
            "personne",
            "Chargée de communication",
            "Mairie de Rueil-Malmaison",
            "Communication",
            "06 00 00 01 30",
            "",
            "",
        ),
    ],
    "92033": [
        (
            "personne",
            "Maire de Garches",
            "Mairie",
            "DOS",
            "06 00 00 02 01",
            "06 00 00 02 02",
            "dos@garches.invalid",
        ),
        (
            "personne",
            "Responsable des services techniques",
            "Mairie de Garches",
            "Logistique",
            "06 00 00 02 10",
            "06 00 00 02 11",
            "",
        ),
        (
            "personne",
            "Responsable du CCAS",
            "CCAS de Garches",
            "Soutien aux populations",
            "06 00 00 02 20",
            "",
            "",
        ),
    ],
    "94052": [
        (
            "personne",
            "Maire de Nogent-sur-Marne",
            "Mairie",
            "DOS",
            "06 00 00 03 01",
            "06 00 00 03 02",
            "dos@nogent.invalid",
        ),
        (
            "personne",
            "Directeur des services techniques",
            "Mairie de Nogent-sur-Marne",
            "Logistique",
            "06 00 00 03 10",
            "06 00 00 03 11",
            "",
        ),
        ("personne", "Capitaine du port de Nogent", "Port de Nogent", "Liaison", "06 00 00 03 40", "", ""),
        (
            "personne",
            "Directrice du CCAS",
            "CCAS de Nogent-sur-Marne",
            "Soutien aux populations",
            "06 00 00 03 20",
            "06 00 00 03 21",
            "",
        ),
    ],
}

RESOURCES = {
    "92063": [
        ("Fourgon services techniques", "vehicule", 3, "", "Centre technique municipal"),
        ("Groupe électrogène 20 kVA", "groupe_electrogene", 2, "", "Centre technique municipal"),
        ("Packs d'eau 6 × 1,5 L", "ravitaillement", 400, "packs", "Magasin central"),
        ("Ventilateurs sur pied", "materiel", 60, "", "Magasin central"),
    ],
    "92033": [
        ("Camion benne", "vehicule", 1, "", "Ateliers municipaux"),
        ("Lits de camp", "couchage", 40, "", "Gymnase du Centre"),
        ("Barrières de police", "barrieres", 80, "", "Ateliers municipaux"),
    ],
    "94052": [
        ("Sacs de sable", "sacs_sable", 2000, "sacs", "Centre technique, rue de la Marne"),
        ("Batardeaux aluminium", "sacs_sable", 25, "m linéaires", "Centre technique"),
        ("Motopompe 60 m³/h", "pompe", 2, "", "Centre technique"),
        ("Barque à fond plat", "vehicule", 1, "", "Port de Nogent"),
    ],
}

# name, address, use, capacity, accessible, notes, lat, lon
SHELTERS = {
    "92063": [
        (
            "Espace Ariane (salle rafraîchie)",
            "Rueil-Malmaison",
            "salle rafraîchie",
            120,
            True,
            "rampe, sanitaires PMR",
            48.8768,
            2.1797,
        ),
        ("Gymnase Jean-Jaurès", "Rueil-Malmaison", "hébergement d'urgence", 200, True, "", 48.8712, 2.1905),
    ],
    "92033": [
        (
            "Salle des fêtes de Garches",
            "Garches",
            "salle rafraîchie / hébergement",
            80,
            False,
            "étage sans ascenseur",
            48.8455,
            2.1876,
        )
    ],
    "94052": [
        (
            "Gymnase Watteau",
            "Nogent-sur-Marne",
            "hébergement d'urgence",
            150,
            True,
            "hors zone inondable",
            48.8378,
            2.4843,
        ),
        ("Salle Émile-Zola", "Nogent-sur-Marne", "accueil des sinistrés", 60, True, "", 48.8363, 2.4781),
    ],
}


def load(commune_codes) -> None:
    codes = list(commune_codes)
    for commune, hazard, level, title, objective, items in SHEETS:
        if not ReflexSheet.objects.filter(commune=commune, title=title).exists():
            do_save_reflex_sheet(
                actor=DEMO,
                commune=commune,
                hazard=hazard,
                level=level,
                title=title,
                objective=objective,
                items=[{"title": t, "cell": c, "within_minutes": m, "priority": p} for t, c, m, p in items],
            )
    for code in codes:
        rows = DIRECTORY.get(code, []) + DIRECTORY["*"]
        for kind, name, org, function, phone, duty, email in rows:
            if not Contact.objects.filter(commune=code, name=name).exists():
                do_save_contact(
                    commune=code,
                    actor=DEMO,
                    kind=kind,
                    name=name,
                    organisation=org,
                    function=function,
                    phone=phone,
                    on_duty_phone=duty,
                    email=email,
                )
        for name, kind, quantity, unit, location in RESOURCES.get(code, []):
            if not Resource.objects.filter(commune=code, name=name).exists():
                do_save_resource(
                    commune=code,
                    actor=DEMO,
                    name=name,
                    kind=kind,
                    quantity=quantity,
                    unit=unit,
                    location=location,
                )
        for name, address, use, capacity, accessible, notes, lat, lon in SHELTERS.get(code, []):
            if not Shelter.objects.filter(commune=code, name=name).exists():
                do_save_shelter(
                    commune=code,
                    actor=DEMO,
                    name=name,
                    address=address,
                    kind=use,
                    capacity=capacity,
                    accessible=accessible,
                    accessibility_notes=notes,
                    lat=lat,
                    lon=lon,
                    # People walk in and out of a cooling room: a head count, no register.
                    keeps_register=use != "salle rafraîchie",
                )
