"""The e-mail lane: messages handed to a connection's thread a few at a time, each its own outcome."""

from __future__ import annotations

from beffroi.alerts.channels import email
from beffroi.alerts.sending import ThreadTransport
from tests.conftest import run_async


def test_a_batch_gives_each_message_its_own_outcome():
    def send(payload: str) -> str:
        if payload == "refused":
            raise RuntimeError("SMTP refused recipient")
        return f"id-{payload}"

    transport = ThreadTransport(send, 2, batch_size=4)
    try:
        outcomes = run_async(transport.send_batch(["a", "refused", "c"]))
    finally:
        run_async(transport.aclose())
    assert outcomes[0] == "id-a" and outcomes[2] == "id-c"
    assert isinstance(outcomes[1], RuntimeError)


def test_a_rate_limited_lane_hands_over_one_message_at_a_time(settings):
    # The limiter spaces the starts of hand-overs: with a rate, each must be one message.
    settings.OUTBOX_CHANNELS = {"email": {"concurrency": 2, "rate": 10.0, "batch": 4}}
    limited = email.transport()
    settings.OUTBOX_CHANNELS = {"email": {"concurrency": 2, "rate": 0.0, "batch": 4}}
    unlimited = email.transport()
    try:
        assert limited.batch_size == 1
        assert unlimited.batch_size == 4
    finally:
        for transport in (limited, unlimited):
            run_async(transport.aclose())
