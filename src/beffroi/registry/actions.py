"""Every write on the registry: permission + nomination check, one transaction, audit (opaque ids only)."""

from __future__ import annotations

import base64
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import Point, shape

from beffroi.core.actors import Actor, user_or_none
from beffroi.core.audit import actor_label
from beffroi.core.audit import record as audit
from beffroi.core.errors import Problem, UserError
from beffroi.core.permissions import allowed_system, require, require_verified
from beffroi.registry import crypto
from beffroi.registry.access import aad_for, check_reader, decrypt_extension, decrypt_person, note_aad
from beffroi.registry.addresses import load_index
from beffroi.registry.disclosure import cell_of
from beffroi.registry.models import CallAttempt, KeyVerifier, Move, Nomination, Person, Proof, Visit
from beffroi.registry.models.people import Category, Consent, Source
from beffroi.registry.schema import (
    EXTENSION_FIELDS,
    PersonData,
    check_eligibility,
    dedup_text,
    normalise_phone,
    parse_category,
    parse_date,
    pcs_extension_enabled,
)
from beffroi.territory.selectors import communes

MAX_PROOF_BYTES = 5 * 1024 * 1024


def _check_writer(actor: Actor, commune: str, perm: str, *, system: tuple[str, ...] = ("cli",)) -> None:
    """A user needs ``perm`` and a nomination; the operator at the server's shell (``cli``) holds the
    key anyway; other system actors only where the action lists them."""
    if allowed_system(actor, system):
        return
    require(actor, perm, commune)
    check_reader(actor, commune)


# --- nominations --------------------------------------------------------------------------------


def _require_second_factor(actor: Actor) -> None:
    if not allowed_system(actor, ("cli", "demo")):
        require_verified(actor)


