"""Every form of the staff pages, walked with bad values: each comes back as a 400/422 page naming
the field (or a 403/404 for an id that does not exist or belongs to another commune), never a 500,
and nothing is written.

The walk is a table (``CASES``): for each POST view, the valid base of its form and the bad values
tried per field (too long for the column, NUL byte, unknown choice, non-numeric or unknown id,
another commune's object, empty required). ``test_every_post_view_is_walked`` reads the URL
resolver: a new view that accepts POST without a row here (or a reason in ``NOT_WALKED``) fails.

The user is a crisis cell of Garches (92033) holding every staff role; « another commune's object »
belongs to Nogent-sur-Marne (94052).
"""

from __future__ import annotations

import base64
import inspect
import json
import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from beffroi.accounts.roles import ROLES
from beffroi.core.actors import SystemActor
from tests.conftest import login_client

GARCHES, NOGENT = "92033", "94052"
DEMO = SystemActor("demo")
NUL = "a\x00b"


@dataclass
class Case:
    url: str  # URL name
    data: dict[str, Any]  # the whole POST body (valid base + the bad value)
    field: str  # the field the message must name (its name or its label)
    args: tuple[str, ...] = ()  # keys of ``world`` giving the URL's arguments
    statuses: tuple[int, ...] = (400, 422)
    label: str = ""
    names: tuple[str, ...] = field(default_factory=tuple)  # other acceptable ways to name the field
    json: Any = None  # a JSON body instead of a form

    def __str__(self) -> str:
        return f"{self.url}:{self.field}:{self.label}"


def _bad_text(url, base, name, max_length, *, args=(), names=(), required=True):
    """Too long for its column, a NUL byte, and (if required) empty."""
    cases = [
        Case(url, {**base, name: "x" * (max_length + 1)}, name, args, label="too long", names=names),
        Case(url, {**base, name: NUL}, name, args, label="NUL", names=names),
    ]
    if required:
        cases.append(Case(url, {**base, name: ""}, name, args, label="empty", names=names))
    return cases


def _bad_choice(url, base, name, *, args=(), names=(), value="godzilla"):
    return [Case(url, {**base, name: value}, name, args, label="unknown choice", names=names)]


NOT_FOUND = (400, 403, 404)

OPEN = {"title": "Crue", "hazard": "inondation", "level": "2", "communes": GARCHES}
ENTRY = {"text": "Appel de la préfecture", "category": "info", "source": "telephone"}
RESOURCE = {"commune": GARCHES, "name": "Pompe", "kind": "materiel", "quantity": "2"}
REQUEST = {
    "from_commune": GARCHES,
    "to_commune": NOGENT,
    "kind": "materiel",
    "label": "Pompes",
    "quantity": "2",
}
CONTACT = {"commune": GARCHES, "name": "Mme Martin", "kind": "person"}
SHEET = {"commune": GARCHES, "hazard": "inondation", "level": "2", "title": "Crue", "objective": "x"}
TASK = {"task-title": "Barrières", "task-priority": "2"}
STAFF = {"staff-cell": "logistique", "staff-name": "M. Durand"}

