"""The API's body parser: JSON that the databases can store, or a 400.

JSON allows escapes such as ``"\\udb31"`` (a lone UTF-16 surrogate, not a character) and ``"\\u0000"``:
Python decodes them into strings that cannot be encoded to UTF-8 for a response, and PostgreSQL
refuses a NUL byte in a text column. Both were stored and then broke a later listing with a 500;
they are refused here, where ninja turns the error into its "cannot parse request body" 400.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.parser import Parser


def _check(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("NUL character in a string")
        value.encode("utf-8")  # raises UnicodeEncodeError (a ValueError) on a lone surrogate
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key)
            _check(item)
    elif isinstance(value, list):
        for item in value:
            _check(item)


class StoredTextParser(Parser):
    def parse_body(self, request) -> Any:
        data = json.loads(request.body)
        _check(data)
        return data

    def parse_querydict(self, data, list_fields, request) -> Any:
        result = super().parse_querydict(data, list_fields, request)
        try:
            _check(result)
        except ValueError:
            raise HttpError(400, _("Paramètre de requête refusé : caractère nul.")) from None
        return result
