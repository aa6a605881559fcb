"""The model explorer widget: a thin ipywidgets view over :class:`~sqlib.report.explorer.ModelExplorer`.

``sqlib.explore(data, codebook=..., model=...)`` returns an :class:`ExplorerView`;
shown in JupyterLab (or served by voila with ``make explore``) it holds the syntax
editor, construct and item pickers, the fit options, a Fit button (the fit runs on a
thread, with elapsed time and a Cancel button), and the outputs of the current model:
fit measures, diagnostics, path diagram, top modification indices (each with an
"add" button), the history (with "go back") and the comparison table, plus export
of the syntax and of a report parameters file. Every action is a method of the
explorer; this module only wires widgets to them.
"""

from __future__ import annotations

import html
import threading
import time
from pathlib import Path

import pandas as pd

from .explorer import ModelExplorer
from .presentation import format_table

#: Estimators offered by the picker ("" is sqlib.fit's default: ML, or WLSMV with ordinal items).
ESTIMATORS = (("default", ""), ("ML", "ML"), ("MLR", "MLR"), ("WLSMV", "WLSMV"))


def table_html(table: pd.DataFrame) -> str:
    """The whole table as HTML, formatted per column as the report formats tables (counts as
    integers, p-values as p < .001, fit indices to three decimals)."""
    if table is None or not len(table):
        return "<i>none</i>"
    return format_table(table).to_html()


def shown_option(options: dict, key: str) -> str:
    """The picker value of a fit option: estimator ``""`` (default), ``ML``, ``MLR``, ``WLSMV``; missing
    ``listwise`` or ``fiml`` (lavaan's alias ``ml`` included)."""
    if key == "estimator":
        return str(options.get("estimator") or "").upper()
    return "fiml" if str(options.get("missing", "listwise")).lower() in ("fiml", "ml") else "listwise"


def bootstrap_draws(options: dict) -> int:
    """Bootstrap draws of a fit's options (0: standard errors from the information matrix)."""
    return int(options.get("bootstrap", 1000)) if options.get("se") == "bootstrap" else 0


def message_html(text: str, error: bool = False) -> str:
    colour = "#b00020" if error else "#333"
    return f'<span style="color:{colour}">{html.escape(text)}</span>'