CASES: list[Case] = [
    # --- crisis: open, request, journal, level, close, staffing, tasks ---------------------
    *_bad_text("crisis:open", OPEN, "title", 200, names=("Intitulé",)),
    *_bad_choice("crisis:open", OPEN, "hazard", names=("Aléa",)),
    *_bad_choice("crisis:open", OPEN, "level", value="9", names=("Niveau",)),
    *_bad_choice("crisis:open", OPEN, "communes", value=NOGENT, names=("Communes",)),
    *_bad_choice("crisis:request_open", OPEN, "hazard", names=("Aléa",)),
    *_bad_text("crisis:add_entry", ENTRY, "text", 10_000, args=("crisis",), names=("Message",)),
    *_bad_text(
        "crisis:add_entry",
        ENTRY,
        "location_label",
        200,
        args=("crisis",),
        names=("Lieu",),
        required=False,
    ),
    *_bad_choice("crisis:add_entry", ENTRY, "category", args=("crisis",), names=("Catégorie",)),
    Case("crisis:add_entry", {**ENTRY, "corrects": "abc"}, "corrects", ("crisis",), names=("Corrige",)),
    Case("crisis:add_entry", {**ENTRY, "corrects": "999"}, "corrects", ("crisis",), names=("999",)),
    Case("crisis:add_entry", ENTRY, "crisis", ("foreign_crisis",), NOT_FOUND, "foreign crisis"),
    *_bad_choice("crisis:escalate", {}, "level-level", args=("crisis",), names=("niveau",)),
    Case("crisis:close", {"close-summary": ""}, "close-summary", ("crisis",), names=("Bilan",)),
    Case("crisis:close", {"close-summary": NUL}, "close-summary", ("crisis",), names=("Bilan",)),
    *_bad_choice("crisis:add_staffing", STAFF, "staff-cell", args=("crisis",), names=("Cellule",)),
    *_bad_text("crisis:add_staffing", STAFF, "staff-name", 200, args=("crisis",), names=("Nom",)),
    Case("crisis:add_staffing", {**STAFF, "staff-user": "abc"}, "staff-user", ("crisis",), names=("Compte",)),
    Case(
        "crisis:handover",
        {"handover-incoming": "999999", "handover-summary": "x"},
        "handover-incoming",
        ("crisis",),
        names=("Responsable entrant",),
    ),
    *_bad_text("crisis:add_task", TASK, "task-title", 300, args=("crisis",), names=("Tâche",)),
    *_bad_choice("crisis:add_task", TASK, "task-priority", args=("crisis",), names=("Priorité",)),
    *_bad_choice("crisis:task_status", {}, "status", args=("crisis", "task"), names=("statut",)),
    *_bad_choice("crisis:assign_task", {}, "assign-cell", args=("crisis", "task"), names=("Cellule",)),
    Case("crisis:start_sheet", {"sheet": "abc"}, "sheet", ("crisis",), NOT_FOUND, "non-numeric"),
    Case("crisis:start_sheet", {"sheet": "999999"}, "sheet", ("crisis",), NOT_FOUND, "unknown"),
    # --- exercises ---------------------------------------------------------------------------
    Case("crisis:exercise_start", {}, "scenario", label="empty form", names=("scénario",)),
    Case("crisis:exercise_start", {"scenario": "nope.yaml"}, "scenario", label="unknown", names=("nope",)),
    Case(
        "crisis:exercise_start",
        {"scenario": "canicule-rueil-garches.yaml", "speed": "abc"},
        "speed",
        label="non-numeric",
        names=("vitesse",),
    ),
    # --- reflex sheets, directory --------------------------------------------------------------
    *_bad_choice("crisis:sheet_new", SHEET, "hazard", names=("aléa",)),
    *_bad_text("crisis:sheet_new", SHEET, "title", 200, names=("titre", "intitulé")),
    Case("crisis:sheet_new", {**SHEET, "level": "abc"}, "level", label="non-numeric", names=("niveau",)),
    *_bad_text("crisis:directory", CONTACT, "name", 200, names=("nom",)),
    *_bad_text("crisis:directory", CONTACT, "phone", 40, names=("téléphone",), required=False),
    *_bad_choice("crisis:directory", CONTACT, "kind", names=("type",)),
    Case("crisis:directory", {**CONTACT, "commune": NOGENT}, "commune", statuses=(403,), label="foreign"),
    # --- resources, loans, requests, shelters ---------------------------------------------------
    *_bad_text("crisis:add_resource", RESOURCE, "name", 200, names=("désignation",)),
    *_bad_choice("crisis:add_resource", RESOURCE, "kind", names=("type",)),
    Case("crisis:add_resource", {**RESOURCE, "quantity": "abc"}, "quantity", names=("quantité", "Quantité")),
    Case("crisis:add_resource", {**RESOURCE, "commune": NOGENT}, "commune", statuses=(403,), label="foreign"),
    Case(
        "crisis:lend_resource",
        {"to_commune": NOGENT, "crisis": "abc"},
        "crisis",
        ("resource",),
        label="crisis=abc",
        names=("crise",),
    ),
    Case(
        "crisis:lend_resource",
        {"to_commune": NOGENT, "crisis": "999999"},
        "crisis",
        ("resource",),
        NOT_FOUND,
        "unknown crisis",
    ),
    Case(
        "crisis:lend_resource", {"to_commune": "00000"}, "to_commune", ("resource",), label="unknown commune"
    ),
    Case(
        "crisis:lend_resource",
        {"to_commune": GARCHES},
        "to_commune",
        ("foreign_resource",),
        (403,),
        "foreign",
    ),
    Case(
        "crisis:commit_resource",
        {"crisis": "abc", "quantity": "1"},
        "crisis",
        ("resource",),
        label="crisis=abc",
        names=("crise",),
    ),
    Case(
        "crisis:commit_resource",
        {"crisis": "", "quantity": "abc"},
        "quantity",
        ("resource",),
        label="no crisis",
        names=("crise", "Quantité"),
    ),
    Case(
        "crisis:request_resource",
        {**REQUEST, "crisis": "abc"},
        "crisis",
        label="crisis=abc",
        names=("crise",),
    ),
    Case("crisis:request_resource", {**REQUEST, "quantity": "abc"}, "quantity", names=("Quantité",)),
    *_bad_choice("crisis:request_resource", REQUEST, "kind", names=("type",)),
    *_bad_text("crisis:request_resource", REQUEST, "label", 200, names=("désignation", "libellé")),
    Case("crisis:request_resource", {**REQUEST, "from_commune": NOGENT}, "from_commune", statuses=(403,)),
    *_bad_choice(
        "crisis:answer_request",
        {"quantity": "1"},
        "decision",
        args=("resource_request",),
        names=("décision", "réponse"),
    ),
    Case(
        "crisis:shelter_occupancy",
        {"occupancy": "abc"},
        "occupancy",
        ("shelter",),
        names=("Occupation",),
    ),
    Case("crisis:shelter_occupancy", {"occupancy": "3"}, "shelter", ("foreign_shelter",), (403,), "foreign"),
    *_bad_choice("crisis:shelter_state", {}, "action", args=("shelter",), names=("ouvrir",)),
    *_bad_text(
        "crisis:shelter_state", {"action": "ouvrir"}, "note", 10_000, args=("shelter",), required=False
    ),
    *_bad_text(
        "crisis:shelter_register",
        {"household_size": "1"},
        "name",
        200,
        args=("register_shelter",),
        names=("nom",),
    ),
    Case(
        "crisis:shelter_register",
        {"name": "M. X", "household_size": "abc"},
        "household_size",
        ("register_shelter",),
        names=("Nombre de personnes",),
    ),
]

