"""Exploring a model step by step: fit, read the misfit, free a parameter, compare, go back, export.

:class:`ModelExplorer` is the logic behind :func:`sqlib.explore` (the widget in
:mod:`sqlib.report.explorer_view` is a thin view over it) and works just as well
in a plain script or notebook:

>>> from sqlib.report.explorer import ModelExplorer
>>> explorer = ModelExplorer.sample(model="tangibles =~ tan1 + tan2 + tan3 + tan4")
>>> first = explorer.fit()
>>> explorer.add_modification(0)       # the largest modification index
'tan2 ~~ tan4'
>>> second = explorer.fit()
>>> list(explorer.comparison()["change"])
['start', '+ tan2 ~~ tan4']

Every fit is kept in :attr:`ModelExplorer.history` with its syntax, options and
result; :meth:`~ModelExplorer.comparison` tests each model against the one it was
derived from (chi-square difference, scaled for MLR, via :func:`sqlib.compare`), and
:meth:`~ModelExplorer.export_params` writes a report parameters file that
``sqlib report --params`` runs.
"""

from __future__ import annotations

import io
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sqlib.core import config
from sqlib.core.errors import ModelSpecificationError, ReportError
from sqlib.sem.checks import condensed
from sqlib.sem.compare import compare
from sqlib.sem.pipeline import fit as fit_model
from sqlib.sem.syntax import parse
from sqlib.survey.codebook import Codebook, load_codebook

#: Options of :func:`sqlib.fit` the explorer passes on (others keep their defaults).
FIT_OPTIONS = ("estimator", "missing", "ordered", "se", "bootstrap", "seed")

#: Values that are sqlib.fit's defaults: setting them is the same as leaving them unset.
FIT_DEFAULTS = {"missing": "listwise", "se": "standard"}


def default_report_notebooks() -> list[str]:
    """The notebooks of the bundled parameters file (``notebooks/params/default.yaml``): what
    ``make report`` runs and what an exported parameters file runs unless told otherwise."""
    return list(yaml.safe_load(config.DEFAULT_PARAMS.read_text(encoding="utf-8"))["notebooks"])


#: Fit measures shown for each model, in this order.
SHOWN_MEASURES = ("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic")


@dataclass(frozen=True)
class HistoryEntry:
    """One fitted model of an exploration.

    Attributes
    ----------
    name : str
        "model 1", "model 2", ... unless the user named it.
    syntax : str
        The lavaan syntax that was fitted.
    options : dict
        The options passed to :func:`sqlib.fit` (estimator, missing, ordered, ...).
    result : SEMResult
    parent : int or None
        Position in the history of the model this one was derived from.
    change : str
        What changed against the parent: ``"+ sat1 ~~ sat2"``, ``"- emp =~ emp5"``,
        ``"estimator: ML -> MLR"``; ``"start"`` for the first model.
    seconds : float
        Time the fit took.
    """

    name: str
    syntax: str
    options: dict
    result: object = field(repr=False)
    parent: int | None = None
    change: str = "start"
    seconds: float = 0.0


class FitJob:
    """A fit running on a background thread; :meth:`cancel` makes the explorer ignore its result.

    The estimation itself is not interrupted (cancellation is cooperative): a cancelled
    job's result is dropped when it arrives, and the history is left as it was.
    """

    def __init__(self, explorer: "ModelExplorer", name: str | None, on_done=None):
        self.explorer, self.name, self.on_done = explorer, name, on_done
        self.entry: HistoryEntry | None = None
        self.error: Exception | None = None
        self.cancelled = False
        self.finished = False  # the fit has ended (with a result or an error)
        self.started = time.monotonic()
        self.syntax, self.options = explorer.syntax, dict(explorer.options)
        self.thread = threading.Thread(target=self._run, daemon=True)

    @property
    def done(self) -> bool:
        return not self.thread.is_alive()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def cancel(self) -> None:
        self.cancelled = True

    def wait(self, timeout: float | None = None) -> HistoryEntry | None:
        self.thread.join(timeout)
        return self.entry

    def _run(self) -> None:
        try:
            result, seconds = self.explorer.run_fit(self.syntax, self.options)
            if not self.cancelled:
                self.entry = self.explorer.record(self.syntax, self.options, result, seconds, self.name)
        except Exception as exc:  # shown by the view; the history is unchanged
            self.error = exc
        self.finished = True
        if self.on_done is not None and not self.cancelled:
            self.on_done(self)


