"""Report notebooks stay thin: one typed parameters cell, the study design, no logic of their own.

Every sentence a report prints comes from ``sqlib.narratives``; these checks keep
narrative and function definitions out of the notebooks themselves.
"""

from __future__ import annotations

import ast
import json

import pytest

from sqlib import config

REPORT_NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("0*.ipynb"))
SHARED = ("data_path", "codebook_path", "structural_model", "output_dir", "seed", "language")


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _code(path):
    return [("".join(c["source"]), c) for c in _cells(path) if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", REPORT_NOTEBOOKS, ids=lambda p: p.stem)
def test_one_typed_commented_parameters_cell_with_the_shared_parameters(path):
    tagged = [src for src, cell in _code(path) if "parameters" in cell.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    tree = ast.parse(tagged[0])
    names = [node.target.id for node in tree.body if isinstance(node, ast.AnnAssign)]
    assert names[: len(SHARED)] == list(SHARED)
    assert all(isinstance(node, ast.AnnAssign) for node in tree.body), "every parameter has a type"
    code_lines = [line for line in tagged[0].splitlines() if line and not line.startswith("#")]
    assert all("  # " in line for line in code_lines), "every parameter has a comment"


@pytest.mark.parametrize("path", REPORT_NOTEBOOKS, ids=lambda p: p.stem)
def test_no_definitions_and_no_sentences_built_in_the_notebook(path):
    for source, _ in _code(path):
        tree = ast.parse(source)
        kinds = {type(node).__name__ for node in ast.walk(tree)}
        assert not kinds & {"FunctionDef", "ClassDef", "Lambda", "AsyncFunctionDef"}, source[:80]
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Markdown":
                assert not any(isinstance(a, (ast.JoinedStr, ast.Constant, ast.BinOp)) for a in node.args), \
                    f"a sentence written in {path.stem}: {ast.unparse(node)[:80]}"
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "save_summary":
                assert not isinstance(node.args[0], (ast.JoinedStr, ast.Constant, ast.BinOp)), path.stem


@pytest.mark.parametrize("path", REPORT_NOTEBOOKS, ids=lambda p: p.stem)
def test_the_design_comes_from_one_package_function(path):
    cells = [src for src, cell in _code(path) if "parameters" not in cell.get("metadata", {}).get("tags", [])]
    source = "\n".join(cells)
    assert "study_design(codebook_path, structural_model)" in source
    for literal in ("satisfaction", "loyalty", "country", "tangibles"):
        assert f'"{literal}"' not in source and f"'{literal}'" not in source, literal


@pytest.mark.parametrize("path", REPORT_NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    for _, cell in _code(path):
        assert not cell.get("outputs") and cell.get("execution_count") is None
