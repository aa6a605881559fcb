"""Check a CFA/SEM results paragraph against a reporting checklist and against its tables.

The checklist follows the recommendations of Jackson, Gillaspy & Purc-Stephenson (2009,
"Reporting practices in confirmatory factor analysis: An overview and some recommendations",
*Psychological Methods* 14(1), 6-23) and the SEM module of the APA Journal Article Reporting
Standards for quantitative research (JARS-Quant; Appelbaum et al., 2018, *American
Psychologist* 73(1), 3-25): name the software and the estimator; give the sample size and how missing data
were handled; say how the factors were scaled (identification); report the chi-square with its
df and p, several fit indices (CFI, TLI, RMSEA with its 90% interval, SRMR); the standardized
loadings, reliability and AVE (Fornell & Larcker, 1981); evidence of discriminant validity
(HTMT, Henseler, Ringle & Sarstedt, 2015); the structural paths with confidence intervals; and
the R² of the endogenous variables.

The checklist is not complete. Jackson et al. also ask for a check of multivariate normality,
the input matrix or the data (so that others can reproduce the analysis), and the
unstandardized estimates with their standard errors (:data:`NOT_CHECKED`); a paragraph cannot
show these, the tables and the supplement must.

:func:`reporting_checklist` finds each item in the text and compares every number it finds
with the table value *at the precision printed*: "CFI = .95" agrees with a CFI of .951 and
"CFI = .96" does not.

The forms recognised are those of APA style, as
:func:`sqlib.report.narratives.results_section.results_paragraph` writes them: ``N = 875``,
``χ²(361) = 398.82, p = .083`` (also ``chi-square(361)``), ``CFI = .997``, ``RMSEA = .011,
90% CI [.000, .017]``, ``loadings ranged from .64 to .83``, ``composite reliability (ω) ranged
from .81 to .86``, ``AVE from .53 to .62``, ``HTMT was .63``, ``reliability → satisfaction: β =
0.29, 95% CI [0.20, 0.38]`` (also ``->``).
"""

from __future__ import annotations

import re

import pandas as pd

from sqlib.core.formatting import format_number
from .apa_tables import fit_statistics_table, measurement_table, path_table
from .narratives.results_section import scaling_method

__all__ = ["CHECKLIST_SOURCES", "NOT_CHECKED", "reporting_checklist", "agrees_at_printed_precision", "failed_items"]

JACKSON = "Jackson, Gillaspy & Purc-Stephenson (2009)"
JARS = "APA JARS-Quant SEM module (Appelbaum et al., 2018)"
FORNELL_LARCKER = "Fornell & Larcker (1981)"
HENSELER = "Henseler, Ringle & Sarstedt (2015)"
#: Where each checklist item comes from.
CHECKLIST_SOURCES = {
    "software": JACKSON, "estimator": JACKSON, "sample_size": JACKSON, "missing_data": f"{JACKSON}; {JARS}",
    "identification": JACKSON, "chi_square": JACKSON, "chi_square_p": JACKSON, "cfi": JACKSON, "tli": JACKSON,
    "rmsea": JACKSON, "rmsea_ci": JACKSON, "srmr": JACKSON, "loadings": JACKSON, "reliability": JARS,
    "ave": FORNELL_LARCKER, "discriminant_validity": f"{HENSELER} (HTMT); {FORNELL_LARCKER}", "path": JARS,
    "r_squared": JACKSON,
}
#: Items Jackson et al. (2009) ask for that this checklist does not check (a paragraph cannot show them).
NOT_CHECKED = ("a check of multivariate normality", "the input matrix or data (reproducibility)",
               "unstandardized estimates with standard errors")
_NUM = r"([-−]?\d*\.?\d+)"
_RANGE = rf"(?:from|between)\s*{_NUM}\s*(?:to|and|–|-)\s*{_NUM}"
_CI = rf"[\[(]\s*{_NUM}\s*(?:,|to|–)\s*{_NUM}\s*[\])]"


def _number(text: str) -> float:
    return float(text.replace("−", "-"))


def agrees_at_printed_precision(printed: str, value: float) -> bool:
    """True when ``value`` rounds to ``printed`` at the number of decimals printed.

    >>> agrees_at_printed_precision(".95", 0.951), agrees_at_printed_precision(".96", 0.951)
    (True, False)
    """
    text = printed.replace("−", "-")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return abs(_number(text) - float(value)) <= 0.5 * 10 ** -decimals + 1e-9


