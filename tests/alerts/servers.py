"""Local test servers on 127.0.0.1: a minimal SMTP server and stand-ins for the SMS providers'
APIs (Brevo, OVHcloud), counting receipts.

The SMS stand-ins check the documented request (authentication headers, OVHcloud's signature,
fields) and answer the documented errors; like the real APIs, they have no idempotency key, so a
repeated request is a repeated SMS. The SMTP server stores every message and its Message-ID.
"""

from __future__ import annotations

import collections
import email
import hashlib
import json
import socketserver
import threading
import time
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.raw = collections.Counter()  # key -> receipts
        self.messages: dict[str, dict] = {}
        self.stamps: list[float] = []  # time.monotonic() of each receipt, for rate checks

    def add(self, key: str, message: dict) -> bool:
        with self.lock:
            self.stamps.append(time.monotonic())
            self.raw[key] += 1
            first = key not in self.messages
            if first:
                self.messages[key] = message
            return first

    @property
    def unique(self) -> int:
        return len(self.messages)

    @property
    def duplicates(self) -> int:
        return sum(self.raw.values()) - len(self.raw)


class _SMTPHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        self.reply("220 test SMTP ready")
        rcpts: list[str] = []
        while True:
            try:
                line = self.rfile.readline()
            except OSError:  # the client (a worker) was killed
                return
            if not line:
                return
            cmd = line.decode("utf-8", "replace").strip()
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 test")
            elif verb == "MAIL":
                rcpts = []
                self.reply("250 OK")
            elif verb == "RCPT":
                rcpts.append(cmd.split(":", 1)[1].strip(" <>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with .")
                chunks = []
                while True:
                    try:
                        data = self.rfile.readline()
                    except OSError:
                        return
                    if not data:
                        return
                    if data in (b".\r\n", b".\n"):
                        break
                    chunks.append(data[1:] if data.startswith(b"..") else data)
                msg = email.message_from_bytes(b"".join(chunks))
                key = msg.get("Message-ID", "")
                self.server.counter.add(
                    key,
                    {
                        "to": rcpts,
                        "subject": str(make_header(decode_header(msg.get("Subject", "")))),
                        "body": msg.get_payload(decode=True).decode("utf-8", "replace")
                        if not msg.is_multipart()
                        else "",
                    },
                )
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


class SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.counter = Counter()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.server_address[1]}"

    def stop(self):
        self.shutdown()
        self.server_close()


class _ProviderHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status: int, payload) -> None:
        body = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def forced(self) -> bool:
        """Answer the next queued error status instead of sending, if the test queued one."""
        if not self.server.statuses:
            return False
        status = self.server.statuses.pop(0)
        self.answer(status, {"code": "forced", "message": f"forced HTTP {status}"})
        return True


class _BrevoHandler(_ProviderHandler):
    """Brevo's POST /v3/transactionalSMS/send: api-key header; sender, recipient (digits), content."""

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path != "/v3/transactionalSMS/send":
            return self.answer(404, {"code": "not_found", "message": "Not found"})
        if self.headers.get("api-key") != self.server.api_key:
            return self.answer(401, {"code": "unauthorized", "message": "Key not found"})
        body = json.loads(raw)
        self.server.requests.append(body)
        missing = [k for k in ("sender", "recipient", "content") if not body.get(k)]
        if missing:
            return self.answer(400, {"code": "missing_parameter", "message": f"{missing[0]} is missing"})
        if not str(body["recipient"]).isdigit() or body["recipient"] in self.server.fail_numbers:
            return self.answer(400, {"code": "invalid_parameter", "message": "Invalid phone number"})
        if self.forced():
            return None
        # No idempotency: every accepted request is one SMS on the phone (a repeat = same text again).
        key = f"{body['recipient']}|{body['content']}"
        self.server.counter.add(key, {"to": body["recipient"], "message": body["content"]})
        self.server.sequence += 1
        return self.answer(201, {"messageId": 1000 + self.server.sequence})


