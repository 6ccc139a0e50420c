"""The project's scripts carry no interface text of their own: every sentence a script shows comes
translated from the page (a JSON block from the view or ``data-*`` attributes from the template), so
the English interface is not left with French pieces (and the other way round)."""

import re
from pathlib import Path

import beffroi

ROOT = Path(beffroi.__file__).parent
STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'')
# Text for people: two words and a capital or an accented letter (« Réseaux sociaux », "Error while").
HUMAN = re.compile(r"(?=.*[A-ZÀ-ÖØ-Þà-öø-ÿ])[A-Za-zÀ-ÿ]{2,}\s+[A-Za-zÀ-ÿ]{2,}")
CODE = re.compile(r"[#\[\]=>{}()]|^use strict$|^[a-z-]+( [a-z-]+)*$")


def scripts() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.js") if "vendor" not in p.parts)


def test_there_are_scripts_to_check():
    assert len(scripts()) >= 10


def test_no_script_holds_interface_text():
    found = []
    for path in scripts():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith("//"):
                continue
            for match in STRING.finditer(line):
                text = match.group(1) or match.group(2) or ""
                if HUMAN.search(text) and not CODE.search(text):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {text!r}")
    assert found == []
