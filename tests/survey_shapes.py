"""Simulated surveys of the shapes real studies have, written as data + codebook + params.

Each shape starts from the bundled simulation model (sqlib.simulate, fixed seed) and
changes what real surveys change: no expectation items, no groups or waves, a single
"overall satisfaction" item, one outcome only, 0-100 sliders, 1-10 scales, -99 codes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

import sqlib

DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
FAST = {"03_structural_model": {"bootstrap_draws": 50}, "08_pls_sem": {"bootstrap_draws": 50}, "07_power_and_sample_size": {"reps": 20, "n_grid": [200, 400]}}
NOTEBOOKS = ["01_data_screening", "02_measurement_model", "03_structural_model", "04_measurement_invariance",
             "05_gaps_and_priorities", "06_wave_tracking", "07_power_and_sample_size", "08_pls_sem"]


def _rescale(values, new_min: float, new_max: float, rng) -> np.ndarray:
    """1-7 answers spread onto another scale (whole numbers), keeping missing answers."""
    spread = (values - 1) / 6 * (new_max - new_min) + new_min
    jitter = rng.uniform(-0.4, 0.4, size=values.shape) * (new_max - new_min) / 6
    return np.clip(np.round(spread + jitter), new_min, new_max)


def _dimension_constructs(cb, scale=None) -> dict:
    out = {}
    for name in DIMENSIONS:
        body = {"items": cb.items_of(name), "kind": "dimension"}
        if scale:
            body["scale"] = {"min": scale[0], "max": scale[1]}
        out[name] = body
    return out


SHAPES = {
    # name: (description, builder)
    "single_item_0_100": "0-100 sliders, one overall satisfaction item, one outcome, no expectations/groups/waves, -99 codes",
    "mixed_scales": "dimensions 1-7, satisfaction 1-10, loyalty 0-100, groups but no expectations or waves",
    "no_structure": "dimensions only (no outcome constructs, no structural_model): CFA sections only",
}


def write_shape(name: str, folder: Path, seed: int = 11) -> Path:
    """Write ``<folder>/{data.csv, codebook.yaml, params.yaml}`` for shape ``name``; return params path."""
    rng = np.random.default_rng(seed)
    cb = sqlib.Codebook.servqual()
    data = sqlib.simulate(n=500, seed=seed).data
    items = [i for n in DIMENSIONS for i in cb.items_of(n)]
    spec: dict = {"name": f"simulated shape {name}"}
    structural = ""
    if name == "single_item_0_100":
        frame = data[["respondent_id", *items, "sat1"]].copy()
        for col in [*items, "sat1"]:
            frame[col] = _rescale(frame[col].to_numpy(), 0, 100, rng)
        frame.loc[rng.choice(len(frame), 15, replace=False), "tan2"] = -99
        constructs = _dimension_constructs(cb)
        constructs["overall"] = {"items": ["sat1"], "kind": "outcome"}
        spec.update(scale={"min": 0, "max": 100}, id="respondent_id", missing_codes=[-99], constructs=constructs)
    elif name == "mixed_scales":
        frame = data[["respondent_id", *items, "sat1", "sat2", "sat3", "loy1", "loy2", "loy3"]].copy()
        frame.insert(1, "region", rng.choice(["north", "south"], size=len(frame)))
        for col in ("sat1", "sat2", "sat3"):
            frame[col] = _rescale(frame[col].to_numpy(), 1, 10, rng)
        for col in ("loy1", "loy2", "loy3"):
            frame[col] = _rescale(frame[col].to_numpy(), 0, 100, rng)
        constructs = _dimension_constructs(cb, (1, 7))
        constructs["satisfaction"] = {"items": ["sat1", "sat2", "sat3"], "kind": "outcome", "scale": {"min": 1, "max": 10}}
        constructs["loyalty"] = {"items": ["loy1", "loy2", "loy3"], "kind": "outcome", "scale": {"min": 0, "max": 100}}
        spec.update(id="respondent_id", group="region", constructs=constructs)
        structural = ("satisfaction ~ tangibles + reliability + responsiveness + assurance + empathy\n"
                      "loyalty ~ satisfaction")
    elif name == "no_structure":
        frame = data[["respondent_id", *items]].copy()
        spec.update(scale={"min": 1, "max": 7}, id="respondent_id", constructs=_dimension_constructs(cb))
    else:
        raise KeyError(f"unknown shape {name!r}; known: {', '.join(SHAPES)}")
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "data.csv", index=False)
    (folder / "codebook.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    params = {"run_name": name, "data": "data.csv", "codebook": "codebook.yaml", "seed": seed, "language": "en",
              "notebooks": NOTEBOOKS, "structural_model": structural, "parameters": {}, "notebook_parameters": FAST}
    path = folder / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return path
