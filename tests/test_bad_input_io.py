"""Bad input files, one named test per case: each gives the right result or a message
that names the problem, the place (file, line/row, byte, column) and the fix."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sqlib import config
from sqlib.survey.codebook import Codebook, Construct
from sqlib.core.errors import SurveyDataError
from sqlib.survey.io import read_survey, validate_survey

REALDATA = config.PROJECT_ROOT.parent / "shared" / "realdata"


def codebook(**extra) -> Codebook:
    return Codebook("mini", [Construct("quality", ["q1", "q2", "q3"]), Construct("sat", ["cusa"], "outcome", 0, 100)],
                    1, 5, id_column="rid", group_column="land", **extra)


def rows(n: int = 8) -> list[list[str]]:
    """Header plus n valid respondents as text cells."""
    out = [["rid", "land", "q1", "q2", "q3", "cusa"]]
    for i in range(n):
        out.append([str(100 + i), ["DE", "FR"][i % 2], str(1 + i % 5), str(1 + (i + 2) % 5), str(1 + (i + 1) % 5),
                    str(10 * i)])
    return out


def write(tmp_path, table, name="s.csv", sep=",", encoding="utf-8", before="") -> str:
    path = tmp_path / name
    path.write_bytes((before + "\n".join(sep.join(r) for r in table) + "\n").encode(encoding))
    return str(path)


def error_of(path, cb, **kwargs) -> SurveyDataError:
    with pytest.raises(SurveyDataError) as info:
        read_survey(path, cb, **kwargs)
    return info.value


# ------------------------------------------------------------ ids and labels
def test_ids_3_and_03_are_different_respondents(tmp_path):
    table = rows()
    table[1][0], table[2][0] = "3", "03"
    df = read_survey(write(tmp_path, table), codebook())
    assert df["rid"].tolist()[:2] == ["3", "03"]


def test_ids_5_and_5_point_0_are_different_respondents(tmp_path):
    table = rows()
    table[1][0], table[2][0] = "5", "5.0"
    assert read_survey(write(tmp_path, table), codebook())["rid"].tolist()[:2] == ["5", "5.0"]


def test_id_007_stays_007(tmp_path):
    table = rows()
    table[1][0] = "007"
    assert read_survey(write(tmp_path, table), codebook())["rid"].iloc[0] == "007"


def test_ids_above_2_to_the_53_stay_distinct(tmp_path):
    table = rows()
    table[1][0], table[2][0] = str(2**53 + 1), str(2**53 + 2)
    ids = read_survey(write(tmp_path, table), codebook())["rid"].tolist()
    assert ids[:2] == ["9007199254740993", "9007199254740994"]


def test_duplicate_ids_after_stripping_spaces_are_reported_with_rows(tmp_path):
    table = rows()
    table[1][0], table[4][0] = "A17", " A17 "
    (problem,) = error_of(write(tmp_path, table), codebook()).problems
    assert "respondent id A17 appears 2 times (rows 2 and 5)" in problem
    assert "remove the repeated respondent or fix the id" in problem


def test_group_labelled_NA_is_a_label_not_missing(tmp_path):
    table = rows()
    for r in table[1:4]:
        r[1] = "NA"
    df = read_survey(write(tmp_path, table), codebook())
    assert df["land"].tolist()[:3] == ["NA", "NA", "NA"] and df["land"].notna().all()


def test_only_an_empty_group_cell_is_missing(tmp_path):
    table = rows()
    table[2][1] = ""
    df = read_survey(write(tmp_path, table), codebook())
    assert df["land"].isna().tolist() == [False, True] + [False] * 6


def test_spss_numeric_ids_become_whole_number_text(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    frame = pd.DataFrame([r for r in rows()[1:]], columns=rows()[0]).astype(
        {"rid": float, "q1": float, "q2": float, "q3": float, "cusa": float})
    path = tmp_path / "s.sav"
    pyreadstat.write_sav(frame, str(path))
    assert read_survey(path, codebook())["rid"].tolist()[:2] == ["100", "101"]


# ----------------------------------------------------------------- delimiters
def test_tab_separated_file_named_csv_is_detected_and_recorded(tmp_path):
    df = read_survey(write(tmp_path, rows(), sep="\t"), codebook())
    assert df.attrs["source"]["delimiter"] == "\t"
    assert any("separated by tab (detected)" in note for note in df.attrs["notes"])
    assert df["q1"].notna().all()


def test_semicolon_file_with_decimal_commas_in_text_is_detected(tmp_path):
    table = [r + ["note"] for r in rows()]
    table[1][-1] = "3,5 stars"
    df = read_survey(write(tmp_path, table, sep=";"), codebook())
    assert df.attrs["source"]["delimiter"] == ";" and df["note"].iloc[0] == "3,5 stars"


def test_comma_file_records_its_delimiter(tmp_path):
    assert read_survey(write(tmp_path, rows()), codebook()).attrs["source"]["delimiter"] == ","


def test_declared_delimiter_is_used(tmp_path):
    df = read_survey(write(tmp_path, rows(), sep=";"), codebook(delimiter=";"))
    assert any("declared in the codebook" in note for note in df.attrs["notes"])


# ------------------------------------------------------------------- encodings
def test_stray_latin1_byte_names_line_and_byte_and_suggests_encoding(tmp_path):
    table = rows()
    table[3][1] = "Zürich"
    path = tmp_path / "s.csv"
    text = "\n".join(",".join(r) for r in table) + "\n"
    raw = text.encode("utf-8").replace("ü".encode("utf-8"), b"\xfc", 1)  # one Latin-1 byte in a UTF-8 file
    path.write_bytes(raw)
    message = str(error_of(path, codebook()))
    offset = raw.index(b"\xfc")
    assert "line 4" in message and f"byte offset {offset}" in message and "0xFC" in message
    assert "encoding: cp1252" in message and "CSV UTF-8" in message


def test_utf8_file_with_zurich_keeps_one_group(tmp_path):
    table = rows()
    for r in table[1:]:
        r[1] = "Zürich"
    table[2][1] = "Zürich "
    df = read_survey(write(tmp_path, table, encoding="utf-8-sig"), codebook())
    assert df["land"].nunique() == 1 and df.attrs["source"]["encoding"] == "utf-8-sig"


def test_declared_latin1_encoding_reads_the_file(tmp_path):
    table = rows()
    table[1][1] = "Zürich"
    df = read_survey(write(tmp_path, table, encoding="latin-1"), codebook(encoding="latin-1"))
    assert df["land"].iloc[0] == "Zürich" and df.attrs["source"]["encoding"] == "latin-1"
    assert "read as latin-1" in df.attrs["notes"]


def test_file_not_in_the_declared_encoding_either(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(("\n".join(",".join(r) for r in rows()) + "\n").encode("utf-8") + b"\x81,x\n")
    message = str(error_of(path, codebook(encoding="cp1252")))
    assert "0x81" in message and "declares encoding: cp1252" in message


def test_utf16_file_gets_a_clear_message(tmp_path):
    message = str(error_of(write(tmp_path, rows(), encoding="utf-16"), codebook()))
    assert "UTF-16" in message and "CSV UTF-8" in message


def test_utf16_without_bom_gets_a_clear_message(tmp_path):
    message = str(error_of(write(tmp_path, rows(), encoding="utf-16-le"), codebook()))
    assert "UTF-16" in message


def test_binary_file_gets_a_clear_message(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(bytes(range(256)) * 4)
    assert "binary file" in str(error_of(path, codebook()))


def test_excel_workbook_named_csv_is_recognised(tmp_path):
    frame = pd.DataFrame(rows()[1:], columns=rows()[0])
    frame.to_excel(tmp_path / "book.xlsx", index=False)
    path = tmp_path / "s.csv"
    path.write_bytes((tmp_path / "book.xlsx").read_bytes())
    message = str(error_of(path, codebook()))
    assert "zip file" in message and ".xlsx" in message


# ------------------------------------------------------- empty rows and columns
def test_trailing_empty_columns_from_excel_export_are_dropped_with_a_note(tmp_path):
    table = [r + ["", ""] for r in rows()]
    df = read_survey(write(tmp_path, table), codebook())
    assert "" not in df.columns
    assert any("2 empty columns without a name dropped (columns 7 and 8" in n for n in df.attrs["notes"])


def test_unnamed_pandas_columns_that_are_empty_are_dropped(tmp_path):
    table = [r + [f"Unnamed: {6 + k}" if i == 0 else "" for k in range(1)] for i, r in enumerate(rows())]
    df = read_survey(write(tmp_path, table), codebook())
    assert not any(str(c).startswith("Unnamed") for c in df.columns)


def test_unnamed_column_with_answers_is_reported(tmp_path):
    table = [r + (["" if i == 0 else "x"]) for i, r in enumerate(rows())]
    (problem,) = error_of(write(tmp_path, table), codebook()).problems
    assert "column 7 (counting from the left) hold answers but have no name" in problem
    assert "name them or delete them" in problem


def test_empty_rows_are_dropped_with_a_note(tmp_path):
    table = rows()
    table.insert(3, [""] * 6)
    table.append([""] * 6)
    df = read_survey(write(tmp_path, table), codebook())
    assert len(df) == 8
    assert any("2 empty rows dropped (rows 4 and 11)" in n for n in df.attrs["notes"])


def test_trailing_empty_excel_columns_and_rows_are_dropped(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    for r in rows():
        sheet.append([int(c) if c.isdigit() else c for c in r] + [None, None])
    sheet.cell(row=12, column=9, value="")  # an 'empty' cell far away, as Excel leaves them
    path = tmp_path / "s.xlsx"
    book.save(path)
    df = read_survey(path, codebook())
    assert list(df.columns) == ["rid", "land", "q1", "q2", "q3", "cusa"] and len(df) == 8


# ------------------------------------------------------------------ header row
def test_title_rows_above_the_header_in_csv_with_header_row(tmp_path):
    path = write(tmp_path, rows(), before="Customer survey 2025\nexported 1 May\n\n")
    df = read_survey(path, codebook(header_row=4))
    assert len(df) == 8 and df["rid"].iloc[0] == "100"
    assert any("rows 1-3" in n and "header_row: 4" in n for n in df.attrs["notes"])
    table = rows()
    table[2][2] = "9"
    bad = write(tmp_path, table, name="bad.csv", before="Customer survey 2025\nexported 1 May\n\n")
    assert "row 6 (id 101)" in str(error_of(bad, codebook(header_row=4)))


def test_title_row_without_header_row_suggests_it(tmp_path):
    path = write(tmp_path, rows(), before="Customer survey 2025\n\n")
    message = str(error_of(path, codebook()))
    assert "seem to be on row 3" in message and "'header_row: 3'" in message


def test_title_rows_above_the_header_in_xlsx_with_header_row(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Hotel survey, wave 1"])
    sheet.append([])
    for r in rows():
        sheet.append([int(c) if c.isdigit() else c for c in r])
    path = tmp_path / "s.xlsx"
    book.save(path)
    df = read_survey(path, codebook(header_row=3))
    assert len(df) == 8 and df["rid"].tolist()[0] == "100"
    assert "seem to be on row 3" in str(error_of(path, codebook()))


def test_header_row_past_the_end_is_named(tmp_path):
    message = str(error_of(write(tmp_path, rows(2)), codebook(header_row=40)))
    assert "header_row: 40" in message and "past the end" in message


# --------------------------------------------------------------- missing codes
def test_missing_codes_become_missing_before_the_range_check(tmp_path):
    table = rows()
    table[1][2], table[2][2], table[3][5] = "-99", "999", "-99"
    df = read_survey(write(tmp_path, table), codebook(missing_codes=[-99, 999]))
    assert np.isnan(df["q1"].iloc[0]) and np.isnan(df["q1"].iloc[1]) and np.isnan(df["cusa"].iloc[2])
    assert df.attrs["missing_codes"] == {"q1": 2, "cusa": 1}
    assert any("'q1' 2" in n and "'cusa' 1" in n and "-99, 999" in n for n in df.attrs["notes"])


def test_undeclared_missing_code_suggests_declaring_it(tmp_path):
    table = rows()
    table[1][2] = "-99"
    (problem,) = error_of(write(tmp_path, table), codebook()).problems
    assert "'q1'" in problem and "row 2 (id 100)" in problem and "missing_codes: [-99]" in problem


def test_validate_survey_applies_missing_codes_too():
    frame = pd.DataFrame({"rid": ["a", "b", "c"], "land": ["x", "y", "x"], "q1": [1, -99, 3], "q2": [2, 3, 4],
                          "q3": [1, 5, 2], "cusa": [0, 50, 100]})
    assert validate_survey(frame, codebook(missing_codes=[-99])) == []
    assert "-99" in validate_survey(frame, codebook())[0]


# ------------------------------------------------------------ per-item scales
def test_values_off_a_construct_scale_are_reported_per_item_with_rows(tmp_path):
    table = rows()
    table[2][5] = "101"
    table[3][2] = "50"
    problems = error_of(write(tmp_path, table), codebook()).problems
    assert any("'cusa'" in p and "0-100 scale (101)" in p and "row 3 (id 101)" in p for p in problems)
    assert any("'q1'" in p and "1-5 scale (50)" in p and "row 4 (id 102)" in p for p in problems)


def test_reverse_coding_uses_the_items_own_scale(tmp_path):
    cb = Codebook("r", [Construct("quality", ["q1", "q2", "q3"]), Construct("sat", ["cusa"], "outcome", 0, 100)],
                  1, 5, id_column="rid", group_column="land", reverse=["cusa", "q3"])
    df = read_survey(write(tmp_path, rows()), cb)
    assert df["cusa"].tolist() == [100 - 10 * i for i in range(8)]
    assert df["q3"].tolist() == [6 - (1 + (i + 1) % 5) for i in range(8)]


# ---------------------------------------------------------------- Unicode NFC
def test_nfd_column_names_and_labels_match_the_nfc_codebook(tmp_path):
    table = rows()
    table[0][2] = unicodedata.normalize("NFD", "qualité1")
    table[1][1] = unicodedata.normalize("NFD", "Zürich")
    table[2][1] = "Zürich"
    cb = Codebook("u", [Construct("quality", ["qualité1", "q2", "q3"]), Construct("sat", ["cusa"], "outcome", 0, 100)],
                  1, 5, id_column="rid", group_column="land")
    df = read_survey(write(tmp_path, table), cb)
    assert "qualité1" in df.columns and df["land"].iloc[0] == df["land"].iloc[1] == "Zürich"


# ------------------------------------------------------------------ real data
def _real(name: str):
    path = REALDATA / name
    if not path.exists():
        pytest.skip(f"real survey {path} is absent (the shared realdata folder is not mounted here)")
    return path


def test_real_mobi_survey_reads_cleanly(tmp_path):
    path = _real("mobi.csv")
    blocks = {"image": ("IMAG", 5), "expectation": ("CUEX", 3), "quality": ("PERQ", 7), "value": ("PERV", 2),
              "satisfaction": ("CUSA", 3), "loyalty": ("CUSL", 3)}
    lines = ["name: ECSI mobile phone", "scale: {min: 1, max: 10}", "constructs:"]
    for name, (prefix, k) in blocks.items():
        kind = "outcome" if name in ("satisfaction", "loyalty") else "dimension"
        lines.append(f"  {name}: {{items: [{', '.join(f'{prefix}{i}' for i in range(1, k + 1))}], kind: {kind}}}")
    lines.append("  complaints: {items: [CUSCO], kind: mediator}")
    (tmp_path / "mobi.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    df = read_survey(path, tmp_path / "mobi.yaml")
    assert len(df) == 250 and df.attrs["source"]["delimiter"] == ","
    assert df[[c for c in df.columns]].notna().all().all()
    assert df["CUSA1"].between(1, 10).all()


def test_real_corporate_reputation_survey_reads_cleanly(tmp_path):
    path = _real("corp_rep_data.csv")
    blocks = {"csor": 5, "attr": 3, "perf": 5, "qual": 8, "like": 3, "comp": 3, "cusl": 3}
    lines = ["name: corporate reputation", "scale: {min: 1, max: 7}", "group: servicetype",
             "missing_codes: [-99]", "constructs:"]
    for name, k in blocks.items():
        kind = "mediator" if name in ("like", "comp") else ("outcome" if name == "cusl" else "dimension")
        lines.append(f"  {name}: {{items: [{', '.join(f'{name}_{i}' for i in range(1, k + 1))}], kind: {kind}}}")
    lines.append("  cusa: {items: [cusa], kind: outcome}")
    (tmp_path / "corp.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    df = read_survey(path, tmp_path / "corp.yaml")
    assert len(df) == 344
    assert df["servicetype"].value_counts().to_dict() == {"2": 219, "1": 125}
    assert df["serviceprovider"].dtype == np.int64  # not a codebook column: numbers as before
    counts = df.attrs["missing_codes"]
    assert counts["cusl_1"] == 3 and counts["cusa"] == 1 and counts["occupation"] == 45
    assert df["cusa"].isna().sum() == 1 and df[["cusl_1", "cusl_2", "cusl_3"]].stack().dropna().between(1, 7).all()
    provider = Codebook.from_dict({**Codebook.from_yaml(tmp_path / "corp.yaml").to_dict(), "group": "serviceprovider"})
    assert sorted(read_survey(path, provider)["serviceprovider"].unique()) == ["1", "2", "3", "4"]


def test_real_corporate_reputation_without_missing_codes_names_them(tmp_path):
    path = _real("corp_rep_data.csv")
    (tmp_path / "c.yaml").write_text("scale: {min: 1, max: 7}\nconstructs:\n  cusa: [cusa]\n"
                                     "  cusl: [cusl_1, cusl_2, cusl_3]\n", encoding="utf-8")
    problems = error_of(path, tmp_path / "c.yaml").problems
    assert any("'cusl_2'" in p and "-99" in p and "missing_codes: [-99]" in p for p in problems)


def test_header_row_is_noted_as_unused_for_parquet(tmp_path):
    frame = pd.DataFrame(rows()[1:], columns=rows()[0]).astype({"q1": float, "q2": float, "q3": float, "cusa": float})
    frame.to_parquet(tmp_path / "s.parquet", index=False)
    df = read_survey(tmp_path / "s.parquet", codebook(header_row=3))
    assert any("header_row: 3 was not used" in n for n in df.attrs["notes"])


def test_text_wave_labels_keep_numeric_order_in_wave_tracking(tmp_path):
    from sqlib.analysis.waves import wave_scores

    cb = Codebook("w", [Construct("quality", ["q1", "q2", "q3"])], 1, 5, id_column="rid", wave_column="wave")
    rng = np.random.default_rng(4)
    table = [["rid", "wave", "q1", "q2", "q3"]]
    for i in range(90):
        table.append([str(i), ["1", "2", "10"][i % 3]] + [str(v) for v in rng.integers(1, 6, 3)])
    df = read_survey(write(tmp_path, table), cb)
    assert df["wave"].tolist()[:3] == ["1", "2", "10"]
    assert list(dict.fromkeys(wave_scores(df, cb)["wave"])) == ["1", "2", "10"]


# ---------------------------------------------------------- more broken files
def test_unclosed_quote_names_the_line_instead_of_swallowing_respondents(tmp_path):
    table = rows()
    table[3][1] = '"FR'
    message = str(error_of(write(tmp_path, table), codebook()))
    assert "line 4: a quote mark" in message and "never closed" in message and "lines 4-9" in message


def test_excel_sep_line_names_the_delimiter(tmp_path):
    df = read_survey(write(tmp_path, rows(), sep=";", before="sep=;\n"), codebook())
    assert len(df) == 8 and df.attrs["source"]["delimiter"] == ";"
    assert any("sep=" in n for n in df.attrs["notes"])


def test_invisible_characters_in_header_names_are_removed(tmp_path):
    table = rows()
    table[0][0] = "\ufeffrid"
    table[0][2] = "q1\u200b"
    df = read_survey(write(tmp_path, table, encoding="utf-8-sig"), codebook())
    assert list(df.columns[:3]) == ["rid", "land", "q1"]


def test_html_page_named_csv_gets_a_clear_message(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("<html><body><table><tr><td>rid</td></tr></table></body></html>\n", encoding="utf-8")
    message = str(error_of(path, codebook()))
    assert "web page" in message and "CSV UTF-8" in message


def test_declared_latin1_for_a_windows_1252_file_suggests_cp1252(tmp_path):
    table = rows()
    table[2][1] = "Caf\u00e9 \u2013 bar"
    path = write(tmp_path, table, encoding="cp1252")
    message = str(error_of(path, codebook(encoding="latin-1")))
    assert "line 3" in message and "0x96" in message and "encoding: cp1252" in message
    assert read_survey(path, codebook(encoding="cp1252"))["land"].iloc[1] == "Caf\u00e9 \u2013 bar"


def test_decimal_commas_get_their_own_hint(tmp_path):
    table = rows()
    table[1][5] = "3,5"
    (problem,) = error_of(write(tmp_path, table, sep=";"), codebook()).problems
    assert "'cusa'" in problem and "'3,5'" in problem and "decimal comma" in problem


def test_group_labels_differing_only_in_case_get_a_note(tmp_path):
    table = rows()
    table[1][1] = "de"
    df = read_survey(write(tmp_path, table), codebook())
    assert df["land"].nunique() == 3
    assert any("'DE' and 'de' differ only in letter case" in n for n in df.attrs["notes"])


def test_missing_importance_column_is_named_with_its_role(tmp_path):
    problems = error_of(write(tmp_path, rows()), codebook(importance={"quality": "imp_q"})).problems
    assert any("'imp_q' (the importance points of 'quality') not found" in p for p in problems)


def test_semicolon_file_with_a_title_line_is_detected_and_the_header_row_suggested(tmp_path):
    path = write(tmp_path, rows(), sep=";", before="Customer survey, May 2025\n")
    message = str(error_of(path, codebook()))
    assert "'header_row: 2'" in message
    df = read_survey(path, codebook(header_row=2))
    assert df.attrs["source"]["delimiter"] == ";" and len(df) == 8


def test_rows_with_fewer_cells_than_the_header_get_a_note(tmp_path):
    table = rows()
    table[2] = table[2][:5]
    df = read_survey(write(tmp_path, table), codebook())
    assert np.isnan(df["cusa"].iloc[1])
    assert any("1 row has fewer cells than the header has columns (line 3)" in n for n in df.attrs["notes"])


def test_excel_formulas_without_results_are_named(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    for r in rows():
        sheet.append([int(c) if c.isdigit() else c for c in r])
    sheet["F3"] = "=F2+10"  # saved by openpyxl: no cached result
    path = tmp_path / "s.xlsx"
    book.save(path)
    message = str(error_of(path, codebook()))
    assert "F3 (=F2+10)" in message and "never calculated" in message and "save it" in message


# ------------------------------------------------------------ Excel sheets
def workbook(tmp_path, sheets: dict, hidden=()) -> str:
    """An .xlsx with the given sheets (name -> rows of cells), some hidden."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, table in sheets.items():
        sheet = book.create_sheet(name)
        for r in table:
            sheet.append([int(c) if c.isdigit() else c for c in r])
        if name in hidden:
            sheet.sheet_state = "hidden"
    path = tmp_path / "s.xlsx"
    book.save(path)
    return str(path)


