"""The outbox's SMS lane: concurrent requests to the provider on one aiohttp session.

aiohttp rather than httpx here because this is the hot path of a mass alert: on this project's
2-core machine an HTTP request cost about 180 µs of CPU with aiohttp against 700 to 1,000 µs with
``httpx.AsyncClient`` (5,000 requests, 16 in flight, to a local gateway; httpx scans its pool and
asks the socket for its peer at every request), and the workers' CPU is what bounds how fast
100,000 SMS leave. One-off sends (``send_text``) keep the blocking httpx client.

The session keeps at most the lane's concurrency of keep-alive connections, follows no redirect
and reads no proxy from the environment (``trust_env`` off), with the httpx clients' timeouts.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

from beffroi.alerts.channels import TemporaryError
from beffroi.alerts.channels.sms import (
    TIMEOUT,
    Provider,
    _brevo_id,
    _brevo_request,
    _ovh_clock,
    _ovh_delta,
    _ovh_outcomes,
    _ovh_request,
    _raise_for_status,
    _send_apprise,
)


@dataclass(frozen=True)
class Answer:
    status_code: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


class Lane:
    """One SMS a request (Brevo, apprise), ``concurrency`` of them in flight (the engine's bound)."""

    def __init__(self, p: Provider | None, problem: str):
        from beffroi.alerts.channels import lane_settings

        self.p, self.problem = p, problem
        self.size = lane_settings("sms")[0]
        self.session: Any = None  # opened on the engine's loop, at the first request

    def _provider(self) -> Provider:
        if self.p is None:
            raise RuntimeError(self.problem or "no SMS provider configured (BEFFROI_SMS_URL)")
        return self.p

    def _session(self):
        import aiohttp

        if self.session is None:
            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.size),
                timeout=aiohttp.ClientTimeout(total=TIMEOUT.read, connect=TIMEOUT.connect),
                trust_env=False,
            )
        return self.session

    async def _request(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Answer:
        import aiohttp

        p = self._provider()
        try:
            async with self._session().request(
                method, url, data=body, headers=headers, allow_redirects=False
            ) as response:
                answer = Answer(response.status, await response.text(errors="replace"))
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise TemporaryError(f"{p.label} SMS: {exc.__class__.__name__}") from None
        _raise_for_status(p, answer)
        return answer

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        return await self._request("POST", url, body, {"Content-Type": "application/json", **headers})

    async def send(self, payload: tuple[str, str, str]) -> str:
        p = self._provider()
        phone, text, key = payload
        if p.kind == "brevo":
            return _brevo_id(await self._post(*_brevo_request(p, phone, text))) or key
        # apprise is blocking: on a thread, so that the loop keeps the other channels going
        return await asyncio.to_thread(_send_apprise, p, phone, text) or key

    async def aclose(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None


class BatchLane(Lane):
    """OVHcloud: the numbers that get the same text go in one job (up to ``batch_size`` receivers).

    Each citizen's SMS carries their own unsubscribe link, so their texts differ and go one job each;
    staff pages and messages without a personal link share a job.
    """

    batch_size = 500

    def batch_key(self, payload: tuple[str, str, str]) -> str:
        return payload[1]

    async def _time(self, p: Provider) -> int:
        delta = _ovh_clock.get(p.base)
        if delta is None:
            answer = await self._request("GET", f"{p.base}/auth/time", None, {})
            delta = _ovh_clock[p.base] = _ovh_delta(answer.text)
        return int(time.time() + delta)

    async def send_batch(self, payloads: list[tuple[str, str, str]]) -> list[str | Exception]:
        p = self._provider()
        phones = [phone for phone, _text, _key in payloads]
        timestamp = str(await self._time(p))
        answer = (await self._post(*_ovh_request(p, phones, payloads[0][1], timestamp))).json()
        return _ovh_outcomes(answer, phones)