def do_nominate(
    user,
    commune: str,
    *,
    decision_date: date,
    signer: str,
    scope: str = Nomination.Scope.MANAGER,
    decision_reference: str = "",
    actor: Actor,
) -> Nomination:
    """The mayor (or an administrator recording the mayor's decision) names a registry agent.

    A nomination opens the registry's personal data to someone: recorded from a web session, that
    session must have been confirmed with a second factor (the shell's ``cli`` actor has none)."""
    require(actor, "registry.add_nomination", commune, system=("cli", "demo"))
    _require_second_factor(actor)
    if not user.has_perm("registry.view_person"):
        raise UserError(
            _("Agent : seuls les agents du CCAS (rôle agent_ccas) peuvent être nommés au registre."),
            [Problem(_("le rôle n'est pas agent_ccas"), field="user")],
        )
    if not signer.strip():
        raise UserError(
            _("Signataire : la nomination indique le signataire de la décision du maire."),
            [Problem(_("obligatoire"), field="signer")],
        )
    with transaction.atomic():
        Nomination.objects.filter(user=user, commune_code=commune, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        nomination = Nomination.objects.create(
            user=user,
            commune_code=commune,
            scope=scope,
            decision_date=decision_date,
            signer=signer.strip(),
            decision_reference=decision_reference,
            recorded_by=user_or_none(actor),
        )
        audit(
            actor,
            "registry.nominate",
            nomination,
            commune=commune,
            detail={"user": user.username, "scope": scope, "decision_date": decision_date.isoformat()},
        )
    return nomination


def do_revoke_nomination(nomination: Nomination, *, actor: Actor) -> None:
    require(actor, "registry.add_nomination", nomination.commune_code, system=("cli",))
    _require_second_factor(actor)
    with transaction.atomic():
        nomination.revoked_at = timezone.now()
        nomination.save(update_fields=["revoked_at"])
        audit(actor, "registry.revoke_nomination", nomination, commune=nomination.commune_code)


# --- validation ---------------------------------------------------------------------------------


CONTACT_FIELDS = (
    "phone",
    "mobile",
    "home_care_service",
    "home_care_service_phone",
    "emergency_contact",
    "emergency_contact_phone",
)
_OPTIONAL_PHONES = ("mobile", "home_care_service_phone", "emergency_contact_phone")


def clean_person(raw: dict, *, source: str, today: date | None = None) -> tuple[PersonData, list[Problem]]:
    """Validate raw values into a PersonData; problems name the field (messages in French)."""
    problems: list[Problem] = []

    def text(name, required=True, limit=200):
        value = str(raw.get(name) or "").strip()
        if required and not value:
            problems.append(Problem(_("obligatoire"), field=name))
        if len(value) > limit:
            problems.append(Problem(_("%(n)d caractères au plus") % {"n": limit}, field=name))
        return value

    last_name, first_names = text("last_name", limit=100), text("first_names", limit=100)
    address = text("address")
    born = None
    try:
        born = parse_date(raw.get("birth_date"))
    except ValueError as exc:
        problems.append(Problem(str(exc), field="birth_date"))
    category = ""
    try:
        category = parse_category(raw.get("category"))
    except ValueError as exc:
        problems.append(Problem(str(exc), field="category"))
    if born and category:
        try:
            check_eligibility(category, born, today)
        except ValueError as exc:
            problems.append(Problem(str(exc), field="category"))
    phones: dict[str, str] = {}
    for name in _OPTIONAL_PHONES:
        phones[name] = ""
        if str(raw.get(name) or "").strip():
            try:
                phones[name] = normalise_phone(raw.get(name))
            except ValueError as exc:
                problems.append(Problem(str(exc), field=name))
    phone = ""
    if str(raw.get("phone") or "").strip():
        try:
            phone = normalise_phone(raw.get("phone"))
        except ValueError as exc:
            problems.append(Problem(str(exc), field="phone"))
    elif phones["mobile"]:
        # Campaigns and routes call ``phone``: a person reachable only on a mobile has it as main number.
        phone, phones["mobile"] = phones["mobile"], ""
    elif "mobile" not in {p.field for p in problems}:
        problems.append(Problem(str(_("au moins un numéro de téléphone (fixe ou portable)")), field="phone"))
    if phones["mobile"] == phone:
        phones["mobile"] = ""
    third_name = text("third_party_name", required=source == Source.THIRD_PARTY, limit=150)
    third_capacity = text("third_party_capacity", required=source == Source.THIRD_PARTY, limit=100)
    lon = raw.get("lon")
    lat = raw.get("lat")
    try:
        lon = float(lon) if lon not in (None, "") else None
        lat = float(lat) if lat not in (None, "") else None
        if (lon is None) != (lat is None) or (
            lon is not None and lat is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90)
        ):
            raise ValueError
    except (TypeError, ValueError):
        problems.append(Problem(_("coordonnées invalides"), field="lon/lat"))
        lon = lat = None
    data = PersonData(
        last_name=last_name,
        first_names=first_names,
        birth_date=born.isoformat() if born else "",
        category=category,
        address=address,
        phone=phone,
        mobile=phones["mobile"],
        home_care_service=text("home_care_service", required=False),
        home_care_service_phone=phones["home_care_service_phone"],
        emergency_contact=text("emergency_contact", required=False),
        emergency_contact_phone=phones["emergency_contact_phone"],
        third_party_name=third_name,
        third_party_capacity=third_capacity,
        lon=lon,
        lat=lat,
    )
    return data, problems


def clean_extension(raw: dict | None) -> dict:
    if not raw or not pcs_extension_enabled():
        return {}
    ext: dict[str, bool | int] = {}
    if raw.get("lives_alone") not in (None, ""):
        ext["lives_alone"] = str(raw["lives_alone"]).strip().lower() in {"1", "true", "oui", "yes", "on", "x"}
    if raw.get("floor") not in (None, ""):
        try:
            ext["floor"] = int(raw["floor"])
        except (TypeError, ValueError):
            raise UserError(
                _("Étage : nombre entier attendu."), [Problem(_("nombre entier attendu"), field="floor")]
            ) from None
    return {k: v for k, v in ext.items() if k in EXTENSION_FIELDS}


