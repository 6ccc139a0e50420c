"""A user error says what is wrong and where (file, line, field) in the reader's language."""

from django.utils import translation

from beffroi.core.errors import Problem, UserError


def test_a_problem_says_where_in_french():
    problem = Problem("trop de champs", file="a.csv", line=3, field="nom")
    assert str(problem) == "a.csv, ligne 3, champ « nom » : trop de champs"
    assert str(Problem("valeur absente", line=2)) == "ligne 2 : valeur absente"
    assert str(Problem("sans lieu")) == "sans lieu"


def test_a_problem_says_where_in_english():
    with translation.override("en"):
        assert str(Problem("x", file="a.csv", line=3, field="nom")) == "a.csv, line 3, field 'nom': x"


def test_problems_past_the_limit_are_counted_not_listed():
    problems = [Problem("mauvais", line=n) for n in range(2, 2 + UserError.MAX_SHOWN + 3)]
    text = str(UserError("a.csv : 23 lignes mal formées.", problems))
    assert text.splitlines()[0] == "a.csv : 23 lignes mal formées."
    assert "  - ligne 2 : mauvais" in text and "ligne 22 :" not in text
    assert text.endswith("  … et 3 autres problèmes")
    one_more = str(UserError("x", problems[: UserError.MAX_SHOWN], total=UserError.MAX_SHOWN + 1))
    assert one_more.endswith("  … et 1 autre problème")
    with translation.override("en"):
        assert str(UserError("x", problems)).endswith("  … and 3 more problems")
