"""Vigicrues JSON-LD (services/1): flood vigilance level per territory and per river section.

``InfoVigiCru.jsonld?CdEntVigiCru=<code>&TypEntVigiCru=<5 territory|8 section>``. Levels arrive as
strings ("2"); 1 vert, 2 jaune, 3 orange, 4 rouge. A territory answer lists its sections in
``vic:estLaSyntheseDe``; a section answer may omit ``vic:porteSurLEntite`` (the requested code is used).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from beffroi.core.errors import Problem, UserError
from beffroi.sources.connectors.base import Connector, Parsed
from beffroi.sources.connectors.errors import PayloadError, RowProblem
from beffroi.sources.connectors.values import (
    as_code,
    as_datetime,
    as_float,
    as_int,
    as_text,
    expected,
    geometry_of,
    obj,
    objects,
    type_name,
)

COLOURS = {1: "vert", 2: "jaune", 3: "orange", 4: "rouge"}


class Vigicrues(Connector):
    kind = "vigicrues"
    title = gettext_lazy("Vigicrues — vigilance crues")
    default_base_url = "https://www.vigicrues.gouv.fr/services/1"
    default_period = 900
    live = True
    licence = "Licence Ouverte / Etalab 2.0 — © VIGICRUES"
    options = {
        "territories": "territory (SPC) codes, comma-separated (TypEntVigiCru=5), e.g. 7",
        "sections": "river section codes, comma-separated (TypEntVigiCru=8), e.g. IF5,IF17",
        "departments": "national synthesis by département (TypEntVigiCru=4): codes to keep (92,94) or all",
    }

    @classmethod
    def validate_config(cls, config):
        clean = super().validate_config(config)
        if not clean.get("territories") and not clean.get("sections") and not clean.get("departments"):
            raise UserError(
                _("Une source vigicrues demande des territoires, des tronçons ou des départements."),
                [Problem(_("option obligatoire"), field="sections")],
            )
        return clean

    def fetch(self):
        pages = []
        for typ, option in (("5", "territories"), ("8", "sections")):
            for code in self.list_option(option):
                pages.append(
                    self.get(
                        f"{self.base_url}/InfoVigiCru.jsonld",
                        params={"CdEntVigiCru": code, "TypEntVigiCru": typ},
                    )
                )
        if self.list_option("departments"):
            # one national answer (A00) lists every département with flood vigilance
            pages.append(self.get(f"{self.base_url}/InfoVigiCru.jsonld", params={"TypEntVigiCru": "4"}))
        return pages

    def parse(self, payloads):
        parsed = Parsed()
        records = []
        departments = {d.zfill(2) if d.isdigit() else d for d in self.list_option("departments")}
        for page in payloads:
            body = self.json_of(page)
            info = body.get("vic:InfoVigiCru") if isinstance(body, dict) else None
            if not isinstance(info, dict):
                raise PayloadError(_("%(url)s : pas de vic:InfoVigiCru dans la réponse") % {"url": page.url})
            requested = _param(page.url, "CdEntVigiCru")
            at = as_datetime(info.get("vic:DtHrInfoVigiCru"))
            entity = obj(info.get("vic:porteSurLEntite"))
            entries: list[tuple[str | None, str | None, object, str]] = [
                (
                    as_code(entity.get("vic:CdEntVigiCru")) or requested,
                    as_code(entity.get("vic:TypEntVigiCru")) or _param(page.url, "TypEntVigiCru"),
                    info.get("vic:NivInfoVigiCru"),
                    as_text(entity.get("vic:LbEntVigiCru")),
                )
            ]
            for sub in objects(info.get("vic:estLaSyntheseDe"), f"{page.url} vic:estLaSyntheseDe", parsed):
                ent = obj(sub.get("vic:porteSurLEntite"))
                entries.append(
                    (
                        as_code(ent.get("vic:CdEntVigiCru")),
                        as_code(ent.get("vic:TypEntVigiCru")),
                        sub.get("vic:NivInfoVigiCru"),
                        as_text(ent.get("vic:LbEntVigiCru")),
                    )
                )
            if at is None:
                parsed.problems.append(
                    RowProblem(
                        page.url,
                        _("aucune date valide (%(value)r)") % {"value": info.get("vic:DtHrInfoVigiCru")},
                    )
                )
                continue
            if _param(page.url, "TypEntVigiCru") == "4":
                entries = _by_department(entries, departments, parsed)
            for code, typ, level_text, label in entries:
                level = as_int(level_text)
                if level is None:
                    parsed.problems.append(
                        RowProblem(
                            f"{page.url} {code}",
                            _("le niveau %(level)r n'est pas un nombre") % {"level": level_text},
                        )
                    )
                    continue
                if level not in COLOURS or not code:
                    parsed.problems.append(
                        RowProblem(f"{page.url} {code}", _("niveau %(level)s hors de 1-4") % {"level": level})
                    )
                    continue
                parsed.points.append(
                    {
                        "series": f"vigicrues:{code}:level",
                        "at": at,
                        "value": float(level),
                        "unit": "niveau",
                        "kind": "observation",
                    }
                )
                records.append(
                    {
                        "code": code,
                        "type": str(typ or ""),
                        "label": label,
                        "level": level,
                        "colour": COLOURS[level],
                        "at": at,
                        "reference": as_text(info.get("vic:RefInfoVigiCru")),
                        "situation": as_text(info.get("vic:SituActuInfoVigiCru"))
                        if code == entries[0][0]
                        else "",
                    }
                )
        if records:
            from beffroi.sources.connectors.values import records_table

            parsed.table = records_table(records)
        return parsed


def _by_department(entries, wanted: set[str], parsed: Parsed):
    """The national synthesis: the national level (A00) and the wanted départements, coded
    ``dep-<code>`` (territory and département codes overlap: territory 25, département 25)."""
    kept = [e for e in entries if e[0] == "A00"]
    listed = set()
    for code, typ, level, label in entries:
        if str(typ) != "4" or not code:
            continue
        listed.add(code)
        if "all" in wanted or code in wanted:
            kept.append((f"dep-{code}", typ, level, label or code))
    for code in sorted(wanted - listed - {"all"}):
        parsed.notes.append(
            _("le département %(code)s n'est pas dans la synthèse nationale (pas de vigilance crues)")
            % {"code": code}
        )
    return kept


def _param(url: str, name: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    return (parse_qs(urlsplit(url).query).get(name) or [""])[0]


class VigicruesSections(Connector):
    """The GeoJSON of river sections with their vigilance level (``InfoVigiCru.geojson``): a map
    layer. Quirk: ``NivInfViCr`` arrives as a number or as a string ("3")."""

    kind = "vigicrues-sections"
    title = gettext_lazy("Vigicrues — tronçons et niveaux de vigilance (carte)")
    default_base_url = "https://www.vigicrues.gouv.fr/services"
    default_period = 1800
    live = True
    licence = "Licence Ouverte / Etalab 2.0 — © VIGICRUES"
    options = {"sections": "keep only these section codes (comma-separated); all by default"}

    def fetch(self):
        return [self.get(f"{self.base_url}/InfoVigiCru.geojson")]

    def parse(self, payloads):
        import pyarrow as pa
        import shapely

        from beffroi.sources.connectors.values import records_table

        parsed = Parsed()
        body = self.json_of(payloads[0])
        features = body.get("features") if isinstance(body, dict) else None
        if not isinstance(features, list):
            raise PayloadError(
                _("%(url)s : aucune entité GeoJSON dans la réponse") % {"url": payloads[0].url}
            )
        at = as_datetime(body.get("DtHrInfoVigiCru"))
        wanted = set(self.list_option("sections"))
        records, geometries = [], []
        for n, feature in enumerate(features, start=1):
            if not isinstance(feature, dict):
                parsed.problems.append(
                    RowProblem(_("entité %(n)d") % {"n": n}, expected(_("un objet"), feature))
                )
                continue
            p = obj(feature.get("properties"))
            code = as_code(p.get("CdEntCru")) or ""
            if wanted and code not in wanted:
                continue
            level = as_int(p.get("NivInfViCr"))
            geom = geometry_of(feature.get("geometry"))
            if level is None or geom is None:
                parsed.problems.append(
                    RowProblem(
                        _("entité %(n)d %(code)s") % {"n": n, "code": code},
                        _("niveau (%(level)r) ou géométrie illisible") % {"level": p.get("NivInfViCr")},
                    )
                )
                continue
            if level not in COLOURS or not code:
                parsed.problems.append(
                    RowProblem(
                        _("entité %(n)d %(code)s") % {"n": n, "code": code},
                        _("niveau %(level)s hors de 1-4") % {"level": level},
                    )
                )
                continue
            records.append(
                {
                    "code": code,
                    "label": as_text(p.get("lbentcru")),
                    "territory": as_text(p.get("cdensup_1")),
                    "level": level,
                    "colour": COLOURS[level],
                }
            )
            geometries.append(shapely.to_wkb(geom))
            if at is not None:
                parsed.points.append(
                    {
                        "series": f"vigicrues:{code}:level",
                        "at": at,
                        "value": float(level),
                        "unit": "niveau",
                        "kind": "observation",
                    }
                )
        if records:
            parsed.table = records_table(records).append_column("geometry", pa.array(geometries, pa.binary()))
            parsed.geometry_column = "geometry"
        return parsed


# --- Observations and forecasts per station ---------------------------------------------------

HYDRO_UNITS = {"H": "m", "Q": "m3/s"}  # Vigicrues publishes metres and m³/s (Hub'Eau: mm and l/s)


class VigicruesHydro(Connector):
    """Heights (H) and flows (Q) observed at a station, and the forecast Vigicrues publishes for it.

    ``observations.json?CdStationHydro=<code>&GrdSerie=H|Q&FormatDate=iso`` answers
    ``{"Serie": {"CdStationHydro", "GrdSerie", "ObssHydro": [...]}}`` where each observation is
    ``[date, value]`` or ``{"DtObsHydro", "ResObsHydro"}``; ``previsions.json?…&GrdSimul=H|Q`` answers
    ``{"Simul": {"GrdSimul", "DtProdSimul", "Prevs": [{"DtPrev", "ResMinPrev", "ResMoyPrev",
    "ResMaxPrev"}]}}`` (the v1.1 route names the station ``CdEntVigiCru``). Quirks: an HTTP 200 body
    may be an error list ``[{"error_msg": …}]`` (a station without forecast, say: a note, not a
    failure); dates come as ISO text or epoch milliseconds; low or high may be null (the median is
    kept alone).
    """

    kind = "vigicrues-hydro"
    title = gettext_lazy("Vigicrues — hauteurs, débits et prévisions par station")
    default_base_url = "https://www.vigicrues.gouv.fr/services"
    default_period = 900
    live = True
    licence = "Licence Ouverte / Etalab 2.0 — © VIGICRUES"
    options = {
        "stations": "station codes (Sandre, as Hub'Eau), comma-separated, e.g. F664000104",
        "grandeurs": "H, Q or H,Q (default H)",
        "forecasts": "true (default) to read the published forecasts too",
    }
    required = ("stations",)

    @classmethod
    def default_title(cls, config):
        return f"Vigicrues {config.get('stations', '')}"

    @classmethod
    def validate_config(cls, config):
        clean = super().validate_config(config)
        bad = [g for g in _split(clean.get("grandeurs", "H")) if g not in HYDRO_UNITS]
        if bad:
            raise UserError(
                _("Grandeur inconnue %(grandeur)r : H (hauteurs) ou Q (débits).") % {"grandeur": bad[0]},
                [Problem(_("H ou Q"), field="grandeurs")],
            )
        return clean

    def fetch(self):
        pages = []
        grandeurs = self.list_option("grandeurs") or ["H"]
        forecasts = str(self.config.get("forecasts", "true")).lower() != "false"
        for code in self.list_option("stations"):
            for grandeur in grandeurs:
                pages.append(
                    self.get(
                        f"{self.base_url}/observations.json",
                        params={"CdStationHydro": code, "GrdSerie": grandeur, "FormatDate": "iso"},
                    )
                )
                if forecasts:
                    pages.append(
                        self.get(
                            f"{self.base_url}/previsions.json",
                            params={"CdStationHydro": code, "GrdSimul": grandeur, "FormatDate": "iso"},
                        )
                    )
        return pages

    def parse(self, payloads):
        parsed = Parsed()
        seen: set[tuple[str, str, object]] = set()
        for page in payloads:
            body = self.json_of(page)
            if _error_list(body) is not None:
                message = _error_list(body)
                if "prevision" in page.url:  # previsions.json or v1.1 prevision.json
                    parsed.notes.append(
                        _("%(station)s : pas de prévision (%(message)s)")
                        % {"station": _param(page.url, "CdStationHydro"), "message": message}
                    )
                else:
                    parsed.problems.append(
                        RowProblem(
                            page.url,
                            _("le service a répondu par une erreur : %(message)s") % {"message": message},
                        )
                    )
                continue
            if not isinstance(body, dict):
                raise PayloadError(
                    _("%(url)s : objet JSON attendu, reçu %(got)s")
                    % {"url": page.url, "got": type_name(body)}
                )
            if "Simul" in body:
                self._forecast(page.url, body["Simul"], parsed, seen)
            elif "Serie" in body:
                self._observations(page.url, body["Serie"], parsed, seen)
            else:
                raise PayloadError(_("%(url)s : ni 'Serie' ni 'Simul' dans la réponse") % {"url": page.url})
        parsed.points.sort(key=lambda p: (p["series"], p["kind"], p["at"]))
        return parsed

    def _station(self, url: str, block: dict) -> str | None:
        return (
            as_code(block.get("CdStationHydro"))
            or as_code(block.get("CdEntVigiCru"))
            or as_code(_param(url, "CdStationHydro"))
            or as_code(_param(url, "CdEntVigiCru"))
        )

    def _grandeur(self, url: str, value, param: str) -> str | None:
        grandeur = as_code(value) or as_code(_param(url, param))
        return grandeur if grandeur in HYDRO_UNITS else None

    def _observations(self, url: str, serie, parsed: Parsed, seen: set) -> None:
        if not isinstance(serie, dict):
            raise PayloadError(_should_be(url, "Serie", _("un objet"), serie))
        code = self._station(url, serie)
        grandeur = self._grandeur(url, serie.get("GrdSerie"), "GrdSerie")
        if not code or grandeur is None:
            raise PayloadError(
                _("%(url)s : pas de code de station ou de grandeur (H/Q) dans '%(key)s'")
                % {"url": url, "key": "Serie"}
            )
        rows = serie.get("ObssHydro")
        if rows is None:
            rows = []
        if not isinstance(rows, list):
            raise PayloadError(_should_be(url, "ObssHydro", _("une liste"), rows))
        series = f"vigicrues:{code}:{grandeur}"
        for n, row in enumerate(rows, start=1):
            if isinstance(row, list) and len(row) >= 2:
                raw_at, raw_value = row[0], row[1]
            elif isinstance(row, dict):
                raw_at, raw_value = row.get("DtObsHydro"), row.get("ResObsHydro")
            else:
                parsed.problems.append(
                    RowProblem(
                        f"{series} {n}", _("observation illisible (%(got)s)") % {"got": type_name(row)}
                    )
                )
                continue
            at, value = as_datetime(raw_at), as_float(raw_value)
            if at is None or value is None:
                parsed.problems.append(
                    RowProblem(
                        f"{series} {n}",
                        _("date ou valeur manquante (%(at)r, %(value)r)")
                        % {"at": raw_at, "value": raw_value},
                    )
                )
                continue
            if (series, "observation", at) in seen:
                continue
            seen.add((series, "observation", at))
            parsed.points.append(
                {
                    "series": series,
                    "at": at,
                    "value": value,
                    "unit": HYDRO_UNITS[grandeur],
                    "kind": "observation",
                }
            )

    def _forecast(self, url: str, simul, parsed: Parsed, seen: set) -> None:
        if not isinstance(simul, dict):
            raise PayloadError(_should_be(url, "Simul", _("un objet"), simul))
        code = self._station(url, simul)
        grandeur = self._grandeur(url, simul.get("GrdSimul"), "GrdSimul")
        if not code or grandeur is None:
            raise PayloadError(
                _("%(url)s : pas de code de station ou de grandeur (H/Q) dans '%(key)s'")
                % {"url": url, "key": "Simul"}
            )
        series = f"vigicrues:{code}:{grandeur}"
        issued = as_datetime(simul.get("DtProdSimul"))
        prevs = simul.get("Prevs")
        if prevs is None or prevs == []:
            parsed.notes.append(_("%(series)s : aucune prévision publiée") % {"series": series})
            return
        if not isinstance(prevs, list):
            raise PayloadError(_should_be(url, "Prevs", _("une liste"), prevs))
        if issued is None:
            # Without its issue time a forecast cannot replace the previous one safely: say so.
            parsed.problems.append(
                RowProblem(
                    series,
                    _("prévision sans DtProdSimul valide (%(value)r)") % {"value": simul.get("DtProdSimul")},
                )
            )
        for n, prev in enumerate(prevs, start=1):
            if not isinstance(prev, dict):
                parsed.problems.append(RowProblem(_forecast_where(series, n), expected(_("un objet"), prev)))
                continue
            at = as_datetime(prev.get("DtPrev"))
            median = as_float(prev.get("ResMoyPrev"))
            low, high = as_float(prev.get("ResMinPrev")), as_float(prev.get("ResMaxPrev"))
            if at is None or median is None:
                parsed.problems.append(
                    RowProblem(
                        _forecast_where(series, n),
                        _("date ou médiane manquante (%(value)r)") % {"value": prev.get("DtPrev")},
                    )
                )
                continue
            if (low is not None and low > median) or (high is not None and high < median):
                parsed.problems.append(
                    RowProblem(
                        _forecast_where(series, n),
                        _("basse %(low)s / médiane %(median)s / haute %(high)s dans le désordre")
                        % {"low": low, "median": median, "high": high},
                    )
                )
                continue
            if (series, "forecast", at) in seen:
                continue
            seen.add((series, "forecast", at))
            point = {
                "series": series,
                "at": at,
                "value": median,
                "unit": HYDRO_UNITS[grandeur],
                "kind": "forecast",
            }
            if low is not None:
                point["low"] = low
            if high is not None:
                point["high"] = high
            if issued is not None:
                point["issued_at"] = issued
            parsed.points.append(point)


def _should_be(url: str, key: str, what: str, value) -> str:
    return _("%(url)s : '%(key)s' devrait être %(kind)s, reçu %(got)s") % {
        "url": url,
        "key": key,
        "kind": what,
        "got": type_name(value),
    }


def _forecast_where(series: str, n: int) -> str:
    return _("%(series)s prévision %(n)d") % {"series": series, "n": n}


def _split(value) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def _error_list(body) -> str | None:
    """The message of a Vigicrues error body (``[{"error_msg": "…"}]``, sent with HTTP 200), if it is one."""
    if isinstance(body, list) and body and isinstance(body[0], dict) and "error_msg" in body[0]:
        return as_text(body[0].get("error_msg")) or _("erreur")
    return None


# --- Catalogues: territories → sections → stations ---------------------------------------------


def _member(item: dict, name: str):
    """``vic:<name>``, or ``vic.<name>`` as some territory answers spell the members of their list."""
    value = item.get(f"vic:{name}")
    return item.get(f"vic.{name}") if value is None else value


def _entity_block(body, key: str) -> list[dict]:
    """The entities a catalogue answer lists under ``vic:<key>`` (one object or a list), others dropped."""
    if not isinstance(body, dict):
        return []
    value = body.get(f"vic:{key}")
    if isinstance(value, dict):
        value = [value]
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _children(entity: dict, typ: str) -> list[tuple[str, str]]:
    """(code, label) of an entity's ``vic:aNMoinsUn`` members of type ``typ`` (5/8/7)."""
    value = entity.get("vic:aNMoinsUn")
    if isinstance(value, dict):
        value = [value]
    out = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict):
            continue
        code = as_code(_member(item, "CdEntVigiCru"))
        if code and as_code(_member(item, "TypEntVigiCru")) in (typ, None):
            out.append((code, as_text(_member(item, "LbEntVigiCru"))))
    return out


