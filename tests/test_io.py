"""Reading survey files: formats, tidy output, and errors that name the problem."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pandas as pd
import pytest

from sqlib import config
from sqlib.survey.codebook import Codebook, Construct
from sqlib.core.errors import SurveyDataError
from sqlib.survey.io import file_sha256, load_sample, read_survey, validate_survey


@pytest.fixture
def codebook() -> Codebook:
    return Codebook(
        name="mini",
        constructs=[Construct("quality", ["q1", "q2", "q3"]), Construct("loyalty", ["l1", "l2"], "outcome")],
        scale_min=1,
        scale_max=5,
        id_column="rid",
        group_column="country",
        wave_column="wave",
        reverse=["q3"],
    )


def survey(n: int = 12, seed: int = 3) -> pd.DataFrame:
    """A valid little survey; columns deliberately not in codebook order, plus an extra column."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "note": [f"n{i}" for i in range(n)],
        "q2": rng.integers(1, 6, n).astype(float),
        "rid": np.arange(101, 101 + n),
        "country": ["DE", "FR", "IT"] * (n // 3) + ["DE"] * (n % 3),
        "wave": [1, 2] * (n // 2) + [1] * (n % 2),
        "q1": rng.integers(1, 6, n).astype(float),
        "q3": rng.integers(1, 6, n).astype(float),
        "l1": rng.integers(1, 6, n).astype(float),
        "l2": rng.integers(1, 6, n).astype(float),
    })
    frame.loc[2, "q1"] = np.nan
    frame.loc[5, "l2"] = np.nan
    return frame


def write_csv(frame: pd.DataFrame, path) -> str:
    frame.to_csv(path, index=False)
    return str(path)


def error_of(path, codebook, **kwargs) -> SurveyDataError:
    with pytest.raises(SurveyDataError) as info:
        read_survey(path, codebook, **kwargs)
    return info.value


# ------------------------------------------------------------------ happy path
def test_csv_gives_codebook_order_float_items_and_source(tmp_path, codebook):
    raw = survey()
    path = write_csv(raw, tmp_path / "s.csv")
    df = read_survey(path, codebook, reverse_code=False)
    assert list(df.columns) == ["rid", "country", "wave", "q1", "q2", "q3", "l1", "l2", "note"]
    assert all(df[c].dtype == np.float64 for c in codebook.items)
    np.testing.assert_array_equal(df["q2"].to_numpy(), raw["q2"].to_numpy())
    assert np.isnan(df.loc[2, "q1"]) and df["q1"].isna().sum() == 1
    assert df["rid"].tolist() == [str(r) for r in raw["rid"]]  # ids are text labels
    assert df["country"].tolist() == raw["country"].tolist()
    assert df["wave"].tolist() == [str(w) for w in raw["wave"]]
    source = df.attrs["source"]
    with open(path, "rb") as handle:
        assert source["sha256"] == hashlib.sha256(handle.read()).hexdigest()
    assert source["format"] == "csv" and source["n_rows"] == len(raw)
    assert file_sha256(path) == source["sha256"]


def test_reverse_items_are_turned_around_in_the_frame_only(tmp_path, codebook):
    raw = survey()
    path = write_csv(raw, tmp_path / "s.csv")
    before = open(path, "rb").read()
    reversed_ = read_survey(path, codebook)
    np.testing.assert_array_equal(reversed_["q3"].to_numpy(), 6 - raw["q3"].to_numpy())
    np.testing.assert_array_equal(reversed_["q1"].to_numpy(), raw["q1"].to_numpy())
    assert open(path, "rb").read() == before


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".sav"])
@pytest.mark.parametrize("valid", [True, False])
def test_reading_leaves_the_file_bytes_and_mtime_alone(tmp_path, codebook, suffix, valid):
    raw = survey() if valid else survey().assign(q1=9.0)
    path = tmp_path / f"s{suffix}"
    if suffix == ".csv":
        raw.to_csv(path, index=False)
    elif suffix == ".xlsx":
        raw.to_excel(path, index=False)
    else:
        pytest.importorskip("pyreadstat").write_sav(raw, str(path))
    os.utime(path, (1_600_000_000, 1_600_000_000))
    before_bytes, before_stat = path.read_bytes(), path.stat()
    if valid:
        read_survey(path, codebook)
    else:
        error_of(path, codebook)
    assert path.read_bytes() == before_bytes
    assert path.stat().st_mtime_ns == before_stat.st_mtime_ns


def test_validate_survey_on_a_frame_in_memory(codebook):
    good = survey()
    assert validate_survey(good, codebook) == []
    bad = good.set_index(pd.Index([f"case{i}" for i in range(len(good))]))
    bad.loc["case4", "q2"] = 0
    problems = validate_survey(bad, codebook)
    assert len(problems) == 1 and "case4" in problems[0] and "'q2'" in problems[0]