class _OVHHandler(_ProviderHandler):
    """OVHcloud's GET /1.0/auth/time and signed POST /1.0/sms/{service}/jobs."""

    def do_GET(self):
        if self.path == "/1.0/auth/time":
            return self.answer(200, str(int(time.time()) + self.server.clock_offset))
        return self.answer(404, {"message": "Not found"})

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        h = self.headers
        if h.get("X-Ovh-Application") != self.server.app_key:
            return self.answer(403, {"errorCode": "INVALID_KEY", "message": "Invalid application key"})
        if h.get("X-Ovh-Consumer") != self.server.consumer_key:
            return self.answer(403, {"errorCode": "INVALID_CREDENTIAL", "message": "Invalid credential"})
        timestamp = h.get("X-Ovh-Timestamp", "")
        now = int(time.time()) + self.server.clock_offset
        if not timestamp.isdigit() or abs(int(timestamp) - now) > 30:
            return self.answer(400, {"errorCode": "QUERY_TIME_OUT", "message": "Query out of time"})
        url = f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"
        raw_sig = "+".join([self.server.app_secret, self.server.consumer_key, "POST", url, raw, timestamp])
        if h.get("X-Ovh-Signature") != "$1$" + hashlib.sha1(raw_sig.encode()).hexdigest():  # noqa: S324
            return self.answer(400, {"errorCode": "INVALID_SIGNATURE", "message": "Invalid signature"})
        if self.path != f"/1.0/sms/{self.server.service}/jobs":
            return self.answer(404, {"message": "The requested object (serviceName) does not exist"})
        body = json.loads(raw)
        self.server.requests.append(body)
        receivers = body.get("receivers") or []
        if not body.get("message") or not receivers:
            return self.answer(400, {"message": "Missing parameter message or receivers"})
        if any(r in self.server.fail_numbers for r in receivers):
            return self.answer(400, {"message": f"Invalid receivers: {', '.join(receivers)}"})
        if self.forced():
            return None
        invalid = [r for r in receivers if r in self.server.invalid_receivers]
        if invalid:  # OVHcloud accepts the job but lists the numbers it will not send to
            payload = {"ids": [], "invalidReceivers": invalid, "validReceivers": [], "totalCreditsRemoved": 0}
            return self.answer(200, payload)
        for r in receivers:
            self.server.counter.add(f"{r}|{body['message']}", {"to": r, "message": body["message"]})
        self.server.sequence += 1
        return self.answer(
            200,
            {
                "ids": [5000 + self.server.sequence],
                "invalidReceivers": [],
                "validReceivers": receivers,
                "totalCreditsRemoved": 1,
                "tag": body.get("tag", ""),
            },
        )


class _Provider(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # workers open many connections at once (the default backlog is 5)

    def __init__(self, handler, fail_numbers=()):
        super().__init__(("127.0.0.1", 0), handler)
        self.counter = Counter()
        self.requests: list[dict] = []
        self.statuses: list[int] = []  # error statuses to answer next, in order
        self.fail_numbers = set(fail_numbers)
        self.invalid_receivers: set[str] = set()
        self.sequence = 0
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self):
        self.shutdown()
        self.server_close()


class BrevoServer(_Provider):
    """A local stand-in for Brevo's SMS API. Use with settings SMS_URL=url, SMS_BREVO_BASE_URL=base."""

    api_key = "xkeysib-test"

    def __init__(self, fail_numbers=()):
        super().__init__(_BrevoHandler, fail_numbers)

    @property
    def url(self) -> str:
        return f"brevo://{self.api_key}@/?sender=MAIRIE"


class OVHServer(_Provider):
    """A local stand-in for OVHcloud's API. Use with SMS_URL=url, SMS_OVH_BASE_URL=base + "/1.0"."""

    app_key, app_secret, consumer_key, service = "appkey", "appsecret", "consumerkey", "sms-ab12345-1"
    clock_offset = 120  # the provider's clock is ahead: the client must use /auth/time

    def __init__(self, fail_numbers=()):
        super().__init__(_OVHHandler, fail_numbers)

    @property
    def url(self) -> str:
        return (
            f"ovh://{self.app_key}:{self.app_secret}:{self.consumer_key}@ovh-eu/{self.service}?sender=MAIRIE"
        )
