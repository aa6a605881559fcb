"""Report presentation: whole tables, APA-formatted numbers, quiet notebooks."""

from __future__ import annotations

import io
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import sqlib  # noqa: E402
from sqlib import models, tables  # noqa: E402
from sqlib.report.presentation import column_kind, format_number, format_p, format_table, setup_notebook  # noqa: E402

LONG_MESSAGE = ("The standardized path from responsiveness to satisfaction is 1.39, beyond |1|: the predictors "
                "are so strongly correlated that their separate effects cannot be told apart. Report the "
                "second-order model, merge the collinear dimensions, or drop one of them; the end of this "
                "sentence must still be shown in full.")


@pytest.fixture(scope="module")
def cfa():
    return sqlib.fit(models.cfa_syntax(), sqlib.load_sample())


def cell_texts(html: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.S)


# -------------------------------------------------------------- numbers
@pytest.mark.parametrize("p, text", [(9.182e-99, "p < .001"), (0.0342, "p = .034"), (0.05, "p = .050"),
                                     (0.00099, "p < .001"), (0.001, "p = .001"), (0.99995, "p > .999"),
                                     (float("nan"), "p not available")])
def test_format_p_writes_apa_style(p, text):
    assert format_p(p) == text


@pytest.mark.parametrize("x, kind, text", [
    (0.95123, "fit", ".951"), (1.0123, "fit", "1.012"), (-0.0421, "fit", "-.042"), (54.0, "count", "54"),
    (1e-99, "number", "0.000"), (123456789.123456, "number", "123456789.123"), (12.345, "percent", "12.3%"),
    (None, "number", "—"), (np.nan, "fit", "—"), (1e-99, "p", "< .001"), (0.2, "p", ".200")])
def test_format_number_kinds(x, kind, text):
    assert format_number(x, kind) == text


def test_format_number_rejects_what_it_cannot_show():
    with pytest.raises(ValueError, match="unknown kind 'decimal'.*'p', 'fit'"):
        format_number(1.0, "decimal")
    with pytest.raises(ValueError, match="2.5 is not a whole number.*kind='number'"):
        format_number(2.5, "count")
    with pytest.raises(ValueError, match="1.7 is not a p-value.*between 0 and 1"):
        format_number(1.7, "p")


def test_column_kinds_follow_names_and_values():
    numbers = pd.Series([0.5, 0.25])
    for name in ("pvalue", "p_value", "delta_pvalue", "p_holm", "p_holm_adjusted", "p_bonferroni", "P"):
        assert column_kind(name, numbers) == "p", name
    for name in ("cfi", "tli", "rmsea", "rmsea_ci_upper", "srmr", "delta_cfi"):
        assert column_kind(name, numbers) == "fit", name
    assert column_kind("p", pd.Series([29, 12])) == "count"  # Mardia's p: the number of variables
    assert column_kind("p_gap", pd.Series([-0.4, 1.3])) == "number"
    assert column_kind("npar", pd.Series([54.0, 60.0])) == "count"
    assert column_kind("anything", pd.Series([3, 4])) == "count"
    assert column_kind("chisq", pd.Series([0.0, 12.0])) == "number"
    assert column_kind("est", numbers) == "number"
    assert column_kind("message", pd.Series(["a", "b"])) == "text"
    assert column_kind("ok", pd.Series([True, False])) == "text"


# --------------------------------------------------------------- tables
def test_fit_table_renders_with_apa_numbers(cfa):
    raw = tables.fit_table({"Seven-factor CFA": cfa})
    table = format_table(raw)
    row = table.cells.iloc[0]
    fm = cfa.fit_measures
    assert row["model"] == "Seven-factor CFA"
    assert row["npar"] == str(int(fm["npar"])) and row["df"] == str(int(fm["df"]))
    assert row["cfi"] == f"{fm['cfi']:.3f}".lstrip("0") and row["rmsea"] == f"{fm['rmsea']:.3f}".lstrip("0")
    assert row["pvalue"] == f"{fm['pvalue']:.3f}".lstrip("0")
    assert row["chisq"] == f"{fm['chisq']:.3f}"
    html = table._repr_html_()
    assert "Seven-factor CFA" in html and f">{int(fm['npar'])}<" in html
    assert ".0<" not in html and not re.search(r"\de[-+]\d", html)


def test_tiny_p_values_never_show_scientific_notation():
    raw = pd.DataFrame({"model": ["configural", "strict"], "delta_chisq": [np.nan, 119.2], "delta_df": [np.nan, 27],
                        "delta_pvalue": [np.nan, 9.182e-99], "p_holm": [0.0342, 1e-12]})
    table = format_table(raw)
    assert table.cells["delta_pvalue"].tolist() == ["—", "< .001"]
    assert table.cells["p_holm"].tolist() == [".034", "< .001"]
    assert table.cells["delta_df"].tolist() == ["—", "27"]
    html = table.to_html()
    assert "&lt; .001" in html and "e-99" not in html and "e-12" not in html
    assert "9.182e-99" not in str(table) and "< .001" in str(table)
    latex = table.to_latex()
    assert "$<$ .001" in latex and "e-99" not in latex and "delta\\_pvalue" in latex