def _p_agrees(sign: str, printed: str, p: float) -> bool:
    if sign == "<":
        return p < _number(printed)
    if sign == ">":
        return p > _number(printed)
    return agrees_at_printed_precision(printed, p)


def _row(item: str, present: bool, agrees, reported: str = "", expected: str = "") -> dict:
    source = CHECKLIST_SOURCES["path" if item.startswith("path") else item]
    return {"item": item, "present": bool(present), "agrees_with_table": agrees if present else None,
            "reported": reported, "table_value": expected, "source": source}


def _software(text: str) -> dict:
    match = re.search(r"\b(?:sqlib|lavaan|Mplus|AMOS|LISREL|EQS|semopy|Stata|SAS)\b(?:\s+\d+(?:\.\d+)*)?", text, re.I)
    return _row("software", bool(match), None, match.group(0) if match else "")


def _estimator(text: str, result) -> dict:
    patterns = [("MLR", r"robust maximum likelihood|\bMLR\b"), ("WLSMV", r"\bWLSMV\b|weighted least squares"),
                ("ML", r"maximum likelihood|\bML\b")]
    for code, pattern in patterns:
        match = re.search(pattern, text, re.I)
        if match:
            return _row("estimator", True, code == result.estimator.upper(), match.group(0), result.estimator)
    return _row("estimator", False, None, expected=result.estimator)


def _sample(text: str, result) -> dict:
    match = re.search(r"\bN\s*=\s*(\d[\d,]*)", text)
    if not match:
        return _row("sample_size", False, None, expected=str(result.ntotal))
    return _row("sample_size", True, int(match.group(1).replace(",", "")) == result.ntotal, match.group(0),
                str(result.ntotal))


def _missing(text: str, result) -> dict:
    expected = "FIML" if result.missing in ("fiml", "ml") else f"listwise ({result.n_dropped} excluded)"
    fiml = re.search(r"FIML|full[- ]information", text, re.I)
    listwise = re.search(r"listwise|complete cases", text, re.I)
    none_missing = re.search(r"no (?:answers|data|values|responses) (?:were )?missing|no missing", text, re.I)
    if fiml:
        return _row("missing_data", True, result.missing in ("fiml", "ml"), fiml.group(0), expected)
    if listwise:
        return _row("missing_data", True, result.missing == "listwise", listwise.group(0), expected)
    if none_missing:
        return _row("missing_data", True, result.n_dropped == 0 and result.missing == "listwise",
                    none_missing.group(0), expected)
    return _row("missing_data", False, None, expected=expected)


_CHI = r"(?:χ²|χ2|chi-squared?|chi2)"


def _chi_square(text: str, fit: pd.Series) -> list[dict]:
    match = re.search(rf"{_CHI}\s*(?:\(scaled\))?\s*\(\s*(\d+)\s*(?:,\s*N\s*=\s*\d+\s*)?\)\s*=\s*{_NUM}", text, re.I)
    expected = f"χ²({int(fit['df'])}) = {fit['chisq']:.2f}"
    if match:
        df, chisq = match.groups()
        ok = int(df) == int(fit["df"]) and agrees_at_printed_precision(chisq, fit["chisq"])
        chi_row = _row("chi_square", True, ok, match.group(0), expected)
    else:
        chi_row = _row("chi_square", False, None, expected=expected)
    # the p of the test: the first "p =" after a chi-square is mentioned, whether or not its value is readable
    p_match = re.search(rf"{_CHI}[^;]*?\bp\s*([<>=])\s*{_NUM}", text, re.I)
    expected_p = format_number(fit["pvalue"], "p")
    if not p_match:
        return [chi_row, _row("chi_square_p", False, None, expected=expected_p)]
    sign, p = p_match.groups()
    return [chi_row, _row("chi_square_p", True, _p_agrees(sign, p, fit["pvalue"]), f"p {sign} {p}", expected_p)]