class ModelExplorer:
    """Fit, modify, compare and export lavaan models of one survey.

    Parameters
    ----------
    data : DataFrame
        The survey as :func:`sqlib.read_survey` returns it.
    codebook : Codebook, str, Path or None
        The instrument (object or YAML path); gives the construct and item pickers, the
        starting model and the report export. None: pickers list the data's numeric columns.
    model : str, optional
        Starting lavaan syntax; default: the codebook's study design (measurement part
        plus the SERVQUAL chain when the codebook has that shape, else a CFA).
    data_path : str or Path, optional
        The survey file the data came from (needed by :meth:`export_params`).
    **options
        Options of :func:`sqlib.fit`: ``estimator``, ``missing``, ``ordered``, ``se``,
        ``bootstrap``, ``seed``.
    """

    def __init__(self, data: pd.DataFrame, codebook=None, model: str | None = None, *,
                 data_path: str | Path | None = None, **options):
        self.codebook: Codebook | None = None if codebook is None else load_codebook(codebook)
        self.codebook_path = Path(codebook).resolve() if isinstance(codebook, (str, Path)) else None
        self.data_path = Path(data_path).resolve() if data_path is not None else None
        self.data = self._model_data(data)
        self.options: dict = {}
        self.set_options(**options)
        self.syntax: str = model if model is not None else self.starting_model()
        self.history: list[HistoryEntry] = []
        self.current: int | None = None
        self.shown_modindices: pd.DataFrame | None = None

    # ------------------------------------------------------------ construction
    @classmethod
    def sample(cls, model: str | None = None, **options) -> "ModelExplorer":
        """An explorer on the bundled SERVQUAL sample (900 respondents) and its codebook."""
        from sqlib.survey.io import load_sample

        return cls(load_sample(), config.SAMPLE_CODEBOOK, model, data_path=config.SAMPLE_DATA, **options)

    @classmethod
    def from_files(cls, data_path: str | Path, codebook=None, model: str | None = None,
                   **options) -> "ModelExplorer":
        """An explorer on a survey file read with :func:`sqlib.read_survey` (None codebook: SERVQUAL)."""
        from sqlib.survey.io import read_survey

        codebook = config.SAMPLE_CODEBOOK if codebook is None else codebook
        return cls(read_survey(data_path, codebook), codebook, model, data_path=data_path, **options)

    def _model_data(self, data: pd.DataFrame) -> pd.DataFrame:
        if not isinstance(data, pd.DataFrame):
            raise ModelSpecificationError(
                f"The explorer needs the survey as a DataFrame, got {type(data).__name__}; read it with "
                "sqlib.read_survey(path, codebook) or pass the file path to sqlib.explore(path, codebook=...).")
        if self.codebook is None:
            return data
        from sqlib.analysis.design import study_design

        return study_design(self.codebook).model_data(data)

    def starting_model(self) -> str:
        """The codebook's study design as lavaan syntax (SEM when it has a structural model, else a CFA)."""
        if self.codebook is None:
            return ""
        from sqlib.analysis.design import study_design

        design = study_design(self.codebook)
        return design.sem_syntax() if design.has_structural_model else design.cfa_syntax()

    def set_options(self, **options) -> dict:
        """Set options of the next fit (None, ``""`` or sqlib.fit's default value leave the option unset)."""
        unknown = sorted(set(options) - set(FIT_OPTIONS))
        if unknown:
            raise ModelSpecificationError(
                f"The explorer does not pass {', '.join(unknown)} to sqlib.fit; it passes {', '.join(FIT_OPTIONS)}. "
                "For other options fit the exported syntax with sqlib.fit directly.")
        for key, value in options.items():
            if value is None or value == "" or value == [] or FIT_DEFAULTS.get(key) == value:
                self.options.pop(key, None)
            else:
                self.options[key] = value
        return dict(self.options)

    # ------------------------------------------------------------ pickers
    def constructs(self) -> list[str]:
        """Construct names of the codebook (empty without one)."""
        return list(self.codebook.construct_names) if self.codebook is not None else []

    def items(self, construct: str | None = None) -> list[str]:
        """Items of ``construct``; without one, every item of the codebook (or numeric column of the data)."""
        if self.codebook is None:
            return [c for c in self.data.columns if pd.api.types.is_numeric_dtype(self.data[c])]
        if construct is None:
            return [item for name in self.codebook.construct_names for item in self.codebook.items_of(name)]
        return list(self.codebook.items_of(construct))

    def measurement_line(self, construct: str, items: list[str] | None = None) -> str:
        """``construct =~ item1 + item2 + ...`` (default: all of its items in the codebook)."""
        items = list(items) if items is not None else self.items(construct)
        if len(items) < 1:
            raise ModelSpecificationError(f"Pick at least one item for {construct!r}.")
        return f"{construct} =~ " + " + ".join(items)

    def add_line(self, line: str) -> str:
        """Append one line of lavaan syntax to the model (returned unchanged)."""
        line = line.strip()
        parse(line)  # a line that cannot be parsed is refused here, not at the next fit
        self.syntax = (self.syntax.rstrip() + "\n" + line).strip() if self.syntax.strip() else line
        return line

    def add_construct(self, construct: str, items: list[str] | None = None) -> str:
        """Append the measurement line of ``construct`` (see :meth:`measurement_line`)."""
        return self.add_line(self.measurement_line(construct, items))

    # ------------------------------------------------------------ fitting
    def run_fit(self, syntax: str, options: dict):
        """Fit ``syntax`` with ``options`` (no history entry): ``(result, seconds)``."""
        start = time.perf_counter()
        result = fit_model(syntax, self.data, progress=False, **options)
        return result, time.perf_counter() - start

    def fit(self, name: str | None = None) -> HistoryEntry:
        """Fit the current syntax with the current options and add the model to the history."""
        result, seconds = self.run_fit(self.syntax, self.options)
        return self.record(self.syntax, dict(self.options), result, seconds, name)

    def fit_in_background(self, name: str | None = None, on_done=None) -> FitJob:
        """Start :meth:`fit` on a thread; ``on_done(job)`` is called when it ends (not when cancelled)."""
        job = FitJob(self, name, on_done)
        job.thread.start()
        return job

    def record(self, syntax: str, options: dict, result, seconds: float = 0.0,
               name: str | None = None) -> HistoryEntry:
        """Add a fitted model to the history, derived from the current one; it becomes current."""
        parent = self.current
        change = "start" if parent is None else describe_change(self.history[parent], syntax, options)
        entry = HistoryEntry(name or f"model {len(self.history) + 1}", syntax, dict(options), result, parent,
                             change, seconds)
        self.history.append(entry)
        self.current = len(self.history) - 1
        self.shown_modindices = None
        return entry

    @property
    def result(self):
        """Result of the current model (None before the first fit)."""
        return None if self.current is None else self.history[self.current].result

    def rename(self, index: int, name: str) -> None:
        """Give history entry ``index`` (0-based) a name of the user's."""
        entry = self._entry(index)
        self.history[index] = HistoryEntry(name, entry.syntax, entry.options, entry.result, entry.parent,
                                           entry.change, entry.seconds)

    def go_back(self, index: int) -> HistoryEntry:
        """Make history entry ``index`` current again: its syntax and options return to the editor.

        The later models stay in the history; the next fit is derived from this one.
        """
        entry = self._entry(index)
        self.current, self.syntax, self.options = index, entry.syntax, dict(entry.options)
        self.shown_modindices = None
        return entry

    def _entry(self, index: int) -> HistoryEntry:
        if not 0 <= index < len(self.history):
            raise IndexError(f"The history has {len(self.history)} models (0 to {len(self.history) - 1}); "
                             f"there is no model {index}.")
        return self.history[index]

    def _require_result(self, what: str):
        if self.result is None:
            raise ModelSpecificationError(f"Fit the model first (explorer.fit()); {what} come from a fitted model.")
        return self.result

    # ------------------------------------------------------------ modification indices
    def modindices(self, top: int = 10, minimum: float = 0.0, *, op: str | None = None,
                   lhs: str | list[str] | None = None) -> pd.DataFrame:
        """The ``top`` largest modification indices of the current model, each with the line that frees it.

        ``op`` keeps one kind (``"~"`` paths, ``"~~"`` covariances, ``"=~"`` loadings) and ``lhs``
        one or more left-hand sides (e.g. the final outcomes, for direct paths into them).
        Returns lavaan's ``modindices()`` columns (``lhs, op, rhs, group, mi, epc, sepc_lv,
        sepc_all``) plus ``line``; :meth:`add_modification` takes a row position of this table.
        """
        table = self._require_result("modification indices").modindices(minimum=minimum)
        if op is not None:
            table = table[table["op"] == op]
        if lhs is not None:
            table = table[table["lhs"].isin([lhs] if isinstance(lhs, str) else list(lhs))]
        table = table.head(top).copy()
        table["line"] = [parameter_line(row) for _, row in table.iterrows()]
        self.shown_modindices = table.reset_index(drop=True)
        return self.shown_modindices

    def add_parameter(self, row) -> str:
        """Free one parameter: a modification-index row (``lhs``, ``op``, ``rhs``) or a syntax line."""
        return self.add_line(row if isinstance(row, str) else parameter_line(row))

    def add_modification(self, index: int) -> str:
        """Free the parameter of row ``index`` of the last :meth:`modindices` table (computed if needed)."""
        table = self.shown_modindices if self.shown_modindices is not None else self.modindices()
        if not 0 <= index < len(table):
            raise IndexError(f"The modification-index table has {len(table)} rows; there is no row {index}.")
        return self.add_parameter(table.iloc[index])

    # ------------------------------------------------------------ comparison
    def comparison(self) -> pd.DataFrame:
        """One row per fitted model, each tested against the model it was derived from.

        Columns: ``model, change, based_on, estimator`` and :data:`SHOWN_MEASURES`, then
        ``delta_chisq, delta_df, delta_pvalue`` (from :func:`sqlib.compare`: likelihood-ratio
        difference for ML, Satorra-Bentler scaled difference for MLR, DIFFTEST for WLSMV),
        ``delta_cfi, delta_rmsea`` and ``test`` (the method, or why no test was made).
        """
        rows = []
        for entry in self.history:
            row = {"model": entry.name, "change": entry.change,
                   "based_on": "" if entry.parent is None else self.history[entry.parent].name,
                   "estimator": entry.result.estimator}
            row.update({key: float(entry.result.fit_measures.get(key, np.nan)) for key in SHOWN_MEASURES})
            row.update(self._difference(entry))
            rows.append(row)
        return pd.DataFrame(rows)

    def _difference(self, entry: HistoryEntry) -> dict:
        out = {"delta_chisq": np.nan, "delta_df": np.nan, "delta_pvalue": np.nan,
               "delta_cfi": np.nan, "delta_rmsea": np.nan, "test": ""}
        if entry.parent is None:
            return out
        parent = self.history[entry.parent]
        now, before = entry.result.fit_measures, parent.result.fit_measures
        out["delta_cfi"] = float(now.get("cfi", np.nan) - before.get("cfi", np.nan))
        out["delta_rmsea"] = float(now.get("rmsea", np.nan) - before.get("rmsea", np.nan))
        reason = not_nested_reason(parent.result, entry.result)
        if reason:
            out["test"] = f"no difference test: {reason}"
            return out
        table = compare(parent.result, entry.result, names=[parent.name, entry.name])
        out.update({key: float(table.loc[1, key]) for key in ("delta_chisq", "delta_df", "delta_pvalue")})
        out["test"] = difference_method(entry.result.estimator)
        return out

    # ------------------------------------------------------------ outputs of the current model
    def fit_measures(self) -> pd.Series:
        """The current model's main fit measures (:data:`SHOWN_MEASURES`, robust versions when present)."""
        fm = self._require_result("fit measures").fit_measures
        keys = [k for k in SHOWN_MEASURES if k in fm]
        keys += [k for k in ("chisq_scaled", "cfi_robust", "tli_robust", "rmsea_robust") if k in fm]
        return fm[keys]

    def diagnostics(self) -> pd.DataFrame:
        """The current model's diagnostics (``result.diagnostics``), notes of one kind on one row."""
        return condensed(self._require_result("diagnostics").diagnostics)

    def diagram_png(self, dpi: int = 90) -> bytes:
        """The current model's path diagram (:func:`sqlib.semplots.path_diagram`) as PNG bytes."""
        import matplotlib.pyplot as plt

        from .path_diagrams import path_diagram

        ax = path_diagram(self._require_result("the path diagram"))
        buffer = io.BytesIO()
        ax.figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
        plt.close(ax.figure)
        return buffer.getvalue()

    # ------------------------------------------------------------ export
    def export_syntax(self, path: str | Path, index: int | None = None) -> Path:
        """Write the syntax of history entry ``index`` (default: the current model, else the editor's) to ``path``."""
        syntax = self.syntax if index is None and self.current is None else \
            self._entry(self.current if index is None else index).syntax
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(syntax.rstrip() + "\n", encoding="utf-8")
        return path

    def report_params(self, index: int | None = None, *, params_dir: str | Path = ".",
                      run_name: str = "explored-model", notebooks: list[str] | None = None,
                      seed: int = config.SAMPLE_SEED, language: str = "en") -> tuple[dict, list[str]]:
        """The report parameters of a history entry (default: current) and what they leave out.

        Returns ``(params, notes)``: ``params`` holds the keys of a parameters file with
        ``data`` and ``codebook`` relative to ``params_dir``; ``notes`` lists the parts of
        the model a report cannot take (the report builds the measurement part from the
        codebook, so item-level changes such as residual covariances are listed there).
        """
        entry = self._entry(self.current if index is None else index)
        if self.codebook is None:
            raise ReportError("A report needs a codebook (which items measure which construct); create the "
                              "explorer with codebook=... to export report parameters, or export the syntax.")
        if self.data_path is None:
            raise ReportError("export_params needs the survey file the data came from; create the explorer with "
                              "data_path=... (sqlib.explore('survey.csv', codebook=...) remembers it), or use "
                              "export_syntax to keep the model only.")
        notebooks = default_report_notebooks() if notebooks is None else list(notebooks)
        structural, notes = split_for_report(entry.syntax, self.codebook)
        parameters, option_notes = report_options(entry.options)
        params = {"run_name": run_name, "data": relative_path(self.data_path, params_dir),
                  "codebook": relative_path(self.codebook_path or Path(params_dir) / "codebook.yaml", params_dir),
                  "seed": int(seed), "language": language, "notebooks": list(notebooks),
                  "structural_model": structural}
        if "02_measurement_model" not in params["notebooks"]:
            parameters["notebook_parameters"] = {}
        params.update(parameters)
        return params, notes + option_notes

    def export_params(self, path: str | Path, index: int | None = None, **keys) -> Path:
        """Write a report parameters file for a history entry (default: the current model).

        The file passes ``sqlib validate --params`` (it is checked here with the runner's
        :func:`~sqlib.report.runner.load_params`) and starts a report with
        ``sqlib report --params FILE``. Parts of the model a report cannot take are written
        as comments at the top of the file. A codebook given as an object (not a file) is
        written beside it as ``codebook.yaml``. ``keys`` go to :meth:`report_params`.
        """
        from .runner import load_params

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        params, notes = self.report_params(index, params_dir=path.parent, **keys)
        if self.codebook_path is None:
            self.codebook.to_yaml(path.parent / "codebook.yaml")
        entry = self._entry(self.current if index is None else index)
        header = [f"# Report parameters exported by the sqlib model explorer ({entry.name}: {entry.change}).",
                  "# Run: sqlib report --params " + path.name]
        header += [f"# Not carried over: {note}" for note in notes]
        path.write_text("\n".join(header) + "\n" + params_yaml(params), encoding="utf-8")
        load_params(path)
        return path


