"""Text for the data-screening section (notebook 01)."""

from __future__ import annotations

import pandas as pd

from sqlib.report.presentation import format_p


def reading_notes(data: pd.DataFrame) -> str:
    """What reading the file noted (delimiter, dropped empty columns, missing-value codes), or ""."""
    notes = list(data.attrs.get("notes", []))
    return " ".join(note if note.endswith(".") else note + "." for note in notes)


def coverage_text(problems: list[str]) -> str:
    """Items a whole group or wave left unanswered (:meth:`StudyDesign.coverage_problems`), or ""."""
    if not problems:
        return ""
    return "Notes on the data: " + " ".join(p if p.endswith(".") else p + "." for p in problems)


def mardia_text(mardia: pd.DataFrame | None) -> str:
    """What Mardia's tests say about multivariate normality and the estimator to use."""
    if mardia is None:
        return "Mardia's tests were not computed: there are fewer complete respondents than items."
    tests = mardia.set_index("test")
    skew_p, kurt_p = tests.at["skewness", "p_value"], tests.at["kurtosis", "p_value"]
    opening = (f"On the {int(tests.at['skewness', 'n'])} complete respondents and {int(tests.at['skewness', 'p'])} "
               f"items, the multivariate skewness test gives {format_p(skew_p)} and the kurtosis test "
               f"{format_p(kurt_p)}. ")
    if skew_p >= 0.05 and kurt_p >= 0.05:
        return opening + ("Neither test rejects normality at the 5 % level for these items, so ordinary maximum "
                      "likelihood (ML) is a reasonable choice. The model notebooks (estimator 'auto') repeat the test "
                      "on their own model items and choose ML or MLR.")
    return opening + ("At least one test rejects normality at the 5 % level: these answers are not multivariate "
                      "normal. Ordinary ML estimates stay usable, but its standard errors and chi-square test "
                      "become too optimistic, so models of these items call for robust ML (MLR: robust standard "
                      "errors and a scaled test statistic). The model notebooks (estimator 'auto') repeat the test "
                      "on their own model items and choose ML or MLR.")


def summary(data: pd.DataFrame, items: list[str], screening) -> str:
    """Respondents, items, incomplete respondents, straightliners and Mardia's verdict."""
    n_incomplete = int((~screening.missing["complete"]).sum())
    text = (f"{len(data)} respondents answered {len(items)} items; {n_incomplete} left at least one item "
            f"unanswered and {len(screening.straightliners)} gave the same answer throughout.")
    if screening.mardia is not None:
        rejects = bool((screening.mardia["p_value"] < 0.05).any())
        text += f" Mardia's tests {'reject' if rejects else 'do not reject'} multivariate normality."
    return text


__all__ = ["reading_notes", "coverage_text", "mardia_text", "summary"]