def test_hidden_first_sheet_is_refused_with_the_sheet_key_as_fix(tmp_path):
    path = workbook(tmp_path, {"old_export": rows(3), "responses": rows()}, hidden=("old_export",))
    message = str(error_of(path, codebook()))
    assert "s.xlsx" in message and "'old_export' is hidden" in message and "'sheet: responses'" in message


def test_codebook_sheet_key_selects_the_sheet(tmp_path):
    path = workbook(tmp_path, {"old_export": rows(3), "responses": rows()}, hidden=("old_export",))
    df = read_survey(path, codebook(sheet="responses"))
    assert len(df) == 8 and df.attrs["source"]["sheet"] == "responses"


def test_sheet_argument_wins_over_the_codebook_sheet_key(tmp_path):
    path = workbook(tmp_path, {"old_export": rows(3), "responses": rows()})
    df = read_survey(path, codebook(sheet="responses"), sheet=0)
    assert len(df) == 3 and df.attrs["source"]["sheet"] == "old_export"


def test_first_of_several_sheets_read_gets_a_note_naming_the_others(tmp_path):
    path = workbook(tmp_path, {"wave1": rows(), "wave2": rows(4)})
    df = read_survey(path, codebook())
    assert len(df) == 8
    assert any("read sheet 'wave1', the first of 2 sheets" in n and "'wave2'" in n and "sheet: <name>" in n
               for n in df.attrs["notes"])