ALERT = {
    "hazard": "inondation",
    "status": "Actual",
    "severity": "Moderate",
    "urgency": "Expected",
    "certainty": "Likely",
    "communes": GARCHES,
    "onset": "2026-12-02T10:00",
    "expires": "2026-12-02T20:00",
    "fr_headline": "Crue de la Seine",
}
INDICATOR = {
    "label": "Seine",
    "source": "Hub'Eau",
    "hazard": "inondation",
    "direction": "up",
    "stale_minutes": "60",
    "key": "seine-garches",
    "commune": GARCHES,
    "series": "hubeau:X:H",
    "unit": "m",
    "form-TOTAL_FORMS": "0",
    "form-INITIAL_FORMS": "0",
}
SUBSCRIBE = {
    "channel": "email",
    "address": "habitant@example.org",
    "commune": GARCHES,
    "language": "fr",
    "consent": "on",
}
PUSH = {"subscription": {"endpoint": "https://push.example.org/x", "keys": {"p256dh": "k", "auth": "a"}}}
PERSON = {
    "last_name": "Zorglub",
    "first_names": "Eulalie",
    "birth_date": "12/03/1938",
    "category": "65+",
    "address": "1 rue des Glycines, 92380 Garches",
    "phone": "01 47 32 98 76",
    "source": "personne",
}
CAMPAIGN = {"hazard": "canicule", "zone": "commune"}
UPLOAD = {"dataset": "zones", "title": "Zones"}