class VigicruesCatalogue(Connector):
    """The territory → section → station catalogue (JSON-LD services/1), refreshed daily: a layer of
    stations with their commune (INSEE), vigilance section and territory, for the station picker.

    ``TerEntVigiCru.jsonld?CdEntVigiCru=<t>&TypEntVigiCru=5`` lists a territory's sections,
    ``TronEntVigiCru.jsonld?…&TypEntVigiCru=8`` a section's stations and
    ``StaEntVigiCru.jsonld?…&TypEntVigiCru=7`` one station with ``hyd:estSitueeSur`` (its commune) and
    its Lambert-93 coordinates. Quirks: members of a territory's list may be spelt ``vic.CdEntVigiCru``;
    empty codes (``ARenseigner``) are left out; a station without coordinates is kept without geometry.
    """

    kind = "vigicrues-catalogue"
    title = gettext_lazy("Vigicrues — catalogue des territoires, tronçons et stations")
    default_base_url = "https://www.vigicrues.gouv.fr/services/1"
    default_period = 86400
    licence = "Licence Ouverte / Etalab 2.0 — © VIGICRUES"
    options = {
        "territories": "territory (SPC) codes, comma-separated, e.g. 7 (Seine moyenne-Yonne-Loing)",
        "max_stations": "safety stop (default 400 stations)",
    }
    required = ("territories",)

    @classmethod
    def default_title(cls, config):
        return f"Catalogue Vigicrues (territoires {config.get('territories', '')})"

    def _get(self, name: str, code: str, typ: str):
        return self.get(f"{self.base_url}/{name}.jsonld", params={"CdEntVigiCru": code, "TypEntVigiCru": typ})

    def fetch(self):
        limit = int(self.config.get("max_stations", 400))
        pages, sections, stations = [], [], []
        for territory in self.list_option("territories"):
            page = self._get("TerEntVigiCru", territory, "5")
            pages.append(page)
            for entity in _entity_block(self.json_of(page), "TerEntVigiCru"):
                sections += [c for c, _label in _children(entity, "8") if c not in sections]
        for section in sections:
            page = self._get("TronEntVigiCru", section, "8")
            pages.append(page)
            for entity in _entity_block(self.json_of(page), "TronEntVigiCru"):
                stations += [c for c, _label in _children(entity, "7") if c not in stations]
        if len(stations) > limit:
            raise PayloadError(
                _("%(n)d stations (plus que max_stations=%(limit)d) : nommez moins de territoires")
                % {"n": len(stations), "limit": limit}
            )
        for station in stations:
            pages.append(self._get("StaEntVigiCru", station, "7"))
        return pages

    def parse(self, payloads):
        import pyarrow as pa
        import shapely

        from beffroi.sources.connectors.values import records_table

        parsed = Parsed()
        territories: dict[str, str] = {}
        section_of: dict[str, tuple[str, str]] = {}  # station -> (section, label)
        territory_of: dict[str, str] = {}  # section -> territory
        section_labels: dict[str, str] = {}
        stations: list[dict] = []
        for page in payloads:
            body = self.json_of(page)
            if not isinstance(body, dict):
                raise PayloadError(
                    _("%(url)s : objet JSON-LD attendu, reçu %(got)s")
                    % {"url": page.url, "got": type_name(body)}
                )
            if "TerEntVigiCru" in page.url:
                for t in _entity_block(body, "TerEntVigiCru"):
                    code = as_code(t.get("vic:CdEntVigiCru"))
                    if code:
                        territories[code] = as_text(t.get("vic:LbEntVigiCru"))
                        for s, label in _children(t, "8"):
                            territory_of[s] = code
                            section_labels.setdefault(s, label)
            elif "TronEntVigiCru" in page.url:
                for sec in _entity_block(body, "TronEntVigiCru"):
                    code = as_code(sec.get("vic:CdEntVigiCru"))
                    if not code:
                        continue
                    if as_text(sec.get("vic:LbEntVigiCru")):
                        section_labels[code] = as_text(sec.get("vic:LbEntVigiCru"))
                    parent = obj(sec.get("vic:aNPlusUn"))
                    if as_code(parent.get("vic:CdEntVigiCru")):
                        territory_of.setdefault(code, as_code(parent.get("vic:CdEntVigiCru")) or "")
                    for station, _label in _children(sec, "7"):
                        section_of.setdefault(station, (code, section_labels.get(code, "")))
            elif "StaEntVigiCru" in page.url:
                found = _entity_block(body, "StaEntVigiCru")
                if not found:
                    parsed.problems.append(
                        RowProblem(page.url, _("pas de vic:StaEntVigiCru dans la réponse"))
                    )
                stations += found
            else:
                raise PayloadError(
                    _("%(url)s : ce n'est pas une réponse du catalogue Vigicrues") % {"url": page.url}
                )
        records, geometries = [], []
        transform = None
        for n, st in enumerate(stations, start=1):
            code = as_code(st.get("vic:CdEntVigiCru"))
            if not code:
                parsed.problems.append(RowProblem(_("station %(n)d") % {"n": n}, _("pas de code")))
                continue
            hydro = obj(st.get("vic:correspondA"))
            commune = as_code(obj(hydro.get("hyd:estSitueeSur")).get("com:CdCommune")) or ""
            parent = obj(st.get("vic:aNPlusUn"))
            section = as_code(parent.get("vic:CdEntVigiCru")) or section_of.get(code, ("", ""))[0]
            territory = territory_of.get(section) or as_code(
                obj(parent.get("vic:aNPlusUn")).get("vic:CdEntVigiCru")
            )
            x, y = (
                as_float(hydro.get("hyd:CoordXStationHydro")),
                as_float(hydro.get("hyd:CoordYStationHydro")),
            )
            geometry = None
            if x is not None and y is not None and 0 < x < 1.3e6 and 6e6 < y < 7.2e6:
                if transform is None:
                    from pyproj import Transformer

                    # Vigicrues gives metropolitan stations in Lambert-93 (EPSG:2154)
                    transform = Transformer.from_crs(2154, 4326, always_xy=True)
                lon, lat = transform.transform(x, y)
                geometry = shapely.to_wkb(shapely.Point(round(lon, 6), round(lat, 6)))
            records.append(
                {
                    "code": code,
                    "label": as_text(st.get("vic:LbEntVigiCru")) or as_text(hydro.get("hyd:LbStationHydro")),
                    "commune": commune,
                    "section": section or "",
                    "section_label": section_labels.get(section or "", "")
                    or section_of.get(code, ("", ""))[1],
                    "territory": territory or "",
                    "territory_label": territories.get(territory or "", ""),
                    "forecast": as_text(obj(st.get("VigilanceCrues")).get("StationPrevision"))
                    in ("t", "true", "1"),
                    "status": as_text(st.get("vic:StEntVigiCru")),
                }
            )
            geometries.append(geometry)
        if not records:
            raise PayloadError(_("le catalogue ne liste aucune station : vérifiez les codes de territoire"))
        parsed.table = records_table(records).append_column("geometry", pa.array(geometries, pa.binary()))
        parsed.geometry_column = "geometry"
        return parsed