def test_bundled_sample_loads_clean():
    if not config.SAMPLE_DATA.exists():
        pytest.skip("the bundled sample has not been generated")
    df = load_sample()
    cb = Codebook.from_yaml(config.SAMPLE_CODEBOOK)
    assert len(df) == 900 and df["respondent_id"].is_unique
    assert list(df.columns[: len(cb.columns)]) == cb.columns
    items = df[cb.all_items]
    assert (items.dtypes == np.float64).all()
    observed = items.stack().dropna()
    assert observed.between(1, 7).all() and (observed == observed.round()).all()
    assert 0 < items.isna().mean().mean() < 0.1


# --------------------------------------------------------------- round trips
def _reference(tmp_path, codebook, raw):
    return read_survey(write_csv(raw, tmp_path / "ref.csv"), codebook)


def _same(df, ref):
    pd.testing.assert_frame_equal(df.reset_index(drop=True), ref.reset_index(drop=True), check_dtype=True)


def test_excel_round_trip(tmp_path, codebook):
    raw = survey()
    path = tmp_path / "s.xlsx"
    raw.to_excel(path, index=False, sheet_name="answers")
    df = read_survey(path, codebook, sheet="answers")
    _same(df, _reference(tmp_path, codebook, raw))
    assert df.attrs["source"]["format"] == "xlsx"


def test_spss_round_trip_keeps_labels(tmp_path, codebook):
    pyreadstat = pytest.importorskip("pyreadstat")
    raw = survey()
    path = tmp_path / "s.sav"
    value_labels = {"q1": {1.0: "strongly disagree", 5.0: "strongly agree"}}
    pyreadstat.write_sav(raw, str(path), column_labels={"q1": "Staff are polite"},
                         variable_value_labels=value_labels)
    df = read_survey(path, codebook)
    _same(df, _reference(tmp_path, codebook, raw))
    assert df.attrs["value_labels"]["q1"] == value_labels["q1"]
    assert df.attrs["variable_labels"]["q1"] == "Staff are polite"
    assert df.attrs["source"]["format"] == "sav"


def test_parquet_and_tsv_round_trips(tmp_path, codebook):
    raw = survey()
    ref = _reference(tmp_path, codebook, raw)
    raw.to_parquet(tmp_path / "s.parquet", index=False)
    raw.to_csv(tmp_path / "s.tsv", sep="\t", index=False)
    _same(read_survey(tmp_path / "s.parquet", codebook), ref)
    tsv = read_survey(tmp_path / "s.tsv", codebook)
    _same(tsv, ref)
    assert tsv.attrs["source"]["format"] == "tsv"


def write_qualtrics(raw: pd.DataFrame, path) -> None:
    """A Qualtrics-style export: header, question wording (one with a line break), ImportId row."""
    wording = [f'"How do you rate {c}?\nPlease be honest, thanks"' if c == "q1" else f'"Text of {c}"'
               for c in raw.columns]
    import_ids = ['"{""ImportId"":""QID%d""}"' % i for i in range(len(raw.columns))]
    body = raw.to_csv(index=False, header=False)
    path.write_text(",".join(raw.columns) + "\n" + ",".join(wording) + "\n" + ",".join(import_ids) + "\n" + body,
                    encoding="utf-8-sig")


def test_qualtrics_export_is_recognised_and_its_extra_rows_dropped(tmp_path, codebook):
    raw = survey()
    path = tmp_path / "qualtrics.csv"
    write_qualtrics(raw, path)
    df = read_survey(path, codebook)
    _same(df, _reference(tmp_path, codebook, raw))
    assert df.attrs["source"]["format"] == "qualtrics"


def test_qualtrics_row_numbers_count_the_lines_of_the_file(tmp_path, codebook):
    raw = survey()
    raw.loc[0, "q2"] = 8
    path = tmp_path / "qualtrics.csv"
    write_qualtrics(raw, path)
    # header 1, wording lines 2-3 (line break inside a quoted cell), ImportId 4, first respondent 5
    assert "row 5 (id 101)" in str(error_of(path, codebook))


def test_semicolon_separated_csv_is_read(tmp_path, codebook):
    raw = survey()
    raw.to_csv(tmp_path / "s.csv", sep=";", index=False)
    _same(read_survey(tmp_path / "s.csv", codebook), _reference(tmp_path, codebook, raw))


# --------------------------------------------------------------------- errors
def test_misspelled_column_gets_a_suggestion(tmp_path, codebook):
    path = write_csv(survey().rename(columns={"q1": "q_1", "l2": "Loyalty 2"}), tmp_path / "s.csv")
    err = error_of(path, codebook)
    assert "'q1'" in str(err) and "did you mean 'q_1'" in str(err)
    assert any("'l2'" in p and "not found" in p for p in err.problems)
    assert "'Loyalty 2'" in str(err)  # the unmatched extra column is shown as a hint


