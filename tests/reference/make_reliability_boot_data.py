"""Write the resamples that tests/reference/make_refs_reliability_boot.R refits with lavaan.

``reliability_boot_rows.csv``: the 875 respondents of the bundled sample who answered every
item of the seven-factor SERVQUAL CFA (the rows a listwise fit uses, in file order).
``reliability_boot_resamples.csv``: one column per bootstrap draw (``draw_1`` ...), holding the
1-based row numbers of that draw's resample of those rows, exactly the resamples
:func:`sqlib.bootstrap.resample_indices` gives for ``DRAWS`` draws and seed ``SEED`` (so also
those of :func:`sqlib.reliability_bootstrap.reliability_bootstrap` with that seed). The R script
refits the CFA on every resample and computes ``semTools::compRelSEM`` and ``semTools::AVE``.
Run from the project root: ``python tests/reference/make_reliability_boot_data.py`` (``make refs``
runs it before the R script).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import sqlib
from sqlib import config
from sqlib.sem.bootstrap import resample_indices

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "data"
DRAWS = 20
SEED = 20261130


def main() -> None:
    codebook = sqlib.Codebook.from_yaml(config.SAMPLE_CODEBOOK)
    data = sqlib.read_survey(config.SAMPLE_DATA, codebook)
    fit = sqlib.fit(sqlib.models.cfa_syntax(codebook), data)
    rows = fit.data_frame().astype(int)
    indices = resample_indices(fit, DRAWS, seed=SEED)
    resamples = pd.DataFrame({f"draw_{k + 1}": draw[0] + 1 for k, draw in enumerate(indices)})
    OUT.mkdir(parents=True, exist_ok=True)
    rows.to_csv(OUT / "reliability_boot_rows.csv", index=False, lineterminator="\n")
    resamples.to_csv(OUT / "reliability_boot_resamples.csv", index=False, lineterminator="\n")
    print(f"wrote {OUT / 'reliability_boot_rows.csv'} ({len(rows)} complete rows) and "
          f"{OUT / 'reliability_boot_resamples.csv'} ({DRAWS} draws, seed {SEED})")


if __name__ == "__main__":
    main()
