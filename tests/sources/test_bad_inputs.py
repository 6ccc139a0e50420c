"""Every file of the bad-input corpus gets its own clear French error, located (file, line, field or
feature), and leaves the catalogue unchanged."""

import json
from pathlib import Path

import pytest

from beffroi.core.actors import SystemActor
from beffroi.core.errors import UserError
from beffroi.sources.imports import import_file
from beffroi.sources.models import Dataset

BAD = Path(__file__).parent.parent / "fixtures" / "bad"
EXPECTED = json.loads((BAD / "expected.json").read_text())


def test_the_corpus_is_large_enough():
    assert len(EXPECTED) >= 60


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_input_is_refused_with_its_reason_and_nothing_is_kept(name, settings, datasets_dir):
    case = EXPECTED[name]
    for key, value in case.get("env", {}).items():
        setattr(settings, key.removeprefix("BEFFROI_"), int(value))  # e.g. IMPORT_MAX_LINE_KB
    schema = BAD / case["schema"] if "schema" in case else None
    with pytest.raises(UserError) as err:
        import_file(BAD / name, "bad", schema_path=schema, actor=SystemActor("cli"))
    text = str(err.value)
    assert case["expect"] in text, text
    # where: the problem names the file, then its line and field (or the feature) when there is one
    assert f"  - {case.get('at', name)} : " in text, text
    assert "Traceback" not in text
    assert not Dataset.objects.exists()
    leftovers = [p for p in datasets_dir.rglob("*") if p.is_file() and "raw" not in p.parts]
    assert leftovers == []