def _identification(text: str, measurement: pd.DataFrame) -> dict:
    expected = scaling_method(measurement)
    marker = re.search(r"marker|fixing the loading of (?:its|each factor's) first|first (?:loading|indicator)s? "
                       r"(?:was |were )?fixed", text, re.I)
    unit = re.search(r"(?:fixing|fixed) (?:its|their|each factor's) variances? (?:to|at) 1|unit variance|std\.lv",
                     text, re.I)
    found = marker or unit
    if not found:
        return _row("identification", False, None, expected=expected)
    return _row("identification", True, ("marker" if marker else "unit variance") == expected, found.group(0),
                expected)


def _r_squared(text: str, result, outcomes: list[str]) -> dict:
    expected = ", ".join(f"{name} {format_number(result.r2[name], 'fit')}" for name in outcomes)
    sentence = re.search(r"(?:R²|R2|R-squared)(?:[^.]|\.\d)*", text)
    if not sentence:
        return _row("r_squared", False, None, expected=expected)
    reported, ok = [], True
    for name in outcomes:
        value = re.search(rf"{_NUM}\s*(?:for|of)\s*{re.escape(name)}\b|\b{re.escape(name)}\s*[:=(]?\s*{_NUM}",
                          sentence.group(0))
        printed = value and (value.group(1) or value.group(2))
        ok = ok and bool(printed) and agrees_at_printed_precision(printed, result.r2[name])
        reported.append(f"{name} {printed or '?'}")
    return _row("r_squared", True, ok, ", ".join(reported), expected)


def _index(text: str, fit: pd.Series, name: str, pattern: str) -> dict:
    match = re.search(rf"\b(?:{pattern})\s*=\s*{_NUM}", text)
    expected = format_number(fit[name], "fit")
    if not match:
        return _row(name, False, None, expected=expected)
    return _row(name, True, agrees_at_printed_precision(match.group(1), fit[name]), match.group(0), expected)


def _rmsea_ci(text: str, fit: pd.Series) -> dict:
    match = re.search(rf"RMSEA\s*=\s*{_NUM}[^;]*?90\s*%\s*(?:CI|confidence interval)\s*[:=]?\s*{_CI}", text)
    expected = f"[{format_number(fit['rmsea_ci_lower'], 'fit')}, {format_number(fit['rmsea_ci_upper'], 'fit')}]"
    if not match:
        return _row("rmsea_ci", False, None, expected=expected)
    _, lower, upper = match.groups()
    ok = agrees_at_printed_precision(lower, fit["rmsea_ci_lower"]) and agrees_at_printed_precision(
        upper, fit["rmsea_ci_upper"])
    return _row("rmsea_ci", True, ok, f"90% CI [{lower}, {upper}]", expected)


def _range(text: str, item: str, pattern: str, values: pd.Series) -> dict:
    match = re.search(rf"(?:{pattern})[^.;]*?{_RANGE}", text, re.I)
    expected = f"{format_number(values.min(), 'fit')} to {format_number(values.max(), 'fit')}"
    if not match:
        return _row(item, False, None, expected=expected)
    low, high = match.groups()
    ok = agrees_at_printed_precision(low, values.min()) and agrees_at_printed_precision(high, values.max())
    return _row(item, True, ok, f"{low} to {high}", expected)


def _validity(text: str, validity: pd.DataFrame | None) -> dict:
    match = re.search(rf"HTMT[^.;\d]*?{_NUM}", text)
    mentioned = re.search(r"HTMT|Fornell|discriminant", text, re.I)
    if validity is None or validity.empty:
        return _row("discriminant_validity", bool(mentioned), None, mentioned.group(0) if mentioned else "")
    largest = validity["htmt"].max()
    expected = f"largest HTMT {format_number(largest, 'fit')}"
    if match:
        return _row("discriminant_validity", True, agrees_at_printed_precision(match.group(1), largest),
                    match.group(0), expected)
    return _row("discriminant_validity", bool(mentioned), None, mentioned.group(0) if mentioned else "", expected)


