"""A fan-out's e-mail bytes filled in from a template are byte for byte what Django builds."""

from __future__ import annotations

import hashlib

import pytest

from beffroi.alerts.channels.email import message, wire

TOKEN = "q" * 43  # the length of a subscriber's token (secrets.token_urlsafe(32))


def _mail(to: str, n: int, *, subject: str = "[Nogent-sur-Marne] Crue de la Marne", body: str = ""):
    url = f"https://beffroi.example.fr/public/abonnement/desinscription/{TOKEN[:-4]}{n:04d}/"
    text = body or "Montée des eaux attendue cette nuit.\n\nQue faire :\nMontez à l'étage.\n\n"
    return message(to, subject, f"{text}Se désinscrire : {url}", key=_key(n), unsubscribe=url)


def _key(n: int) -> str:  # like Delivery.key_for
    return hashlib.sha256(str(n).encode()).hexdigest()


ADDRESSES = [
    "a@b.fr",  # too short to hold a marker: Django's own path
    "jeanne.dupont@example.fr",
    "x" * 60 + "@" + "sous-domaine." * 5 + "example.fr",  # longer than a folded header line
    "prénom@example.fr",  # not ASCII: Django's own path
    "jean@exâmple.fr",  # an internationalised domain: Django's own path
]


@pytest.fixture(autouse=True)
def _fresh_templates():
    wire._templates.clear()
    yield
    wire._templates.clear()


def test_filled_bytes_equal_djangos_for_every_address():
    mails = [_mail(address, n) for n, address in enumerate(ADDRESSES * 3)]
    assert [wire.wire_bytes(m) for m in mails] == [wire.django_bytes(m) for m in mails]
    assert [wire.recipients(m) for m in mails] == [[wire.sanitize_address(m.to[0], "utf-8")] for m in mails]
    # The template was proven and kept: the other rows were filled in, not built.
    assert any(template is not None for template in wire._templates.values())


def test_a_shape_django_encodes_differently_falls_back_to_django():
    # A line over 998 bytes makes Django choose quoted-printable, which cuts the link across lines.
    long_line = "Évacuez " * 200 + "\n\n"
    mails = [_mail(address, n, body=long_line) for n, address in enumerate(ADDRESSES[:3] * 2)]
    assert [wire.wire_bytes(m) for m in mails] == [wire.django_bytes(m) for m in mails]
    assert wire._templates and all(template is None for template in wire._templates.values())


def test_subjects_and_languages_get_their_own_template():
    mails = [
        _mail("anne.martin@example.fr", 1),
        _mail("paul.martin@example.fr", 2, subject="[Nogent-sur-Marne] Flood of the Marne"),
        _mail("rose.martin@example.fr", 3),
    ]
    assert [wire.wire_bytes(m) for m in mails] == [wire.django_bytes(m) for m in mails]
    assert len(wire._templates) == 2


def test_staff_pages_without_a_link_are_filled_in_too():
    mails = [
        message(address, "Astreinte", "Rejoignez la cellule.", key=_key(n))
        for n, address in enumerate(ADDRESSES)
    ]
    assert [wire.wire_bytes(m) for m in mails] == [wire.django_bytes(m) for m in mails]