CASES += [
    # --- alerts: compose, edit, workflow, templates, estimate -----------------------------------
    *_bad_text("alerts:compose", ALERT, "fr_headline", 140, names=("Titre",)),
    *_bad_text("alerts:compose", ALERT, "contact", 200, names=("Contact",), required=False),
    *_bad_choice("alerts:compose", ALERT, "hazard", names=("Aléa",)),
    *_bad_choice("alerts:compose", ALERT, "severity", names=("Gravité",)),
    *_bad_choice("alerts:compose", ALERT, "status", names=("Statut",)),
    *_bad_choice("alerts:compose", ALERT, "communes", value=NOGENT, names=("Communes",)),
    Case("alerts:compose", {**ALERT, "crisis": "abc"}, "crisis", label="crisis=abc", names=("Crise",)),
    Case("alerts:compose", {**ALERT, "crisis": "999999"}, "crisis", label="unknown crisis", names=("Crise",)),
    Case("alerts:compose", {**ALERT, "onset": "demain"}, "onset", label="bad date", names=("Début",)),
    Case("alerts:compose", {**ALERT, "polygon": "{"}, "polygon", label="bad GeoJSON", names=("olygone",)),
    *_bad_text("alerts:edit", ALERT, "fr_headline", 140, args=("alert",), names=("Titre",)),
    Case("alerts:edit", ALERT, "alert", ("foreign_alert",), NOT_FOUND, "foreign alert"),
    Case("alerts:submit", {}, "alert", ("foreign_alert",), NOT_FOUND, "foreign alert"),
    Case(
        "alerts:approve",
        {"digest": "0" * 64},
        "digest",
        ("submitted_alert",),
        label="bad digest",
        names=("changé",),
    ),
    Case("alerts:approve", {}, "alert", ("foreign_alert",), NOT_FOUND, "foreign alert"),
    Case(
        "alerts:reject",
        {"reason": NUL},
        "reason",
        ("submitted_alert",),
        label="NUL",
        names=("motif", "reason"),
    ),
    Case(
        "alerts:reject",
        {"reason": "x" * 2001},
        "reason",
        ("submitted_alert",),
        label="too long",
        names=("motif", "reason"),
    ),
    Case("alerts:publish", {}, "alert", ("alert",), label="draft not approved", names=("approuv",)),
    Case("alerts:update", {}, "alert", ("foreign_alert",), NOT_FOUND, "foreign alert"),
    Case("alerts:cancel", {}, "alert", ("alert",), label="never published", names=("publi",)),
    Case(
        "alerts:templates",
        {"commune": GARCHES, "hazard": "godzilla", "fr_headline": "x"},
        "hazard",
        label="unknown choice",
        names=("Aléa",),
    ),
    Case(
        "alerts:templates",
        {"commune": GARCHES, "hazard": "canicule", "fr_headline": ""},
        "fr_headline",
        label="empty",
        names=("headline",),
    ),
    Case(
        "alerts:templates",
        {"commune": NOGENT, "hazard": "canicule", "fr_headline": "x"},
        "commune",
        statuses=(403,),
        label="foreign",
    ),
    Case("alerts:estimate", {"polygon": "{"}, "polygon", label="bad GeoJSON", names=("olygone",)),
    # --- monitoring --------------------------------------------------------------------------------
    *_bad_text("monitoring:new_indicator", INDICATOR, "label", 200, names=("Libellé",)),
    *_bad_choice("monitoring:new_indicator", INDICATOR, "hazard", names=("Aléa",)),
    *_bad_choice("monitoring:new_indicator", INDICATOR, "commune", value=NOGENT, names=("Commune",)),
    Case(
        "monitoring:new_indicator", {**INDICATOR, "stale_minutes": "abc"}, "stale_minutes", names=("Retard",)
    ),
    *_bad_choice("monitoring:edit_indicator", INDICATOR, "direction", args=("indicator",), names=("Sens",)),
    Case("monitoring:edit_indicator", INDICATOR, "key", ("foreign_indicator",), NOT_FOUND, "foreign"),
    Case("monitoring:accept", {}, "proposal", ("missing",), NOT_FOUND, "unknown proposal"),
    Case("monitoring:dismiss", {"note": NUL}, "proposal", ("missing",), NOT_FOUND, "unknown proposal"),
    # --- sources -----------------------------------------------------------------------------------
    Case(
        "sources:source_new",
        {"kind": "godzilla", "name": "x"},
        "kind",
        label="unknown choice",
        names=("Type de source",),
    ),
    Case(
        "sources:source_new",
        {"kind": "hubeau", "name": "x" * 81, "opt_stations": "F664000104"},
        "name",
        label="too long",
        names=("nom",),
    ),
    Case(
        "sources:source_new",
        {"kind": "hubeau", "name": NUL, "opt_stations": "F664000104"},
        "name",
        label="NUL",
        names=("nom",),
    ),
    Case("sources:run", {}, "name", ("missing_name",), NOT_FOUND, "unknown source"),
    Case("sources:dataset", {"territory_wide": "1"}, "name", ("missing_name",), NOT_FOUND, "unknown dataset"),
    Case("sources:upload", UPLOAD, "file", label="no file", names=("Fichier",)),
    Case("sources:confirm", {"action": "confirm"}, "token", ("missing_name",), NOT_FOUND, "unknown token"),
    # --- registry ----------------------------------------------------------------------------------
    *_bad_text("registry:register", PERSON, "last_name", 150, args=("garches",), names=("Nom",)),
    Case("registry:register", PERSON, "commune", ("nogent",), (403,), "foreign commune"),
    Case(
        "registry:register",
        {**PERSON, "request_date": "demain"},
        "request_date",
        ("garches",),
        names=("Date de la demande",),
    ),
    *_bad_choice("registry:campaign_new", CAMPAIGN, "hazard", args=("garches",), names=("Aléa",)),
    Case(
        "registry:campaign_new",
        {**CAMPAIGN, "crisis": "abc"},
        "crisis",
        ("garches",),
        label="crisis=abc",
        names=("Crise",),
    ),
    Case(
        "registry:campaign_new",
        {**CAMPAIGN, "crisis": "999999"},
        "crisis",
        ("garches",),
        label="unknown crisis",
        names=("Crise",),
    ),
    Case(
        "registry:campaign_new",
        {**CAMPAIGN, "crisis": "FOREIGN"},
        "crisis",
        ("garches",),
        label="foreign crisis",
        names=("Crise",),
    ),
    Case(
        "registry:campaign_new",
        {**CAMPAIGN, "recall_delay_minutes": "abc"},
        "recall_delay_minutes",
        ("garches",),
        names=("Rappel",),
    ),
    # --- public site -------------------------------------------------------------------------------
    *_bad_text("public:subscribe", SUBSCRIBE, "address", 254, names=("Adresse",)),
    *_bad_choice("public:subscribe", SUBSCRIBE, "commune", value="00000", names=("Commune",)),
    *_bad_choice("public:subscribe", SUBSCRIBE, "channel", value="pigeon", names=("Recevoir",)),
    *_bad_choice("public:subscribe", SUBSCRIBE, "topics", names=("Sujets",)),
    *_bad_choice("public:subscribe", SUBSCRIBE, "language", value="klingon", names=("Langue",)),
    *_bad_text("public:subscribe", SUBSCRIBE, "street", 200, names=("adresse",), required=False),
    Case(
        "public:subscribe_push",
        {},
        "endpoint",
        label="endpoint too long",
        names=("notification", "envoi"),
        json={
            **PUSH,
            "subscription": {
                **PUSH["subscription"],
                "endpoint": "https://fcm.googleapis.com/fcm/send/" + "x" * 3000,
            },
            "commune": GARCHES,
        },
    ),
    Case(
        "public:subscribe_push",
        {},
        "commune",
        label="unknown commune",
        names=("Commune",),
        json={**PUSH, "commune": "00000"},
    ),
    Case(
        "public:subscribe_push",
        {},
        "subscription",
        label="wrong JSON type",
        names=("Abonnement",),
        json={"subscription": "x", "commune": GARCHES},
    ),
    Case(
        "public:subscribe_push",
        {},
        "keys",
        label="NUL in keys",
        names=("Abonnement", "nul", "envoi"),
        json={
            "subscription": {
                "endpoint": "https://fcm.googleapis.com/fcm/send/y",
                "keys": {"p256dh": NUL, "auth": "a"},
            },
            "commune": GARCHES,
        },
    ),
    Case(
        "public:unsubscribe", {}, "token", ("bad_token",), label="unknown token", names=("lien", "abonnement")
    ),
    # --- accounts ----------------------------------------------------------------------------------
    *_bad_text("accounts:profile", {}, "mobile", 30, names=("Mobile",), required=False),
    Case("accounts:profile", {"mobile": "pas un numéro"}, "mobile", label="not a number", names=("Mobile",)),
]


