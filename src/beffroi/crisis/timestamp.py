"""RFC 3161 timestamps of main-courante chain heads (optional, ``BEFFROI_CRISIS_TSA_URL``).

A timestamp authority signs "this imprint existed at this time"; the token, kept with the anchor,
is a third copy of the head outside the database. The imprint is the SHA-256 of the anchor text
``HASH@N``. The request goes through the sources app's HTTP client (timeouts, retries, SSRF guard:
a TSA on a private address must be listed in ``BEFFROI_SOURCES_ALLOW_HOSTS``).

What is checked here: the status is granted, and the token's imprint and nonce are ours. The
TSA's signature and certificate chain are not verified here (that needs the TSA's certificate
configured); ``openssl ts -verify`` does it on the stored token.
"""

from __future__ import annotations

import hashlib
import secrets

from asn1crypto import algos, core, tsp

from beffroi.sources.connectors.http import HttpClient


class TimestampError(Exception):
    """The TSA refused, or answered something that is not a token for our imprint."""


def imprint(anchor: str) -> bytes:
    return hashlib.sha256(anchor.encode("ascii")).digest()


def build_request(digest: bytes, nonce: int) -> bytes:
    return tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": tsp.MessageImprint(
                {"hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}), "hashed_message": digest}
            ),
            "nonce": nonce,
            "cert_req": True,
        }
    ).dump()


def parse_response(body: bytes, digest: bytes, nonce: int) -> bytes:
    """The DER token of a granted response for ``digest`` and ``nonce``; TimestampError otherwise."""
    try:
        # The status first, on its own: asn1crypto's TimeStampResp insists on a token, which a
        # refusal (RFC 3161 allows it) does not carry.
        status_info = tsp.PKIStatusInfo.load(core.Sequence.load(body).contents, strict=False)
        status = status_info["status"].native
        if status not in ("granted", "granted_with_mods"):
            texts = status_info["status_string"].native or []
            raise TimestampError(f"TSA answered {status}" + (f": {'; '.join(texts)}" if texts else ""))
        token = tsp.TimeStampResp.load(body)["time_stamp_token"]
        info = token["content"]["encap_content_info"]["content"].parsed
        got = info["message_imprint"]["hashed_message"].native
        got_nonce = info["nonce"].native
    except TimestampError:
        raise
    except Exception as exc:  # asn1crypto raises several types on malformed DER
        raise TimestampError(f"not an RFC 3161 response ({type(exc).__name__}: {exc})") from exc
    if got != digest:
        raise TimestampError("the token is for another imprint")
    if got_nonce != nonce:
        raise TimestampError("the token's nonce is not ours (replayed answer?)")
    return token.dump()


def request_token(anchor: str, url: str, *, client: HttpClient | None = None) -> bytes:
    digest = imprint(anchor)
    nonce = secrets.randbits(63)
    http = client or HttpClient(timeout=15, retries=2)
    try:
        fetched = http.request(
            "POST",
            url,
            content=build_request(digest, nonce),
            headers={"Content-Type": "application/timestamp-query"},
            accept=(200,),
        )
    finally:
        if client is None:
            http.close()
    return parse_response(fetched.content, digest, nonce)
