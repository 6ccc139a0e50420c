from __future__ import annotations

import base64
import os
from datetime import date

import pytest

from beffroi.core.actors import SystemActor
from beffroi.registry import crypto


@pytest.fixture(autouse=True)
def registry_key(settings):
    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    settings.REGISTRY_KEY = key
    settings.REGISTRY_PCS_EXTENSION = False
    return key


@pytest.fixture
def nominate(make_user):
    """A nominated, TOTP-enabled CCAS agent of 92063 (and the mayor who nominated them)."""
    from beffroi.registry.actions import do_nominate

    def make(scope="manager", communes=("92063",), user=None):
        agent = user or make_user("agent_ccas", list(communes), totp=True)
        for commune in communes:
            do_nominate(
                agent,
                commune,
                decision_date=date(2026, 1, 5),
                signer="Le maire",
                scope=scope,
                actor=SystemActor("cli"),
            )
        return agent

    return make


@pytest.fixture
def agent(nominate):
    return nominate()


def verified(user):
    """Mark a user object as holding a TOTP-verified session (what OTPMiddleware does)."""
    user.is_verified = lambda: True
    return user


PERSON = {
    "last_name": "Zorglubienne",
    "first_names": "Eulalie",
    "birth_date": "12/03/1938",
    "category": "65+",
    "address": "17 rue des Glycines Imaginaires, 92500 Rueil-Malmaison",
    "phone": "01 47 32 98 76",
    "lon": 2.18,
    "lat": 48.87,
}


@pytest.fixture
def person_raw():
    return dict(PERSON)


__all__ = ["crypto", "verified", "PERSON"]