class ExplorerView:
    """Widgets over a :class:`ModelExplorer`; display it in a notebook (it shows its ``widget``)."""

    def __init__(self, explorer: ModelExplorer, *, top: int = 10, export_dir: str | Path = "explorer_output"):
        import ipywidgets as w

        self.explorer, self.top, self.job = explorer, top, None
        self.busy = threading.Lock()  # the ticker and the end of a fit never write the status at once
        self.editor = w.Textarea(value=explorer.syntax, description="", layout=w.Layout(width="100%", height="220px"))
        constructs = explorer.constructs()
        self.construct = w.Dropdown(options=constructs, description="construct",
                                    value=constructs[0] if constructs else None)
        self.items = w.SelectMultiple(options=self._items_for(self.construct.value), description="items", rows=5)
        self.add_construct_button = w.Button(description="add measurement line", icon="plus",
                                             layout=w.Layout(width="auto"))
        self.estimator = w.Dropdown(options=ESTIMATORS, value=shown_option(explorer.options, "estimator"),
                                    description="estimator")
        self.missing = w.Dropdown(options=["listwise", "fiml"],
                                  value=shown_option(explorer.options, "missing"),
                                  description="missing")
        self.ordered = w.Checkbox(value=bool(explorer.options.get("ordered")), description="ordinal items")
        self.bootstrap = w.BoundedIntText(value=bootstrap_draws(explorer.options), min=0, max=100_000, step=100,
                                          description="bootstrap")
        self.model_name = w.Text(placeholder="model name (optional)", description="name")
        self.fit_button = w.Button(description="Fit", button_style="primary", icon="play")
        self.cancel_button = w.Button(description="Cancel", icon="stop", disabled=True)
        self.progress = w.IntProgress(value=0, min=0, max=10, layout=w.Layout(width="160px", display="none"))
        self.status = w.HTML()
        self.measures = w.HTML("<i>Press Fit.</i>")
        self.diagnostics = w.HTML()
        self.summary = w.HTML()
        self.diagram = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.modindices = w.VBox()
        self.history = w.VBox()
        self.comparison = w.HTML()
        self.export_dir = w.Text(value=str(export_dir), description="folder")
        self.export_syntax_button = w.Button(description="export syntax", icon="download")
        self.export_params_button = w.Button(description="export report params", icon="download")
        self.export_status = w.HTML()
        self._wire()
        self.widget = self._layout(w)

    # ------------------------------------------------------------ layout
    def _layout(self, w):
        pickers = w.VBox([self.construct, self.items, self.add_construct_button])
        options = w.VBox([self.estimator, self.missing, self.ordered, self.bootstrap, self.model_name])
        run = w.HBox([self.fit_button, self.cancel_button, self.progress])
        left = w.VBox([w.HTML("<b>Model (lavaan syntax)</b>"), self.editor, w.HBox([pickers, options]), run,
                       self.status],
                      layout=w.Layout(width="48%"))
        tabs = w.Tab(children=[self.measures, self.diagnostics, self.diagram, self.modindices, self.summary,
                               w.VBox([self.history, self.comparison]),
                               w.VBox([self.export_dir, w.HBox([self.export_syntax_button,
                                                                self.export_params_button]), self.export_status])])
        titles = ("fit", "diagnostics", "diagram", "modification indices", "summary", "history", "export")
        for i, title in enumerate(titles):
            tabs.set_title(i, title)
        self.tabs = tabs
        return w.HBox([left, w.VBox([tabs], layout=w.Layout(width="52%"))])

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _wire(self) -> None:
        self.construct.observe(lambda change: self._pick_construct(change["new"]), names="value")
        self.add_construct_button.on_click(lambda _: self.add_construct())
        self.fit_button.on_click(lambda _: self.fit())
        self.cancel_button.on_click(lambda _: self.cancel())
        self.export_syntax_button.on_click(lambda _: self.export("syntax"))
        self.export_params_button.on_click(lambda _: self.export("params"))

    def _items_for(self, construct: str | None) -> list[str]:
        return self.explorer.items(construct) if construct else self.explorer.items()

    def _pick_construct(self, construct: str | None) -> None:
        self.items.options = self._items_for(construct)
        self.items.value = ()

    # ------------------------------------------------------------ actions
    def add_construct(self) -> None:
        self.explorer.syntax = self.editor.value
        try:
            self.explorer.add_construct(self.construct.value, list(self.items.value) or None)
        except Exception as exc:  # shown to the user, nothing changes
            self.status.value = message_html(str(exc), error=True)
            return
        self.editor.value = self.explorer.syntax

    def fit(self) -> None:
        """Fit the editor's syntax with the chosen options on a thread (what the Fit button does)."""
        if self.job is not None and not self.job.done and not self.job.cancelled:
            return  # one fit at a time (a cancelled one may still run: its result is dropped)
        self.explorer.syntax = self.editor.value
        try:
            draws = int(self.bootstrap.value)
            self.explorer.set_options(estimator=self.estimator.value, missing=self.missing.value,
                                      ordered=True if self.ordered.value else None,
                                      se="bootstrap" if draws else None, bootstrap=draws or None)
        except Exception as exc:
            self.status.value = message_html(str(exc), error=True)
            return
        self.fit_button.disabled, self.cancel_button.disabled = True, False
        self.progress.layout.display = ""
        self.job = self.explorer.fit_in_background(self.model_name.value.strip() or None, on_done=self._finished)
        threading.Thread(target=self._tick, args=(self.job,), daemon=True).start()

    def _tick(self, job) -> None:
        while True:
            with self.busy:
                if job.finished or job.cancelled:
                    return
                self.progress.value = int(job.elapsed * 2) % (self.progress.max + 1)
                self.status.value = message_html(f"fitting ... {job.elapsed:.1f} s")
            time.sleep(0.5)

    def cancel(self) -> None:
        """Drop the running fit's result (the estimation finishes in the background)."""
        if self.job is not None and not self.job.done:
            with self.busy:
                self.job.cancel()
            self.status.value = message_html("cancelled: the result of this fit will be ignored")
        self._idle()

    def _idle(self) -> None:
        self.fit_button.disabled, self.cancel_button.disabled = False, True
        self.progress.layout.display = "none"

    def _finished(self, job) -> None:
        with self.busy:  # after the ticker's last message
            self._idle()
            if job.error is not None:
                self.status.value = message_html(f"{type(job.error).__name__}: {job.error}", error=True)
                return
            self.status.value = message_html(f"{job.entry.name} fitted in {job.entry.seconds:.1f} s")
            self.model_name.value = ""
            self.refresh()

    def refresh(self) -> None:
        """Show the current model's outputs, the history and the comparison."""
        explorer = self.explorer
        self.editor.value = explorer.syntax
        if explorer.result is None:
            return
        self.measures.value = "<b>Fit measures</b>" + table_html(explorer.fit_measures().to_frame().T)
        self.diagnostics.value = "<b>Diagnostics</b>" + table_html(explorer.diagnostics())
        self.summary.value = explorer.result.summary()._repr_html_()
        try:
            self.diagram.value = explorer.diagram_png()
        except Exception as exc:  # a model the diagram cannot draw still shows its numbers
            self.status.value += message_html(f" (no diagram: {exc})")
        self._show_modindices()
        self._show_history()
        self.comparison.value = "<b>Comparison</b>" + table_html(explorer.comparison())

    def _show_modindices(self) -> None:
        import ipywidgets as w

        table = self.explorer.modindices(top=self.top)
        rows = []
        for i, row in table.iterrows():
            button = w.Button(description="add", icon="plus", layout=w.Layout(width="70px"))
            button.on_click(lambda _, i=i: self.add_modification(i))
            text = f"{row['line']}   MI {row['mi']:.1f}   EPC {row['epc']:.3f}   std {row['sepc_all']:.3f}"
            rows.append(w.HBox([button, w.Label(text)]))
        self.modindices.children = rows or [w.HTML("<i>no modification indices</i>")]

    def add_modification(self, index: int) -> None:
        """Add the parameter of modification index ``index`` to the editor (fit to see its effect)."""
        self.explorer.syntax = self.editor.value
        line = self.explorer.add_modification(index)
        self.editor.value = self.explorer.syntax
        self.status.value = message_html(f"added '{line}': press Fit")

    def _show_history(self) -> None:
        import ipywidgets as w

        rows = []
        for i, entry in enumerate(self.explorer.history):
            mark = "&#9654; " if i == self.explorer.current else ""
            cfi = entry.result.fit_measures.get("cfi", float("nan"))
            label = w.HTML(f"{mark}<b>{html.escape(entry.name)}</b>: {html.escape(entry.change)} (CFI {cfi:.3f})")
            button = w.Button(description="go back", layout=w.Layout(width="90px"))
            button.on_click(lambda _, i=i: self.go_back(i))
            rows.append(w.HBox([button, label]))
        self.history.children = rows

    def go_back(self, index: int) -> None:
        """Return to history entry ``index``: its syntax and options in the editor, its outputs shown."""
        entry = self.explorer.go_back(index)
        self.estimator.value = shown_option(entry.options, "estimator")
        self.missing.value = shown_option(entry.options, "missing")
        self.ordered.value = bool(entry.options.get("ordered"))
        self.bootstrap.value = bootstrap_draws(entry.options)
        self.refresh()

    def export(self, what: str) -> None:
        """Write the current model's syntax (``model.lavaan``) or report parameters (``params.yaml``)."""
        folder = Path(self.export_dir.value).expanduser()
        try:
            self.explorer.syntax = self.editor.value
            if what == "syntax":
                path = self.explorer.export_syntax(folder / "model.lavaan")
            else:
                path = self.explorer.export_params(folder / "params.yaml")
        except Exception as exc:
            self.export_status.value = message_html(str(exc), error=True)
            return
        self.export_status.value = message_html(f"written: {path}")