def initial_consent(source: str) -> str:
    return Consent.CONSENT if source in (Source.SELF, Source.LEGAL_REP) else Consent.AWAITING


def seal(person: Person, data: PersonData, extension: dict | None, ring=None) -> None:
    ring = ring or crypto.keyring()
    person.key_id, person.payload = crypto.encrypt_json(data.to_dict(), aad=aad_for(person), ring=ring)
    person.extension = (
        crypto.encrypt_json(extension, aad=aad_for(person) + ":ext", ring=ring)[1] if extension else ""
    )
    person.dedup_key = crypto.blind_index(
        dedup_text(data.last_name, data.first_names, data.birth_date), ring=ring
    )
    person.cell = cell_of(data.lon, data.lat)


def _attach_proof(person: Person, proof: tuple[str, str, bytes], ring=None) -> Proof:
    filename, content_type, content = proof
    if len(content) > MAX_PROOF_BYTES:
        raise UserError(_("Justificatif : 5 Mo au plus."), [Problem(_("fichier trop gros"), field="proof")])
    record = Proof.objects.create(person=person, key_id="", content="")
    record.key_id, record.content = crypto.encrypt_json(
        {"filename": filename, "content_type": content_type, "data": base64.b64encode(content).decode()},
        aad=aad_for(person) + f":proof:{record.pk}",
        ring=ring,
    )
    record.save(update_fields=["key_id", "content"])
    return record


# --- people -------------------------------------------------------------------------------------


def do_register_person(
    commune: str,
    raw: dict,
    *,
    source: str,
    request_date: date,
    proof: tuple[str, str, bytes] | None = None,
    extension: dict | None = None,
    actor: Actor,
) -> Person:
    _check_writer(actor, commune, "registry.add_person", system=("cli", "demo"))
    if source not in Source.values:
        raise UserError(
            _("Origine de la demande : choisissez une origine de la liste."),
            [Problem(_("inconnue"), field="source")],
        )
    data, problems = clean_person(raw, source=source)
    if source == Source.THIRD_PARTY and proof is None:
        problems.append(
            Problem(_("une demande par un tiers est écrite : joignez la demande écrite"), field="proof")
        )
    if request_date > timezone.localdate():
        problems.append(Problem(_("date dans le futur"), field="request_date"))
    if problems:
        raise UserError(_("L'inscription est incomplète ou invalide."), problems)
    ext = clean_extension(extension)
    with transaction.atomic():
        person = Person(
            commune_code=commune, source=source, consent=initial_consent(source), request_date=request_date
        )
        seal(person, data, ext)
        if Person.objects.filter(commune_code=commune, dedup_key=person.dedup_key).exists():
            raise UserError(
                _("Cette personne est déjà inscrite (mêmes nom, prénoms et date de naissance)."),
                [Problem(_("doublon"), field="last_name")],
            )
        person.save()
        if proof is not None:
            _attach_proof(person, proof)
        audit(
            actor,
            "registry.register",
            object_type="registry.person",
            object_id=person.public_id,
            commune=commune,
            detail={"source": source},
        )
    return person


def _person_for_write(public_id: str, actor: Actor, perm: str) -> Person:
    person = Person.objects.select_for_update().filter(public_id=public_id).first()
    if person is None:
        raise PermissionDenied("unknown record")
    _check_writer(actor, person.commune_code, perm)
    return person


def do_update_person(public_id: str, raw: dict, *, extension: dict | None = None, actor: Actor) -> Person:
    with transaction.atomic():
        person = _person_for_write(public_id, actor, "registry.change_person")
        current = decrypt_person(person).to_dict()
        merged = {**current, **{k: v for k, v in raw.items() if k in current}}
        data, problems = clean_person(merged, source=person.source)
        if problems:
            raise UserError(_("La fiche est invalide."), problems)
        ext = (
            clean_extension({**decrypt_extension(person), **(extension or {})})
            if extension is not None
            else (decrypt_extension(person) if pcs_extension_enabled() else {})
        )
        changed = sorted(k for k, v in data.to_dict().items() if current.get(k) != v)
        seal(person, data, ext)
        person.save()
        audit(  # which fields changed, never their values
            actor,
            "registry.update",
            object_type="registry.person",
            object_id=public_id,
            commune=person.commune_code,
            detail={"fields": changed},
        )
    return person