# ------------------------------------------------------------------ helpers (public: used by the view and tests)
def parameter_line(row) -> str:
    """The syntax line that frees a modification-index row: ``lhs op rhs`` (``y ~ 1`` for intercepts)."""
    lhs, op, rhs = str(row["lhs"]), str(row["op"]), str(row["rhs"])
    if op == "~1":
        return f"{lhs} ~ 1"
    return f"{lhs} {op} {rhs}"


def statement_keys(syntax: str) -> list[str]:
    """Each relation of ``syntax`` as one normalised line (sums split, ``:=`` definitions kept)."""
    statements, definitions = parse(syntax)
    keys = []
    for s in statements:
        prefix = ""
        if s.modifier.fixed or s.modifier.labels:
            values = s.modifier.labels if any(s.modifier.labels) else s.modifier.fixed
            prefix = "*".join("NA" if v is None else str(v) for v in values[:1]) + "*"
        keys.append(f"{s.lhs} {s.op} {prefix}{s.rhs}".rstrip())
    keys += [f"{name} := {expression}" for name, expression, _ in definitions]
    return keys


def describe_change(parent: HistoryEntry, syntax: str, options: dict) -> str:
    """``"+ line"`` / ``"- line"`` per relation added or removed, and ``"key: old -> new"`` per option."""
    try:
        before, after = statement_keys(parent.syntax), statement_keys(syntax)
    except ModelSpecificationError:
        before, after = parent.syntax.splitlines(), syntax.splitlines()
    parts = [f"+ {k}" for k in after if k not in before] + [f"- {k}" for k in before if k not in after]
    for key in sorted(set(parent.options) | set(options)):
        old, new = parent.options.get(key, "default"), options.get(key, "default")
        if old != new:
            parts.append(f"{key}: {old} -> {new}")
    return "; ".join(parts) or "refit (no change)"


