# sqlib: two commands on a fresh machine -- `make report` and `make test`.
# Everything installs into .venv from the pinned versions in requirements.lock.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.sqlib-installed
PARAMS ?= notebooks/params/default.yaml
DATA     ?=
CODEBOOK ?=
PORT     ?= 8866

export MPLBACKEND := Agg
export PYTHONHASHSEED := 0

.DEFAULT_GOAL := help
.PHONY: help setup report test test-package test-notebooks lab handouts explore data refs bench clean

help: ## List the targets with one line each
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-16s %s\n", $$1, $$2}'

setup: $(STAMP) ## Create .venv and install sqlib with pinned dependencies

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

report: setup ## Run the report suite on the bundled sample into a new reports/ folder
	$(BIN)/sqlib report --params $(PARAMS)

test: setup ## Run the package tests (pytest) and execute every notebook (nbval-lax)
	$(BIN)/python -m pytest tests
	$(BIN)/python -m pytest --doctest-modules -p no:cacheprovider src/sqlib
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider notebooks

test-package: setup ## Run only the package tests
	$(BIN)/python -m pytest tests
	$(BIN)/python -m pytest --doctest-modules -p no:cacheprovider src/sqlib

lab: setup ## Start JupyterLab on the project
	env -u MPLBACKEND $(BIN)/jupyter lab --notebook-dir=.

handouts: setup ## Write the teaching notebooks without solutions to build/handouts (answer and check cells stay)
	$(BIN)/python -m sqlib.report.teaching.handouts notebooks/teaching build/handouts

explore: setup ## Serve the model explorer page (voila) on the sample, or on DATA=survey.csv CODEBOOK=codebook.yaml
	SQLIB_DATA="$(abspath $(or $(DATA),data/servqual_sample.csv))" \
	SQLIB_CODEBOOK="$(abspath $(or $(CODEBOOK),data/servqual_codebook.yaml))" \
	SQLIB_EXPORT_DIR="$(CURDIR)/explorer_output" \
	env -u MPLBACKEND $(BIN)/voila notebooks/explorer/explorer.ipynb --no-browser --port=$(PORT) --Voila.ip=127.0.0.1 --show_tracebacks=True

data: setup ## Regenerate the bundled sample survey in data/ from its seed
	$(BIN)/python -c "from sqlib.survey.simulate import main; main(['--write-sample'])"

refs: setup ## Re-run lavaan/semTools (needs R: apt-get install r-cran-lavaan r-cran-semtools r-cran-psych r-cran-jsonlite) to rewrite tests/fixtures
	$(BIN)/python tests/reference/make_failing_data.py
	$(BIN)/python tests/reference/make_scale_data.py
	Rscript tests/reference/make_refs.R
	$(BIN)/python tests/reference/make_missing_data.py
	Rscript tests/reference/make_refs_fiml.R
	$(BIN)/python tests/reference/make_wlsmv_mixed_data.py
	Rscript tests/reference/make_refs_wlsmv_mixed.R
	$(BIN)/python tests/reference/make_ordinal_group_data.py
	Rscript tests/reference/make_refs_ordinal_groups.R
	$(BIN)/python tests/reference/make_group_paths_data.py
	Rscript tests/reference/make_refs_group_paths.R
	$(BIN)/python tests/reference/make_reliability_boot_data.py
	Rscript tests/reference/make_refs_reliability_boot.R

bench: setup ## Run the speed benchmarks (lavaan comparison when Rscript is present)
	$(BIN)/python benchmarks/bench_fit.py
	$(BIN)/python benchmarks/bench_pls.py

clean: ## Remove the virtual environment and caches (never reports/)
	rm -rf $(VENV) .pytest_cache build src/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
