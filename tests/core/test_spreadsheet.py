"""Exports never carry a formula a spreadsheet would run (CSV injection)."""

from __future__ import annotations

import csv
import io

import pytest

from beffroi.core.spreadsheet import neutralise_cell, neutralise_row
from beffroi.sources.exports import to_csv


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("http://127.0.0.1/x","clic")', "=1+1", "+33 1", "-2+3", "@SUM(A1)", "\tx", "\rx"],
)
def test_formula_cells_get_a_leading_quote(value):
    assert neutralise_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Dupont", "", "1+1", 3, -2.5, None, "a=b"])
def test_other_cells_are_left_alone(value):
    assert neutralise_cell(value) == value


def test_dataset_exports_use_the_shared_rule():
    text = to_csv(["=1+1"], [['=HYPERLINK("http://127.0.0.1/")', 4]])
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows == [["'=1+1"], ['\'=HYPERLINK("http://127.0.0.1/")', "4"]]
    assert neutralise_row(["=1+1", 2]) == ["'=1+1", 2]
