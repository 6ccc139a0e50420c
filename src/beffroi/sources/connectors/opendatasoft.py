"""Any Opendatasoft portal, Explore API v2.1: records (offset pagination, ≤100 per call, ≤10 000
in all) or the exports endpoint (no limit) for large sets. ODSQL ``where``/``select`` pass through."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from beffroi.sources.connectors.base import Connector, Parsed
from beffroi.sources.connectors.errors import PayloadError
from beffroi.sources.connectors.values import as_int, flatten, records_table

PAGE = 100
OFFSET_LIMIT = 10_000


class Opendatasoft(Connector):
    kind = "opendatasoft"
    title = gettext_lazy("Opendatasoft")
    default_base_url = "https://public.opendatasoft.com"
    default_period = 86400
    licence = ""
    options = {
        "dataset": "dataset id on the portal",
        "where": "ODSQL filter, e.g. code_dep='92'",
        "select": "ODSQL select",
        "order_by": "ODSQL order",
        "mode": "records (default) or export",
        "licence": "licence of the dataset (shown in the catalogue)",
    }
    required = ("dataset",)

    @classmethod
    def default_title(cls, config):
        return f"Opendatasoft {config.get('dataset', '')}"

    @classmethod
    def origin_for(cls, config):
        return f"{super().origin_for(config).rstrip('/')}/explore/dataset/{config.get('dataset', '')}/"

    def _params(self):
        return {k: self.config[k] for k in ("where", "select", "order_by") if self.config.get(k)}

    def fetch(self):
        base = f"{self.base_url}/api/explore/v2.1/catalog/datasets/{self.config['dataset']}"
        if self.config.get("mode") == "export":
            return [self.get(f"{base}/exports/json", params=self._params())]
        pages: list = []
        offset = 0
        # a portal sending short pages while total_count says there are more would otherwise be
        # asked up to 10 000 times, one record at a time
        max_pages = OFFSET_LIMIT // PAGE + 1
        while True:
            if len(pages) >= max_pages:
                raise PayloadError(
                    _(
                        "%(url)s : toujours sous total_count après %(n)d pages ; le portail envoie des "
                        "pages incomplètes (utilisez mode=export)"
                    )
                    % {"url": f"{base}/records", "n": max_pages}
                )
            page = self.get(f"{base}/records", params=self._params() | {"limit": PAGE, "offset": offset})
            pages.append(page)
            body = self.json_of(page)
            total = as_int(body.get("total_count")) if isinstance(body, dict) else None
            results = body.get("results") if isinstance(body, dict) else None
            got = len(results) if isinstance(results, list) else 0  # parse says what is wrong
            offset += got
            if total is None or got == 0 or offset >= total:
                return pages
            if offset + PAGE > OFFSET_LIMIT:
                raise PayloadError(
                    _(
                        "%(total)d enregistrements : au-delà de la limite de %(limit)d du point d'accès "
                        "records ; utilisez mode=export"
                    )
                    % {"total": total, "limit": OFFSET_LIMIT}
                )

    def parse(self, payloads):
        parsed = Parsed()
        rows: list[dict] = []
        for page in payloads:
            body = self.json_of(page)
            if self.config.get("mode") == "export":
                if not isinstance(body, list):
                    raise PayloadError(_("%(url)s : l'export JSON n'est pas une liste") % {"url": page.url})
                results = body
            else:
                if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                    raise PayloadError(
                        _("%(url)s : pas de liste 'results' (erreur : %(error)s)")
                        % {"url": page.url, "error": body.get("message") if isinstance(body, dict) else "?"}
                    )
                results = body["results"]
            rows.extend(flatten(r) for r in results if isinstance(r, dict))
        if rows:
            parsed.table = records_table(rows)
        return parsed
