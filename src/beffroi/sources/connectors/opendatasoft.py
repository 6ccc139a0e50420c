"""Any Opendatasoft portal, Explore API v2.1: records (offset pagination, ≤100 per call, ≤10 000
in all) or the exports endpoint (no limit) for large sets. ODSQL ``where``/``select`` pass through."""

from __future__ import annotations

from beffroi.sources.connectors.base import Connector, Parsed
from beffroi.sources.connectors.errors import PayloadError
from beffroi.sources.connectors.values import as_int, flatten, records_table

PAGE = 100
OFFSET_LIMIT = 10_000


class Opendatasoft(Connector):
    kind = "opendatasoft"
    title = "Opendatasoft"
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
                    f"{base}/records: still below total_count after {max_pages} pages; the portal "
                    "sends short pages (use mode=export)"
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
                    f"{total} records: over the records endpoint's {OFFSET_LIMIT} limit; use mode=export"
                )

    def parse(self, payloads):
        parsed = Parsed()
        rows: list[dict] = []
        for page in payloads:
            body = self.json_of(page)
            if self.config.get("mode") == "export":
                if not isinstance(body, list):
                    raise PayloadError(f"{page.url}: the JSON export is not a list")
                results = body
            else:
                if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                    raise PayloadError(
                        f"{page.url}: no 'results' list (error: {body.get('message') if isinstance(body, dict) else '?'})"  # noqa: E501
                    )
                results = body["results"]
            rows.extend(flatten(r) for r in results if isinstance(r, dict))
        if rows:
            parsed.table = records_table(rows)
        return parsed