def not_nested_reason(first, second) -> str:
    """Why two results cannot be compared by a difference test (empty when they can)."""
    if first.estimator != second.estimator:
        return f"different estimators ({first.estimator}, {second.estimator})"
    if sorted(first.observed) != sorted(second.observed):
        return "the models use different items"
    if first.ntotal != second.ntotal:
        return f"different numbers of respondents ({first.ntotal}, {second.ntotal})"
    df1, df2 = int(first.fit_measures["df"]), int(second.fit_measures["df"])
    if df1 == df2:
        return "equal degrees of freedom"
    restricted, free = (first, second) if df1 > df2 else (second, first)
    if not free_parameters(restricted) <= free_parameters(free):
        return "neither model's parameters are a subset of the other's"
    return ""


def free_parameters(result) -> set[tuple[str, str, str]]:
    """The free parameters of a result as ``(lhs, op, rhs)`` (covariances in sorted order)."""
    est = result.estimates
    free = est[est["se"].notna() & (est["se"] > 0) & (est["op"] != ":=")]
    keys = set()
    for lhs, op, rhs in zip(free["lhs"], free["op"], free["rhs"]):
        keys.add((min(lhs, rhs), op, max(lhs, rhs)) if op == "~~" else (lhs, op, rhs))
    return keys