def test_long_messages_are_wrapped_not_cut():
    diagnostics = pd.DataFrame({"check": ["structural"], "severity": ["severe"], "where": ["satisfaction ~ res"],
                                "message": [LONG_MESSAGE], "suggestion": ["x" * 300]})
    assert len(LONG_MESSAGE) > 300
    table = format_table(diagnostics)
    html = table._repr_html_()
    cells = cell_texts(html)
    assert LONG_MESSAGE in cells and "x" * 300 in cells
    assert "white-space: normal" in html and "overflow-wrap: anywhere" in html
    assert "..." not in html and "…" not in html
    assert LONG_MESSAGE in table.to_string()
    assert "p{6cm}" in table.to_latex()


def test_tables_render_whole_without_index():
    wide = pd.DataFrame(np.arange(120 * 30, dtype=float).reshape(120, 30) / 7,
                        columns=[f"col{k}" for k in range(30)], index=[f"row-label-{k}" for k in range(120)])
    html = format_table(wide)._repr_html_()
    assert html.count("<tr>") == 121 and html.count("<th>") == 30
    assert "row-label" not in html and "rows ×" not in html and "rows x" not in html
    assert f">{3599 / 7:.3f}<" in html
    text = str(format_table(wide))
    assert len(text.splitlines()) == 121 and "..." not in text


def test_text_booleans_and_missing_cells():
    raw = pd.DataFrame({"model": ["a", None], "meets_cutoffs": [True, False], "when": pd.to_datetime(["2024-01-01", None]),
                        "n": pd.array([12, None], dtype="Int64"), "mixed": [0.12345, "note"]})
    cells = format_table(raw).cells
    assert cells["model"].tolist() == ["a", "—"] and cells["meets_cutoffs"].tolist() == ["yes", "no"]
    assert cells["when"].iloc[1] == "—" and cells["n"].tolist() == ["12", "—"]
    assert cells["mixed"].tolist() == ["0.123", "note"]


def test_kind_overrides_and_errors():
    raw = pd.DataFrame({"name": ["a"], "share": [12.3456], "value": [0.0342]})
    table = format_table(raw, kind={"share": "percent", "value": "p"})
    assert table.cells.iloc[0].tolist() == ["a", "12.3%", ".034"]
    with pytest.raises(KeyError, match="'missing'.*columns are \\['name', 'share', 'value'\\]"):
        format_table(raw, kind={"missing": "p"})
    with pytest.raises(TypeError, match="needs a pandas DataFrame, got Series"):
        format_table(raw["share"])
    with pytest.raises(ValueError, match="column 'value': format_number: 2.0 is not a p-value"):
        format_table(raw.assign(value=[2.0]), kind={"value": "p"})
    assert raw["share"].iloc[0] == 12.3456  # the data are not changed


# ------------------------------------------------------------- notebook
@pytest.fixture
def restored():
    import tqdm.auto

    saved = {k: pd.get_option(k) for k in ("display.max_rows", "display.max_columns", "display.max_colwidth",
                                             "display.width", "display.float_format")}
    bar = tqdm.auto.tqdm
    with warnings.catch_warnings():
        yield
    for key, value in saved.items():
        pd.set_option(key, value)
    tqdm.auto.tqdm = bar
    plt.close("all")


def test_setup_notebook_is_silent_and_shows_tables_whole(restored, capsys, monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    assert setup_notebook() is None
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    assert pd.get_option("display.max_rows") is None and pd.get_option("display.max_columns") is None
    assert pd.get_option("display.max_colwidth") is None
    wide = pd.DataFrame({f"c{k}": [LONG_MESSAGE, "short"] for k in range(23)})
    text = repr(wide)
    assert "2 rows x 23 columns" not in text and "..." not in text and LONG_MESSAGE in text
    assert "e-99" not in repr(pd.DataFrame({"p": [9.182e-99]}))


def test_setup_notebook_silences_constrained_layout_warnings(restored):
    setup_notebook()
    with warnings.catch_warnings(record=True) as caught:
        fig, ax = plt.subplots(figsize=(0.4, 0.4), layout="constrained")
        ax.set_ylabel("a very long label\n" * 8)
        fig.canvas.draw()
    assert not [w for w in caught if "constrained_layout" in str(w.message)]


def test_setup_notebook_keeps_progress_bars_out_of_the_output(restored):
    import os

    import tqdm.auto

    setup_notebook()
    assert os.environ["TQDM_DISABLE"] == "1"
    stream = io.StringIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        total = sum(tqdm.auto.tqdm(range(5), file=stream, disable=False, desc="bootstrap"))
    assert total == 10 and stream.getvalue() == ""
    assert not [w for w in caught if "IProgress" in str(w.message)]


def test_tiny_negative_values_show_no_minus_sign():
    from sqlib.report.presentation import format_number

    assert format_number(-0.0002, "fit") == ".000" and format_number(-0.0004, "number") == "0.000"
    assert format_number(-0.0006, "fit") == "-.001"
