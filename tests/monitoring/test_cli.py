"""beffroi monitoring ingest|list|check-stale|publish-pages."""

from __future__ import annotations

import json

from beffroi.cli import main
from beffroi.monitoring.models import Observation

from .conftest import points


def test_ingest_file_and_list(marne, tmp_path, capsys):
    batch = points(marne.series, [1.0, 2.7])
    for p in batch:
        p["at"] = p["at"].isoformat()
    good = tmp_path / "points.json"
    good.write_text(json.dumps({"points": batch}))
    assert main(["monitoring", "ingest", str(good), "--source", "capteur"]) == 0
    assert Observation.objects.count() == 2
    assert main(["monitoring", "list"]) == 0
    assert "marne-gournay" in capsys.readouterr().out
    assert main(["monitoring", "check-stale"]) == 0
    assert main(["monitoring", "publish-pages"]) == 0


def test_bad_file_is_a_user_error(marne, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"points": [\n{"series": "hubeau:F664000104:H", "at": "hier", "value": 1, "unit": "m"}]}')
    assert main(["monitoring", "ingest", str(bad)]) == 2
    assert "points[0].at" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text("{\n oops")
    assert main(["monitoring", "ingest", str(broken)]) == 2
    assert main(["monitoring", "ingest", str(tmp_path / "missing.json")]) == 2
    assert Observation.objects.count() == 0