def explore(data=None, codebook=None, model: str | None = None, *, top: int = 10,
            export_dir: str | Path = "explorer_output", **options) -> ExplorerView:
    """Open the model explorer on a survey (JupyterLab, or voila with ``make explore``).

    Parameters
    ----------
    data : DataFrame, str, Path or None
        The survey (a DataFrame from :func:`sqlib.read_survey`, or a file path read with
        the codebook); None: the bundled SERVQUAL sample and its codebook.
    codebook : Codebook, str, Path or None
        The instrument; gives the pickers, the starting model and the report export.
    model : str, optional
        Starting lavaan syntax (default: the codebook's study design).
    top : int
        Modification indices listed.
    export_dir : str or Path
        Folder the export buttons write to.
    **options
        ``estimator``, ``missing``, ``ordered``, ``se``, ``bootstrap``, ``seed`` of :func:`sqlib.fit`.

    Returns
    -------
    ExplorerView
        Shows itself in a notebook; its ``explorer`` attribute is the :class:`ModelExplorer`.

    Examples
    --------
    >>> import sqlib
    >>> view = sqlib.explore(model="tangibles =~ tan1 + tan2 + tan3 + tan4")
    >>> view.explorer.constructs()[:2]
    ['tangibles', 'reliability']
    """
    if data is None:
        explorer = ModelExplorer.sample(model, **options)
    elif isinstance(data, (str, Path)):
        explorer = ModelExplorer.from_files(data, codebook, model, **options)
    else:
        explorer = ModelExplorer(data, codebook, model, **options)
    return ExplorerView(explorer, top=top, export_dir=export_dir)


__all__ = ["explore", "ExplorerView", "table_html"]