@pytest.fixture
def world(make_user, territory, settings, tmp_path):
    """Objects of Garches (the user's commune) and of Nogent (another commune's)."""
    from beffroi.crisis import actions_means as am
    from beffroi.crisis.actions import do_open_crisis
    from beffroi.crisis.actions_requests import do_request_resource
    from beffroi.crisis.actions_tasks import do_create_task

    settings.PUBLIC_ROOT = tmp_path / "public"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.REGISTRY_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
    settings.REGISTRY_PCS_EXTENSION = False
    settings.SUBSCRIBE_RATE_IP = settings.SUBSCRIBE_RATE_ADDRESS = "10000/h"
    cache.clear()
    user = make_user("cellule_crise", [GARCHES], totp=True)
    user.groups.add(*Group.objects.filter(name__in=[r for r in ROLES if r != "administrateur"]))
    nogent_mayor = make_user("maire", [NOGENT])
    crisis = do_open_crisis(
        hazard="inondation", communes=[GARCHES], level=2, exercise=False, title="Crue", actor=user
    )
    foreign_crisis = do_open_crisis(
        hazard="inondation", communes=[NOGENT], level=2, exercise=False, title="Crue", actor=nogent_mayor
    )
    task = do_create_task(crisis, title="Barrières", actor=user)
    resource = am.do_save_resource(commune=GARCHES, actor=DEMO, name="Pompe", kind="materiel", quantity=3)
    foreign_resource = am.do_save_resource(
        commune=NOGENT, actor=DEMO, name="Camion", kind="vehicule", quantity=1
    )
    shelter = am.do_save_shelter(
        commune=GARCHES, actor=DEMO, name="Gymnase", capacity=10, keeps_register=False
    )
    register_shelter = am.do_save_shelter(
        commune=GARCHES, actor=DEMO, name="École", capacity=10, keeps_register=True
    )
    am.do_open_shelter(register_shelter, actor=user)
    foreign_shelter = am.do_save_shelter(
        commune=NOGENT, actor=DEMO, name="Salle", capacity=10, keeps_register=False
    )
    asked = do_request_resource(
        from_commune=NOGENT,
        to_commune=GARCHES,
        kind="materiel",
        label="Pompes",
        quantity=1,
        unit="",
        place="",
        until=None,
        note="",
        crisis=None,
        actor=nogent_mayor,
    )
    from beffroi.alerts.actions import do_draft_alert, do_submit
    from beffroi.monitoring.actions import do_save_indicator
    from beffroi.registry.actions import do_nominate

    now = timezone.now()
    alert = do_draft_alert(
        hazard="canicule", communes=[GARCHES], onset=now, expires=now + timedelta(hours=6), actor=user
    )
    submitted = do_draft_alert(  # drafted by another: the user may approve it (four eyes)
        hazard="canicule", communes=[GARCHES], onset=now, expires=now + timedelta(hours=6), actor=DEMO
    )
    do_submit(submitted.latest(), actor=user)
    foreign_alert = do_draft_alert(
        hazard="canicule", communes=[NOGENT], onset=now, expires=now + timedelta(hours=6), actor=DEMO
    )
    indicators = {}
    for commune in (GARCHES, NOGENT):
        indicators[commune] = do_save_indicator(
            key=f"seine-{commune}",
            label="Seine",
            unit="m",
            source="Hub'Eau",
            series=f"hubeau:{commune}:H",
            commune=commune,
            hazard="inondation",
            public=False,
            stale_after=timedelta(hours=1),
            thresholds=[],
            actor=SystemActor("cli"),
        ).key
    do_nominate(
        user,
        GARCHES,
        decision_date=date(2026, 1, 5),
        signer="Le maire",
        scope="manager",
        actor=SystemActor("cli"),
    )
    return {
        "garches": GARCHES,
        "nogent": NOGENT,
        "missing": 999999,
        "missing_name": "inconnu",
        "bad_token": "x" * 20,
        "alert": alert.pk,
        "submitted_alert": submitted.pk,
        "foreign_alert": foreign_alert.pk,
        "indicator": indicators[GARCHES],
        "foreign_indicator": indicators[NOGENT],
        "user": user,
        "crisis": crisis.pk,
        "foreign_crisis": foreign_crisis.pk,
        "task": task.pk,
        "resource": resource.pk,
        "foreign_resource": foreign_resource.pk,
        "shelter": shelter.pk,
        "register_shelter": register_shelter.pk,
        "foreign_shelter": foreign_shelter.pk,
        "resource_request": asked.pk,
    }


