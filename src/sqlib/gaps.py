"""SERVQUAL gap scores: perception minus expectation.

A negative gap means the service falls short of what customers expected.
:func:`gap_scores` adds one ``gap_<item>`` column per perception item that has an
expectation twin; :func:`gap_codebook` describes those columns as a codebook, so
every model builder works on gaps (SERVQUAL) as on perceptions (SERVPERF).
"""

from __future__ import annotations

import pandas as pd

from .codebook import Codebook, Construct, load_codebook

PREFIX = "gap_"


def gap_scores(data: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """Return ``data`` with ``gap_<item> = item - expectation`` columns added.

    Parameters
    ----------
    data : DataFrame
        Survey answers with perception and expectation columns.
    codebook : Codebook, optional
        Its ``expectations`` mapping says which columns pair up (SERVQUAL default).

    Returns
    -------
    DataFrame
        A copy of ``data`` with the gap columns appended (NaN where either answer is missing).

    Examples
    --------
    >>> import sqlib
    >>> from sqlib.gaps import gap_scores
    >>> gaps = gap_scores(sqlib.load_sample())
    >>> float(gaps["gap_tan1"].mean()) < 0      # expectations exceed perceptions on average
    True
    """
    cb = load_codebook(codebook)
    if not cb.expectations:
        raise ValueError("The codebook lists no expectation items, so there are no gaps to compute; "
                         "add an 'expectations' section mapping each perception item to its expectation item.")
    missing = [c for pair in cb.expectations.items() for c in pair if c not in data.columns]
    if missing:
        raise ValueError(f"Gap scores need the columns {', '.join(missing)}, which are not in the data.")
    out = data.copy()
    for perception, expectation in cb.expectations.items():
        out[PREFIX + perception] = data[perception] - data[expectation]
    return out


def gap_codebook(codebook: Codebook | None = None) -> Codebook:
    """A codebook whose dimensions are measured by the gap columns (outcomes unchanged)."""
    cb = load_codebook(codebook)
    constructs = []
    for c in cb.constructs:
        if c.kind == "dimension":
            items = [PREFIX + i for i in c.items if i in cb.expectations]
            if len(items) < len(c.items):
                raise ValueError(f"Dimension '{c.name}' has items without an expectation twin; "
                                 "gap scores need one expectation item per perception item.")
            constructs.append(Construct(c.name, items, c.kind))
        else:
            constructs.append(Construct(c.name, list(c.items), c.kind))
    return Codebook(name=f"{cb.name} (gap scores)", constructs=constructs, scale_min=cb.scale_min - cb.scale_max,
                    scale_max=cb.scale_max - cb.scale_min, id_column=cb.id_column, group_column=cb.group_column,
                    wave_column=cb.wave_column)