def difference_method(estimator: str) -> str:
    return {"MLR": "Satorra-Bentler scaled difference", "WLSMV": "scaled-shifted difference (DIFFTEST)"}.get(
        estimator, "chi-square difference")


def split_for_report(syntax: str, codebook: Codebook) -> tuple[str, list[str]]:
    """The structural part of ``syntax`` over construct names, and the parts a report cannot take.

    The report builds each construct's measurement from the codebook; lines that name
    items (residual covariances, cross-loadings) or measure a construct with other items
    than the codebook's are returned as notes.
    """
    statements, definitions = parse(syntax)
    names = set(codebook.construct_names)
    higher = {s.lhs for s in statements if s.op == "=~" and s.rhs in names and s.lhs not in names}
    lines, notes = [], []
    measured: dict[str, list[str]] = {}
    for s in statements:
        text = statement_text(s)
        if s.op == "=~" and s.lhs in names:
            measured.setdefault(s.lhs, []).append(s.rhs)
        elif {s.lhs, s.rhs} - {""} <= names | higher:
            lines.append(text)
        else:
            notes.append(f"{text} (names an item; the report's measurement part comes from the codebook)")
    for construct, items in measured.items():
        expected = codebook.items_of(construct)
        if sorted(items) != sorted(expected):
            notes.append(f"{construct} =~ {' + '.join(items)} (the codebook's items are {' + '.join(expected)}; "
                         "edit the codebook to change a construct's items)")
    lines += [f"{name} := {expression}" for name, expression, _ in definitions]
    return "\n".join(merge_sums(lines)), notes