def counts() -> dict[str, int]:
    """Rows of every Beffroi model: a refused input writes none (not even an audit event)."""
    from beffroi.core.models import AuditEvent

    rows = {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m.__module__.startswith("beffroi.") and m is not AuditEvent
    }
    # Reading personal data and refusals are audited (shelter register, registry): writes count.
    rows["audit writes"] = (
        AuditEvent.objects.exclude(action__endswith=".view").exclude(action__endswith=".denied").count()
    )
    return rows


def _text(response) -> str:
    import html

    return html.unescape(response.content.decode("utf-8", "replace"))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_bad_value_is_refused_with_a_located_message_and_nothing_written(client, world, case):
    login_client(client, world["user"])
    url = reverse(case.url, args=[world[a] for a in case.args])
    data = {k: str(world["foreign_crisis"]) if v == "FOREIGN" else v for k, v in case.data.items()}
    before = counts()
    if case.json is not None:
        response = client.post(url, json.dumps(case.json), content_type="application/json")
    else:
        response = client.post(url, data)
    body = _text(response)
    assert response.status_code in case.statuses, (response.status_code, body[:2000])
    if response.status_code in (400, 422):
        names = (case.field, *case.names)
        assert any(n.lower() in body.lower() for n in names), (names, body[:3000])
        assert "Traceback" not in body
    assert counts() == before


