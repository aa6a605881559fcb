"""Rules of the wave-tracking narrative (issue 13): the codebook's wave column, a reason instead of a crash
without waves, changes backed only by an acceptable invariance model, numbers equal to the table's."""

from __future__ import annotations

import pandas as pd
import pytest

import sqlib
from sqlib.survey.codebook import Codebook, Construct
from sqlib.analysis.design import study_design
from sqlib.report.narratives import waves as narrative
from sqlib.report.presentation import format_table
from sqlib.analysis.waves import wave_changes, wave_invariance


@pytest.fixture(scope="module")
def sample():
    return sqlib.load_sample()


def _changes():
    return pd.DataFrame({
        "construct": ["a", "b", "a", "b"], "wave_from": ["1", "1", "2", "2"], "wave_to": ["2", "2", "3", "3"],
        "change": [0.2441, -0.05, -0.31, 0.01], "hedges_g": [0.248, -0.05, -0.3, 0.01],
        "p_holm": [0.0171, 0.6, 0.0004, 0.9], "flag": [False, False, True, True],
        "invariance_shown": [True, True, False, False],
        "invariance_note": ["scalar invariance across waves supported", "ok", "a1~1 differs in wave 3", "x"]})


def test_unavailable_says_why(sample):
    design = study_design(None)
    assert narrative.unavailable(design, sample, "wave") == ""
    assert "names no wave column" in narrative.unavailable(design, sample, "")
    assert "'round' is not in the data" in narrative.unavailable(design, sample, "round")
    one = sample[sample["wave"] == sample["wave"].iloc[0]]
    assert narrative.unavailable(design, one, "wave").startswith("Only 1 wave(s) in column 'wave'")
    assert narrative.skipped("Only 1 wave(s).").startswith("**Waves were not compared.**")


def test_changes_text_reports_the_tables_numbers_and_flags():
    changes = _changes()
    text = narrative.changes_text(changes)
    cells = format_table(changes).cells
    assert f"a rose by {cells.loc[0, 'change']} (g = {cells.loc[0, 'hedges_g']}, Holm-adjusted p = .017)" in text
    assert "a fell by 0.310 (g = -0.300, Holm-adjusted p < .001, not backed by invariance)" in text
    assert "b rose" not in text and "b fell" not in text  # not significant after Holm
    assert "Flagged changes may reflect items working differently" in text and "a1~1 differs in wave 3" in text
    assert "Every comparison is backed" not in text


def test_no_significant_change_is_said_per_pair():
    changes = _changes().assign(p_holm=0.5)
    text = narrative.changes_text(changes)
    assert text.count("no construct changed significantly") == 2


def test_poor_configural_model_backs_no_change(sample):
    """Two constructs forced into one factor misfit in every wave: no invariance level, every change flagged."""
    cb = Codebook("one factor", [Construct("both", ["sat1", "sat2", "sat3", "loy1", "loy2", "loy3", "loy4"],
                                           "outcome")], wave_column="wave")
    check = wave_invariance(sample, cb)
    assert not check.holds
    assert check.verdicts["invariance_note"].str.contains("configural model across waves does not fit").all()
    text = narrative.invariance_verdict(check)
    assert "**not supported**" in text and "holds in every wave for 0 of 1 constructs" in text
    changes = wave_changes(sample, cb, invariance=check)
    assert changes["flag"].all()


def test_summary_on_the_sample_matches_its_tables(sample):
    design = study_design(None)
    check = wave_invariance(sample, design.codebook, constructs=["satisfaction", "loyalty"])
    changes = wave_changes(sample, design.codebook, constructs=["satisfaction", "loyalty"], invariance=check)
    text = narrative.summary("Waves compared (wave): ...", changes, check)
    assert narrative.changes_text(changes) in text
    assert narrative.invariance_verdict(check) in text
    backed = int(check.constructs["invariance_shown"].sum())
    assert f"holds in every wave for {backed} of 2 constructs" in text
    latent = check.latent_means()
    with_latent = narrative.summary("Waves compared (wave): ...", changes, check, latent=latent)
    assert narrative.latent_means_text(latent, check) in with_latent
    significant = latent[latent["pvalue"] < 0.05]
    sentence = narrative.latent_means_text(latent, check)
    for row in significant.itertuples():
        assert f"{row.factor} in wave {row.wave}" in sentence
    if len(latent) and significant.empty:
        assert sentence.startswith("No latent mean differs significantly")


def test_latent_means_text_lists_only_significant_differences():
    latent = pd.DataFrame({"factor": ["a", "b"], "wave": ["2", "2"], "mean_diff": [0.35, 0.05], "d": [0.42, 0.06],
                           "pvalue": [0.0004, 0.40]})
    sentence = narrative.latent_means_text(latent, None)
    assert "a in wave 2" in sentence and "b in wave" not in sentence and "not adjusted for the 2" in sentence
    latent["pvalue"] = [0.2, 0.4]
    assert narrative.latent_means_text(latent, None).startswith("No latent mean differs significantly")


REALDATA = sqlib.config.PROJECT_ROOT.parent / "shared" / "realdata"


@pytest.mark.skipif(not (REALDATA / "mobi.csv").is_file(),
                    reason=f"real survey data not found at {REALDATA} (the shared folder beside the project)")
@pytest.mark.parametrize("notebook, opening", [("06_wave_tracking", "**Waves were not compared.**"),
                                               ("04_measurement_invariance",
                                                "**Measurement invariance was not tested.**")])
def test_notebook_without_waves_or_groups_shows_the_reason_instead_of_crashing(tmp_path, notebook, opening):
    import papermill as pm

    from sqlib import config

    pm.execute_notebook(str(config.NOTEBOOKS_DIR / f"{notebook}.ipynb"), str(tmp_path / "nb.ipynb"),
                        parameters={"data_path": str(REALDATA / "mobi.csv"),
                                    "codebook_path": str(config.PROJECT_ROOT / "examples" / "ecsi_mobi" / "codebook.yaml"),
                                    "output_dir": str(tmp_path)},
                        cwd=str(config.NOTEBOOKS_DIR), kernel_name="python3", progress_bar=False)
    summary = (tmp_path / "summaries" / f"{notebook}.md").read_text(encoding="utf-8")
    assert summary.startswith(opening) and "names no" in summary
    assert not (tmp_path / "tables").exists()  # nothing was computed