def test_read_me_first_sheet_points_to_the_sheet_with_the_columns(tmp_path):
    path = workbook(tmp_path, {"Read me": [["About"], ["Survey export"]], "responses": rows()})
    message = str(error_of(path, codebook()))
    assert "'Read me' does not hold the codebook's columns" in message and "'sheet: responses'" in message


def test_missing_expectation_column_is_named_with_its_expectations_key(tmp_path):
    table = rows()
    table[0][2] = "e_q1"  # the file has e_q1 where the codebook says e_q11
    cb = Codebook("mini", [Construct("quality", ["q2", "q3"]), Construct("sat", ["cusa"], "outcome", 0, 100)],
                  1, 5, id_column="rid", group_column="land", expectations={"q2": "e_q11"})
    (problem,) = error_of(write(tmp_path, table), cb).problems
    assert "'e_q11' (the expectation column of 'q2', expectations.q2) not found" in problem
    assert "did you mean 'e_q1'?" in problem


# ------------------------------------------------------------ wave order and empty wave/group cells
def wave_rows(labels: list[str]) -> list[list[str]]:
    table = [r + ["wave"] if k == 0 else r for k, r in enumerate(rows(len(labels)))]
    return [table[0]] + [r + [w] for r, w in zip(table[1:], labels)]