# --- the walk covers every POST view --------------------------------------------------------

# Views that accept POST but are not in CASES, with the reason (or the test that covers them).
NOT_WALKED = {
    "accounts:login": "tests/accounts/test_login.py (axes lockout, bad credentials)",
    "accounts:otp": "tests/accounts/test_second_factor.py",
    "accounts:logout": "no input",
    "language": "tests/accounts/test_language.py (unknown language refused)",
    "set_language": "Django's own view",
    "crisis:end_staffing": "no input but the ids of the URL (403 when not the crisis's)",
    "crisis:return_resource": "no input but the id of the URL",
    "crisis:release_commitment": "no input but the id of the URL",
    "crisis:return_request": "no input but the id of the URL",
    "crisis:shelter_departure": "no input but the ids of the URL",
    "crisis:exercise_tick": "no input but the id of the URL",
    "crisis:sheet_edit": "same form as crisis:sheet_new",
    "alerts:preview": "nothing is saved: an unknown value falls back to a default in the preview",
    "registry:person_action": "tests/registry (per action: contact change, move, removal)",
    "registry:import": "tests/registry/test_import.py (bad files, columns, categories)",
    "registry:export_prefect": "tests/registry (passphrase, fields)",
    "registry:campaign_action": "tests/registry (campaign actions)",
    "registry:outcome": "tests/registry (call outcomes)",
    "registry:visit_outcome": "tests/registry (visit outcomes)",
    "registry:place": "tests/registry (placing a person on the map)",
    "registry:nominations": "tests/registry/test_nominations.py",
}


def _post_views() -> dict[str, str]:
    """URL name → view of every pattern whose view reads a POST (admin and API apart)."""
    found: dict[str, str] = {}

    def walk(resolver, namespace=""):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in ("admin", "otpadmin", "api"):
                    continue
                walk(pattern, namespace + (f"{pattern.namespace}:" if pattern.namespace else ""))
            elif isinstance(pattern, URLPattern) and pattern.name:
                view = inspect.unwrap(pattern.callback)
                try:
                    source = inspect.getsource(view)
                except (OSError, TypeError):
                    continue
                if "POST" in source:
                    found[namespace + pattern.name] = f"{view.__module__}.{view.__qualname__}"

    walk(get_resolver())
    return found


def test_every_post_view_is_walked():
    walked = {c.url for c in CASES}
    missing = sorted(set(_post_views()) - walked - set(NOT_WALKED) - set(PENDING))
    assert not missing, f"POST views without bad-input cases (add them to CASES): {missing}"


# Views accepting POST that the walk does not reach yet (issue 15 continues): kept explicit so that
# the list only shrinks, and a new view is never silently left out.
PENDING: dict[str, str] = {}