def do_remove_person(public_id: str, *, reason: str, actor: Actor) -> None:
    """One step, immediate: the row, its proofs, calls and visits are deleted; the audit keeps the opaque id."""  # noqa: E501
    with transaction.atomic():
        person = _person_for_write(public_id, actor, "registry.delete_person")
        commune = person.commune_code
        person.delete()
        audit(
            actor,
            "registry.remove",
            object_type="registry.person",
            object_id=public_id,
            commune=commune,
            detail={"reason": reason},
        )


def do_record_move(
    public_id: str, *, within_commune: bool, new_address: str = "", lon=None, lat=None, actor: Actor
) -> Person | None:
    """R121-5: a move within the commune updates the address; a move away is a removal request."""
    label = actor_label(actor)
    if not within_commune:
        with transaction.atomic():
            person = _person_for_write(public_id, actor, "registry.delete_person")
            Move.objects.create(
                person_ref=public_id, commune_code=person.commune_code, kind=Move.Kind.OUT, actor_label=label
            )
        do_remove_person(public_id, reason="moved_out", actor=actor)
        return None
    with transaction.atomic():
        person = do_update_person(public_id, {"address": new_address, "lon": lon, "lat": lat}, actor=actor)
        Move.objects.create(
            person_ref=public_id, commune_code=person.commune_code, kind=Move.Kind.WITHIN, actor_label=label
        )
    return person


def _in_commune(commune: str, lon: float, lat: float) -> bool:
    """Whether the point is in the commune's outline (True when the territory has no outline)."""
    for c in communes():
        if c.code == commune and c.boundary:
            geom = (
                c.boundary.get("geometry", c.boundary) if c.boundary.get("type") == "Feature" else c.boundary
            )
            return bool(shape(geom).buffer(0.002).contains(Point(lon, lat)))  # ~200 m of slack at the edge
    return True


def do_locate_person(public_id: str, *, lon=None, lat=None, address: str | None = None, actor: Actor) -> dict:
    """Place a person whose address was not located: a point clicked on the map (lon/lat), or a
    corrected address found on the local address table (never a third-party geocoder); ``address``
    None means the map. Updates the address, the coordinates and the counting cell together; audited
    without the address."""
    with transaction.atomic():
        person = _person_for_write(public_id, actor, "registry.change_person")
        data = decrypt_person(person)
        if address is not None:
            address = address.strip()
            if not address:
                message = _("Adresse corrigée : saisissez l'adresse (numéro, voie, code postal).")
                raise UserError(message, [Problem(message, field="address")])
            if len(address) > 200:
                message = _("Adresse corrigée : 200 caractères au plus.")
                raise UserError(message, [Problem(message, field="address")])
            index = load_index(person.commune_code)
            if index is None:
                message = _(
                    "Adresse corrigée : aucune base d'adresses locale n'est chargée pour cette commune ; "
                    "placez la personne d'un clic sur la carte."
                )
                raise UserError(message, [Problem(message, field="address")])
            found = index.locate(address)
            if found is None:
                message = _(
                    "Adresse corrigée : « %(address)s » est introuvable dans la base d'adresses locale "
                    "(numéro et voie exacts attendus) ; corrigez-la ou placez la personne sur la carte."
                ) % {"address": address}
                raise UserError(message, [Problem(message, field="address")])
            new_lon, new_lat = found
            method = "address"
            data.address = address
        else:
            try:
                new_lon, new_lat = float(str(lon).replace(",", ".")), float(str(lat).replace(",", "."))
            except (TypeError, ValueError):
                message = _(
                    "Position : cliquez sur la carte, ou saisissez la longitude et la latitude (nombres)."
                )
                raise UserError(message, [Problem(message, field="lon/lat")]) from None
            if not (-180 <= new_lon <= 180 and -90 <= new_lat <= 90) or not _in_commune(
                person.commune_code, new_lon, new_lat
            ):
                message = _(
                    "Position : le point [%(lon)s, %(lat)s] est hors de la commune ; cliquez dans la commune."
                ) % {"lon": f"{new_lon:.5f}", "lat": f"{new_lat:.5f}"}
                raise UserError(message, [Problem(message, field="lon/lat")])
            method = "map"
        data.lon, data.lat = round(new_lon, 6), round(new_lat, 6)
        ext = decrypt_extension(person) if pcs_extension_enabled() else {}
        seal(person, data, ext)  # the counting cell follows the new coordinates
        person.save()
        audit(
            actor,
            "registry.locate",
            object_type="registry.person",
            object_id=public_id,
            commune=person.commune_code,
            detail={"method": method},
        )
    return {"lon": data.lon, "lat": data.lat, "method": method}