def _path(text: str, row) -> dict:
    name = f"path {row.predictor} → {row.outcome}"
    expected = (f"β = {row.beta:.3f}, 95% CI [{row.beta_ci_lower:.3f}, {row.beta_ci_upper:.3f}]")
    match = re.search(rf"\b{re.escape(row.predictor)}\s*(?:→|->)\s*{re.escape(row.outcome)}\b[^;]*?"
                      rf"(?:β|beta)\s*=\s*{_NUM}[^;]*?CI\s*{_CI}", text, re.I)
    if not match:
        return _row(name, False, None, expected=expected)
    beta, lower, upper = match.groups()
    ok = all(agrees_at_printed_precision(printed, value) for printed, value in
             ((beta, row.beta), (lower, row.beta_ci_lower), (upper, row.beta_ci_upper)))
    return _row(name, True, ok, f"β = {beta}, 95% CI [{lower}, {upper}]", expected)


def reporting_checklist(paragraph: str, result, *, validity: pd.DataFrame | None = None,
                        codebook=None) -> pd.DataFrame:
    """Which checklist items a results paragraph reports, and whether its numbers match the tables.

    Parameters
    ----------
    paragraph : str
        The results text (APA style, see the module docstring for the forms recognised).
    result : SEMResult
        The fitted model the paragraph reports; its tables (:func:`fit_statistics_table`,
        :func:`measurement_table`, :func:`path_table`) are the reference.
    validity : DataFrame, optional
        :func:`sqlib.analysis.reliability.discriminant_validity` of the model; the largest
        HTMT reported is compared with it.
    codebook : Codebook, optional
        Orders the constructs of the measurement table.

    Returns
    -------
    DataFrame
        One row per item: ``item`` (``software``, ``estimator``, ``sample_size``, ``missing_data``,
        ``identification``, ``chi_square``, ``chi_square_p``, ``cfi``, ``tli``, ``rmsea``,
        ``rmsea_ci``, ``srmr``, ``loadings``, ``reliability``, ``ave``, ``discriminant_validity``,
        then ``path <predictor> → <outcome>`` for every structural path and, when there are
        paths, ``r_squared`` of their outcomes); ``present`` (found in the text);
        ``agrees_with_table`` (True/False; None when the item is absent or has no number to
        compare); ``reported`` (what was found); ``table_value`` (what the table says);
        ``source`` (the guideline that asks for it).

    Examples
    --------
    >>> import sqlib
    >>> fit = sqlib.fit(sqlib.models.cfa_syntax(), sqlib.load_sample())
    >>> table = reporting_checklist("The model was estimated with ML on N = 875 respondents; CFI = .95.", fit)
    >>> table.set_index("item").loc[["estimator", "sample_size", "cfi", "rmsea"], ["present", "agrees_with_table"]]
    ... # doctest: +NORMALIZE_WHITESPACE
                 present agrees_with_table
    item
    estimator       True              True
    sample_size     True              True
    cfi             True             False
    rmsea          False              None

    R equivalent: none (the checklist is applied by hand in R workflows).
    """
    fit = fit_statistics_table(result).iloc[0]
    measurement = measurement_table(result, codebook)
    items = measurement[measurement["item"].isin(result.observed)]
    constructs = items.drop_duplicates("construct")
    rows = [_software(paragraph), _estimator(paragraph, result), _sample(paragraph, result), _missing(paragraph, result),
            _identification(paragraph, measurement), *_chi_square(paragraph, fit), _index(paragraph, fit, "cfi", "CFI"),
            _index(paragraph, fit, "tli", "(?:TLI|NNFI)"), _index(paragraph, fit, "rmsea", "RMSEA"),
            _rmsea_ci(paragraph, fit), _index(paragraph, fit, "srmr", "SRMR"),
            _range(paragraph, "loadings", r"loadings?", items["std_loading"]),
            _range(paragraph, "reliability", r"composite reliability|\bCR\b|omega|ω", constructs["omega"]),
            _range(paragraph, "ave", r"\bAVE\b|average variance extracted", constructs["ave"]),
            _validity(paragraph, validity)]
    paths = path_table(result)
    rows += [_path(paragraph, row) for row in paths.itertuples()]
    if len(paths):
        rows.append(_r_squared(paragraph, result, list(dict.fromkeys(paths["outcome"]))))
    return pd.DataFrame(rows, columns=["item", "present", "agrees_with_table", "reported", "table_value", "source"])


def failed_items(checklist: pd.DataFrame) -> pd.DataFrame:
    """The rows of a checklist that are missing or disagree with the table."""
    disagree = checklist["agrees_with_table"].map(lambda v: v is False or v is not None and not bool(v))
    return checklist[~checklist["present"] | disagree]