def statement_text(statement) -> str:
    prefix = ""
    mod = statement.modifier
    if mod.labels and mod.labels[0]:
        prefix = f"{mod.labels[0]}*"
    elif mod.fixed:
        prefix = ("NA" if mod.fixed[0] is None else f"{mod.fixed[0]:g}") + "*"
    return f"{statement.lhs} {statement.op} {prefix}{statement.rhs}"


def merge_sums(lines: list[str]) -> list[str]:
    """``y ~ a`` and ``y ~ b`` as ``y ~ a + b`` (same left side and operator, in first-seen order)."""
    merged: dict[tuple[str, str], list[str]] = {}
    other = []
    for line in lines:
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1] in ("~", "=~", "~~"):
            merged.setdefault((parts[0], parts[1]), []).append(parts[2])
        else:
            other.append(line)
    return [f"{lhs} {op} " + " + ".join(rhs) for (lhs, op), rhs in merged.items()] + other


def report_options(options: dict) -> tuple[dict, list[str]]:
    """The fit options as report parameters (``parameters`` / ``notebook_parameters``) and notes."""
    estimator = str(options.get("estimator") or "").upper()
    missing = str(options.get("missing") or "listwise").lower()
    parameters: dict = {}
    measurement: dict = {}
    notes = []
    if estimator in ("ML", "MLR"):
        parameters["estimator"] = estimator
    elif estimator == "WLSMV":
        measurement["estimator"] = "WLSMV"
        notes.append("estimator WLSMV (only the measurement-model notebook fits ordinal items; "
                     "the others use estimator auto)")
    if missing == "fiml":  # sqlib.fit's default with FIML is ML; the report's 'auto' might pick MLR
        measurement.update({"missing": "fiml", "estimator": estimator or "ML"})
    if options.get("ordered") not in (None, False, [], ()):
        notes.append("ordered items (the report treats every item of the measurement model as ordinal "
                     "with estimator WLSMV)")
    if options.get("se") == "bootstrap":
        notes.append("bootstrap standard errors (notebook 03 bootstraps the effects: parameter bootstrap_draws)")
    out: dict = {"parameters": parameters}
    out["notebook_parameters"] = {"02_measurement_model": measurement} if measurement else {}
    return out, notes


def relative_path(target: str | Path, start: str | Path) -> str:
    """``target`` relative to ``start`` when they share a folder below the root, else absolute (POSIX slashes)."""
    target, start = Path(target).resolve(), Path(start).resolve()
    try:
        common = Path(os.path.commonpath([target, start]))
    except ValueError:  # another drive on Windows
        return target.as_posix()
    if common == Path(common.anchor):
        return target.as_posix()
    return Path(os.path.relpath(target, start)).as_posix()


class BlockDumper(yaml.SafeDumper):
    """Writes text with line breaks as a YAML block (``key: |``), one syntax line per line."""


def block_text(dumper: yaml.SafeDumper, text: str):
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


BlockDumper.add_representer(str, block_text)


def params_yaml(params: dict) -> str:
    """A parameters dict as YAML in the order given, multi-line syntax as a block."""
    return yaml.dump(params, Dumper=BlockDumper, sort_keys=False, allow_unicode=True, width=120)


__all__ = ["ModelExplorer", "HistoryEntry", "FitJob", "parameter_line", "describe_change", "not_nested_reason",
           "split_for_report", "report_options", "default_report_notebooks", "FIT_OPTIONS", "FIT_DEFAULTS"]