def test_numbered_wave_labels_are_ordered_by_their_number():
    from sqlib.survey.io import order_wave_labels

    assert order_wave_labels(["W1", "W10", "W2", "W10"]) == (["W1", "W2", "W10"], None)
    assert order_wave_labels(["wave 10", "wave 3"])[0] == ["wave 3", "wave 10"]
    assert order_wave_labels([10, "2", 1.0])[0] == [1.0, "2", 10]


def test_text_wave_labels_keep_first_appearance_with_a_note(tmp_path):
    labels = ["Spring 2026", "Autumn 2026", "Spring 2027", "Autumn 2026"] * 2
    df = read_survey(write(tmp_path, wave_rows(labels)), codebook(wave_column="wave"))
    (note,) = [n for n in df.attrs["notes"] if "wave_order" in n]
    assert "wave column 'wave'" in note and "first appear" in note
    assert "'wave_order: [Spring 2026, Autumn 2026, Spring 2027]'" in note


def test_mixed_wave_labels_follow_the_text_rule():
    from sqlib.survey.io import order_wave_labels

    levels, note = order_wave_labels([1, "2", "wave 3"])
    assert levels == [1, "2", "wave 3"] and "wave_order" in note


def test_codebook_wave_order_sets_the_order_and_unknown_labels_are_named(tmp_path):
    from sqlib.survey.io import order_wave_labels

    assert order_wave_labels(["b", "a", "c"], ["c", "b", "a"]) == (["c", "b", "a"], None)
    path = write(tmp_path, wave_rows(["W1", "W2", "W3", "W1", "W2", "W3", "W4", "W1"]))
    (problem,) = error_of(path, codebook(wave_column="wave", wave_order=["W1", "W2", "W3"])).problems
    assert "wave column 'wave': label 'W4' is not in the codebook's wave_order [W1, W2, W3]" in problem
    assert "add it to wave_order" in problem
    assert not any("wave_order" in n for n in read_survey(path, codebook(wave_column="wave")).attrs["notes"])