def do_mark_ack(public_id: str, *, step: str, actor: Actor) -> Person:
    """Acknowledgement steps: 'letter' (generated), 'sent', 'received' (sets tacit agreement)."""
    with transaction.atomic():
        person = _person_for_write(public_id, actor, "registry.change_person")
        now = timezone.now()
        if step == "letter":
            person.ack_letter_at = now
        elif step == "sent":
            person.ack_sent_at = person.ack_sent_at or now
            person.ack_letter_at = person.ack_letter_at or now
        elif step == "received":
            if person.ack_sent_at is None:
                raise UserError(
                    _("Accusé de réception : il n'a pas encore été envoyé."),
                    [Problem(_("non envoyé"), field="ack")],
                )
            person.ack_received_at = now
            if person.consent == Consent.AWAITING:
                person.consent = Consent.TACIT
        else:
            raise UserError(_("Accusé de réception : étape inconnue."))
        person.save()
        audit(
            actor,
            f"registry.ack_{step}",
            object_type="registry.person",
            object_id=public_id,
            commune=person.commune_code,
        )
    return person


# --- key rotation -------------------------------------------------------------------------------


def do_rotate_key(*, new_file_key: bool = False, actor: Actor, progress=None) -> dict:
    """Re-encrypt every row under the current key; resumable.

    With BEFFROI_REGISTRY_KEY, put the new key first in the variable (old keys after it) and run this.
    With the key file, ``new_file_key=True`` (``rotate-key --new-key``) first adds a fresh key to the
    existing file; without it, this only finishes an earlier rotation. The key that the data were
    registered with must be among the configured ones. A row whose key is not configured (or that
    fails authentication) is skipped and reported by opaque id, never a reason to abort; running the
    command again once its key is back finishes it. Nothing here adds a key by itself."""
    if not allowed_system(actor, ("cli",)):
        # Rotating the key is the server operator's job (beffroi registry rotate-key), never a user's.
        raise PermissionDenied("registry.rotate_key")
    ring = crypto.load_keyring()
    registered = KeyVerifier.objects.filter(current=True).first()
    if registered is not None:
        old = ring.keys.get(registered.key_id)
        if old is None or crypto.verifier_of(old) != registered.verifier:
            raise crypto.RegistryKeyError(
                f"La clé du registre ({registered.key_id}) n'est pas parmi les clés configurées : "
                "rotation impossible, rien n'a été modifié."
            )
    else:
        crypto.verify(ring, register=False)  # rows written before verifiers: must decrypt
    if new_file_key:
        if ring.origin == "env":
            raise UserError(
                _(
                    "--new-key vaut pour le fichier de clés ; avec BEFFROI_REGISTRY_KEY, mettez "
                    "la nouvelle clé en premier dans la variable."
                ),
                [Problem(_("clé venant de l'environnement"), field="--new-key")],
            )
        ring = crypto.add_file_key()
    count = 0
    skipped: list[str] = []
    with transaction.atomic():
        if registered is None or registered.key_id != ring.current_id:
            KeyVerifier.objects.filter(current=True).update(current=False, retired_at=timezone.now())
            KeyVerifier.objects.update_or_create(
                key_id=ring.current_id,
                defaults={"verifier": crypto.verifier_of(ring.current), "current": True, "retired_at": None},
            )
        for person in Person.objects.select_for_update().order_by("id"):
            proofs = list(person.proofs.all())
            if person.key_id == ring.current_id and all(p.key_id == ring.current_id for p in proofs):
                continue
            try:
                with transaction.atomic():  # one row at a time: a bad row leaves the others done
                    data = decrypt_person(person, ring)
                    ext = decrypt_extension(person, ring)
                    seal(person, data, ext, ring)
                    person.save(
                        update_fields=["key_id", "payload", "extension", "dedup_key", "cell", "updated_at"]
                    )
                    for proof in proofs:
                        aad = aad_for(person) + f":proof:{proof.pk}"
                        content = crypto.decrypt_json(proof.content, key_id=proof.key_id, aad=aad, ring=ring)
                        proof.key_id, proof.content = crypto.encrypt_json(content, aad=aad, ring=ring)
                        proof.save(update_fields=["key_id", "content"])
            except crypto.RegistryKeyError:
                skipped.append(person.public_id)
                continue
            count += 1
            if progress:
                progress()
        for model, kind in ((CallAttempt, "callattempt"), (Visit, "visit")):
            # Call and visit notes are encrypted like the records: re-sealed under the current key.
            for row in (
                model.objects.select_for_update().exclude(note="").exclude(note_key_id=ring.current_id)
            ):
                aad = note_aad(kind, row.pk)
                try:
                    content = crypto.decrypt_json(row.note, key_id=row.note_key_id, aad=aad, ring=ring)
                except crypto.RegistryKeyError:
                    skipped.append(f"{kind}:{row.pk}")
                    continue
                row.note_key_id, row.note = crypto.encrypt_json(content, aad=aad, ring=ring)
                row.save(update_fields=["note_key_id", "note"])
        audit(
            actor,
            "registry.rotate_key",
            object_type="registry.key",
            object_id=ring.current_id,
            detail={"re_encrypted": count, "unknown_key": len(skipped), "unknown_key_ids": skipped[:100]},
        )
    crypto.forget_verified()
    if ring.origin != "env":
        used = (
            set(Person.objects.values_list("key_id", flat=True))
            | set(Proof.objects.values_list("key_id", flat=True))
            | set(CallAttempt.objects.exclude(note="").values_list("note_key_id", flat=True))
            | set(Visit.objects.exclude(note="").values_list("note_key_id", flat=True))
        )
        crypto.prune_file_keys(used | {ring.current_id})
    return {"key_id": ring.current_id, "re_encrypted": count, "unknown_key": skipped}


def do_reindex_cells(*, actor: Actor, progress=None) -> dict:
    """Recompute every row's counting cell (after an upgrade or a change of BEFFROI_REGISTRY_CELL_M).

    Decrypts each row in memory only to read its coordinates; the cell is the only thing written."""
    if not allowed_system(actor, ("cli",)):
        raise PermissionDenied("registry.reindex_cells")
    ring = crypto.keyring()
    changed = 0
    with transaction.atomic():
        for person in Person.objects.select_for_update().order_by("id"):
            data = decrypt_person(person, ring)
            cell = cell_of(data.lon, data.lat)
            if cell != person.cell:
                person.cell = cell
                person.save(update_fields=["cell", "updated_at"])  # updated_at: count caches see it
                changed += 1
            if progress:
                progress()
        audit(
            actor,
            "registry.reindex_cells",
            object_type="registry.cells",
            object_id="",
            detail={"changed": changed},
        )
    return {"changed": changed}


def category_label(value: str) -> str:
    return str(dict(Category.choices).get(value, value))
