"""Render a document template to PDF with WeasyPrint (A4, black and white)."""

from __future__ import annotations

import logging

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string


def render_pdf(template: str, context: dict, request=None) -> bytes:
    from weasyprint import CSS, HTML

    for name in ("weasyprint", "weasyprint.progress", "fontTools"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("weasyprint.progress").disabled = True

    html = render_to_string(template, {**context, "pdf": True}, request=request)
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=finders.find("reports/print.css"))])
