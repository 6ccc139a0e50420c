"""Render a document template to PDF with WeasyPrint (A4, black and white)."""

from __future__ import annotations

import logging

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string


def render_pdf(template: str, context: dict, request=None) -> bytes:
    # WeasyPrint logs each step at INFO (some at import, when it parses its default stylesheets).
    for name in ("weasyprint", "weasyprint.progress", "fontTools"):
        logging.getLogger(name).setLevel(logging.WARNING)
    from weasyprint import CSS, HTML

    html = render_to_string(template, {**context, "pdf": True}, request=request)
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=finders.find("reports/print.css"))])