def test_out_of_range_answer_names_column_row_value_and_scale(tmp_path, codebook):
    raw = survey()
    raw.loc[3, "q2"] = 9
    raw.loc[7, "q2"] = 0
    err = error_of(write_csv(raw, tmp_path / "s.csv"), codebook)
    (problem,) = err.problems
    assert "'q2'" in problem and "1-5 scale" in problem
    assert "9" in problem and "0" in problem
    assert "rows 5 (id 104) and 9 (id 108)" in problem


def test_missing_value_codes_get_their_own_hint(tmp_path, codebook):
    raw = survey()
    raw.loc[1, "l1"] = -99
    (problem,) = error_of(write_csv(raw, tmp_path / "s.csv"), codebook).problems
    assert "-99" in problem and "missing-value code" in problem


def test_text_in_a_numeric_item_names_value_column_and_row(tmp_path, codebook):
    raw = survey().astype({"q3": object})
    raw.loc[6, "q3"] = "agree"
    err = error_of(write_csv(raw, tmp_path / "s.csv"), codebook)
    (problem,) = err.problems
    assert "'agree'" in problem and "'q3'" in problem and "row 8 (id 107)" in problem


def test_fractional_answer_on_a_likert_item(tmp_path, codebook):
    raw = survey()
    raw.loc[0, "l1"] = 2.5
    (problem,) = error_of(write_csv(raw, tmp_path / "s.csv"), codebook).problems
    assert "'l1'" in problem and "2.5" in problem and "whole" in problem and "row 2" in problem


def test_duplicate_ids_list_the_id_and_rows(tmp_path, codebook):
    raw = survey()
    raw.loc[7, "rid"] = raw.loc[2, "rid"]
    (problem,) = error_of(write_csv(raw, tmp_path / "s.csv"), codebook).problems
    assert "respondent id 103 appears 2 times" in problem and "rows 4 and 9" in problem


def test_empty_file_and_header_only_file(tmp_path, codebook):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "empty" in str(error_of(empty, codebook))
    header_only = tmp_path / "header.csv"
    header_only.write_text(",".join(survey().columns) + "\n")
    assert "no respondents" in str(error_of(header_only, codebook))


def test_unknown_format_lists_what_is_supported(tmp_path, codebook):
    path = tmp_path / "survey.dat"
    path.write_text("a,b\n1,2\n")
    message = str(error_of(path, codebook))
    assert ".dat" in message and "CSV" in message and ".xlsx" in message and ".sav" in message


def test_broken_excel_file_is_reported_as_unreadable(tmp_path, codebook):
    path = tmp_path / "broken.xlsx"
    path.write_text("this is not a workbook")
    assert "could not be opened as an Excel workbook" in str(error_of(path, codebook))


def test_constant_item_is_named_and_said_to_be_unusable(tmp_path, codebook):
    raw = survey().assign(l1=4.0)
    (problem,) = error_of(write_csv(raw, tmp_path / "s.csv"), codebook).problems
    assert "'l1'" in problem and "same answer (4)" in problem and "cannot be used" in problem


def test_respondent_without_any_answer_is_named(tmp_path, codebook):
    raw = survey()
    raw.loc[4, codebook.all_items] = np.nan
    (problem,) = error_of(write_csv(raw, tmp_path / "s.csv"), codebook).problems
    assert "answered none" in problem and "row 6 (id 105)" in problem


def test_excel_errors_use_sheet_row_numbers(tmp_path, codebook):
    openpyxl = pytest.importorskip("openpyxl")
    raw = survey()
    raw.loc[1, "q1"] = 6
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(raw.columns))
    for k, row in enumerate(raw.astype(object).where(raw.notna(), None).itertuples(index=False)):
        if k == 1:
            sheet.append([])  # a blank sheet row before the second respondent
        sheet.append(list(row))
    path = tmp_path / "s.xlsx"
    book.save(path)
    (problem,) = error_of(path, codebook).problems
    assert "'q1'" in problem and "row 4 (id 102)" in problem


def test_all_problems_come_together_and_long_lists_are_shortened(tmp_path, codebook):
    raw = survey(n=30).astype({"q3": object})
    raw.loc[:9, "q2"] = 7  # ten rows outside 1-5
    raw.loc[4, "q3"] = "n/a please"
    raw = raw.rename(columns={"l1": "L1"})
    err = error_of(write_csv(raw, tmp_path / "s.csv"), codebook)
    assert len(err.problems) == 4  # renamed column, its hint about the other extra column, q2, q3
    message = str(err)
    assert message.count("\n  - ") == 4
    assert "rows 2 (id 101), 3 (id 102), 4 (id 103), 5 (id 104), 6 (id 105) and 5 more" in message
    assert "did you mean 'L1'" in message and "'n/a please'" in message


def test_missing_file_says_so(tmp_path, codebook):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_survey(tmp_path / "nope.csv", codebook)