def test_empty_wave_and_group_cells_get_a_note_with_rows(tmp_path):
    table = wave_rows(["1", "", "2", "", "1", "2", "1", "2"])
    table[3][1] = ""
    df = read_survey(write(tmp_path, table), codebook(wave_column="wave"))
    assert any("wave column 'wave': 2 respondents have an empty cell (rows 3 and 5)" in n and "fill in" in n
               for n in df.attrs["notes"])
    assert any("group column 'land': 1 respondent has an empty cell (row 4)" in n for n in df.attrs["notes"])


def test_wave_tables_follow_the_codebook_wave_order():
    import dataclasses

    from sqlib.survey.io import load_sample
    from sqlib.analysis.waves import wave_scores

    cb = dataclasses.replace(Codebook.servqual(), wave_order=["3", "1", "2"])
    table = wave_scores(load_sample(), cb, constructs=["satisfaction"])
    assert table["wave"].tolist() == ["3", "1", "2"]


# ------------------------------------------------------------ text files
def test_every_line_wrapped_in_quotes_says_the_file_was_quoted_twice(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("".join(f'"{",".join(r)}"\n' for r in rows()), encoding="utf-8")
    (problem,) = (error := error_of(path, codebook())).problems
    assert "each line is one quoted field" in problem and '"rid,land,q1' in problem
    assert "s.csv" in str(error) and "quoted twice" in str(error) and "without quoting the whole line" in str(error)


def test_trailing_ctrl_z_after_crlf_is_ignored_with_a_note(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(("\r\n".join(",".join(r) for r in rows()) + "\r\n\x1a").encode())
    df = read_survey(path, codebook())
    assert len(df) == 8 and df["rid"].tolist()[-1] == "107"
    assert any("Ctrl-Z" in n and "ignored" in n for n in df.attrs["notes"])


def test_txt_file_is_read_as_delimited_text_with_a_note(tmp_path):
    df = read_survey(write(tmp_path, rows(), name="s.txt", sep="\t"), codebook())
    assert len(df) == 8 and df.attrs["source"]["delimiter"] == "\t"
    assert any("s.txt was read as delimited text" in n for n in df.attrs["notes"])


def test_unknown_extension_says_to_rename_the_file(tmp_path):
    message = str(error_of(write(tmp_path, rows(), name="s.dat"), codebook()))
    assert "s.dat" in message and "extension .dat" in message and "Rename the file" in message
    assert "s.csv" in message


def test_xlsx_workbook_named_xls_says_to_rename_it(tmp_path):
    path = workbook(tmp_path, {"responses": rows()})
    renamed = tmp_path / "s.xls"
    Path(path).rename(renamed)
    assert "rename it to s.xlsx" in str(error_of(renamed, codebook()))


def test_many_columns_of_ordered_categories_give_one_line_listing_the_columns():
    labels = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]
    items = [f"q{k}" for k in range(1, 8)]
    cb = Codebook("cats", [Construct("quality", items)], 1, 5)
    frame = pd.DataFrame({i: pd.Categorical.from_codes([(k + j) % 5 for k in range(6)], categories=labels,
                                                       ordered=True) for j, i in enumerate(items)})
    (problem,) = validate_survey(frame, cb)
    assert problem.startswith("7 item columns hold answer text instead of numbers")
    assert "'q1', 'q2'" in problem and "'Strongly disagree' < 'Disagree'" in problem
    assert "cat.codes + 1" in problem and "1-5" in problem


def test_wave_tables_with_text_wave_labels_warn_which_order_was_assumed():
    from sqlib.survey.io import load_sample
    from sqlib.analysis.waves import wave_scores

    data = load_sample()
    data["wave"] = data["wave"].map({"1": "Spring", "2": "Summer", "3": "Autumn"})
    first_seen = list(dict.fromkeys(data["wave"]))
    with pytest.warns(UserWarning, match="first appear.*wave_order"):
        table = wave_scores(data, constructs=["satisfaction"])
    assert table["wave"].tolist() == first_seen


def test_excel_answers_turned_into_dates_are_named_as_dates(tmp_path):
    import datetime

    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    for r in rows():
        book.active.append([int(c) if c.isdigit() else c for c in r])
    book.active["C3"] = datetime.datetime(2027, 5, 3)
    path = tmp_path / "s.xlsx"
    book.save(path)
    (problem,) = error_of(path, codebook()).problems
    assert "column 'q1'" in problem and "the date 2027-05-03" in problem and "row 3" in problem
    assert "into dates" in problem and "format the column as Number" in problem


def test_codebook_sheet_key_on_a_csv_file_gets_a_note(tmp_path):
    df = read_survey(write(tmp_path, rows()), codebook(sheet="responses"))
    assert any("the sheet 'responses'" in n and "was not used" in n and "no sheets" in n for n in df.attrs["notes"])
