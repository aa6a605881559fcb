# Reference results for robust full-information ML (lavaan's estimator = "MLR",
# missing = "ml") on a survey with scattered missing answers.
#
# Run from the project root (after `python tests/reference/make_missing_data.py`):
#   Rscript tests/reference/make_refs_fiml.R            # every case
#   Rscript tests/reference/make_refs_fiml.R servqual_cfa_mlr_fiml
#
# Reuses the helpers of make_refs.R (fit_lavaan, write_case, ...) and its JSON
# schema; writes tests/fixtures/<case>.json.

suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

source(file.path("tests", "reference", "make_refs_helpers.R"))

MCAR_DATA <- file.path(FIXTURE_DATA_DIR, "servqual_mcar.csv")
MLR_FIML <- list(estimator = "MLR", missing = "ml")

mcar_data <- function() {
  if (!file.exists(MCAR_DATA)) stop(MCAR_DATA, " is missing: run python tests/reference/make_missing_data.py")
  read.csv(MCAR_DATA)
}

run_mlr_fiml <- function(name, fun, model) {
  fit <- fit_lavaan(fun, model, mcar_data(), MLR_FIML)
  write_case(name, fit, MCAR_DATA, model, MLR_FIML)
}

MCAR_GROUPS_DATA <- file.path(FIXTURE_DATA_DIR, "servqual_mcar_groups.csv")
THREE_DIMENSIONS <- paste(
  "tangibles =~ tan1 + tan2 + tan3 + tan4",
  "reliability =~ rel1 + rel2 + rel3 + rel4 + rel5",
  "responsiveness =~ res1 + res2 + res3 + res4",
  sep = "\n")

run_mlr_fiml_groups <- function() {
  options <- c(MLR_FIML, list(group = "group"))
  fit <- fit_lavaan("cfa", THREE_DIMENSIONS, read.csv(MCAR_GROUPS_DATA), options)
  write_case("servqual_groups_mlr_fiml", fit, MCAR_GROUPS_DATA, THREE_DIMENSIONS, options)
}

CASES_FIML <- list(
  servqual_cfa_mlr_fiml = function() run_mlr_fiml("servqual_cfa_mlr_fiml", "cfa", SERVQUAL_MEASUREMENT),
  servqual_sem_mlr_fiml = function() run_mlr_fiml("servqual_sem_mlr_fiml", "sem", SERVQUAL_SEM),
  servqual_groups_mlr_fiml = run_mlr_fiml_groups
)

selected <- commandArgs(trailingOnly = TRUE)
if (length(selected) == 0L) selected <- names(CASES_FIML)
unknown <- setdiff(selected, names(CASES_FIML))
if (length(unknown) > 0L) {
  stop("unknown case(s): ", paste(unknown, collapse = ", "), ". Known cases: ", paste(names(CASES_FIML), collapse = ", "))
}
for (case in selected) {
  set.seed(1)
  CASES_FIML[[case]]()
}
