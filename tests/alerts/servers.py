"""Local test servers on 127.0.0.1: a minimal SMTP server and an HTTP SMS gateway, counting receipts.

The SMS gateway honours ``Idempotency-Key`` like real gateways do: a replayed key is acknowledged but
not sent to the phone again. The SMTP server stores every message and its Message-ID, like a mailbox.
"""

from __future__ import annotations

import collections
import email
import json
import socketserver
import threading
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.raw = collections.Counter()  # key -> receipts
        self.messages: dict[str, dict] = {}

    def add(self, key: str, message: dict) -> bool:
        with self.lock:
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


class _SMSHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        key = self.headers.get("Idempotency-Key") or body.get("idempotencyKey")
        fail = self.server.fail_numbers
        if body["receivers"][0] in fail:
            self.send_response(400)
            self.end_headers()
            self.wfile.write(b'{"message": "invalid receiver"}')
            return
        self.server.counter.add(key, {"to": body["receivers"][0], "message": body["message"]})
        payload = json.dumps({"ids": [key]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class SMSGateway(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fail_numbers=()):
        super().__init__(("127.0.0.1", 0), _SMSHandler)
        self.counter = Counter()
        self.fail_numbers = set(fail_numbers)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sms"

    def stop(self):
        self.shutdown()
        self.server_close()
