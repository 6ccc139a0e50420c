"""Typed connector errors: the whole source failed (network, HTTP, key, payload) vs one row/value."""

from __future__ import annotations

from dataclasses import dataclass


class SourceError(Exception):
    """The run failed as a whole; the message is shown in the catalogue as the last error."""


class NoNetwork(SourceError):
    pass


class BlockedURL(SourceError):
    pass


class FetchError(SourceError):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class MissingKey(SourceError):
    pass


class PayloadError(SourceError):
    """The payload is not what the source documents (malformed JSON, missing envelope...)."""


@dataclass
class RowProblem:
    """One record skipped (or one value set aside) while the rest of the payload was kept."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where} : {self.message}"
