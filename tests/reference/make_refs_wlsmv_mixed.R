# lavaan references for WLSMV with missing = "pairwise" and for models mixing ordinal and
# continuous observed variables (lavaan's ordered = c(...)).
#
# Run from the project root after the data maker:
#   python tests/reference/make_wlsmv_mixed_data.py
#   Rscript tests/reference/make_refs_wlsmv_mixed.R            # every case
#   Rscript tests/reference/make_refs_wlsmv_mixed.R wlsmv_mixed_cfa
#
# Writes tests/fixtures/<case>.json in the schema of make_refs.R (whose helpers it loads:
# only the function and constant definitions of that script are evaluated, not its cases),
# plus the sample statistics lavaan fits (wls_obs), their asymptotic covariance (gamma) and
# the thresholds.

suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
  library(psych)
  library(jsonlite)
})

if (!file.exists("pyproject.toml") || !dir.exists("tests")) {
  stop("run this script from the sqlib project root (the folder with pyproject.toml)")
}

# the helpers of make_refs.R (write_case, fit_lavaan, ...) without running its cases
source(file.path("tests", "reference", "make_refs_helpers.R"))

DATA_DIR <- file.path("tests", "fixtures", "data")

statistics_block <- function(fit) {
  list(wls_obs = I(unname(as.numeric(lavInspect(fit, "wls.obs")))),
       thresholds = I(unname(as.numeric(lavInspect(fit, "sampstat")$th))),
       gamma = unname(unclass(lavInspect(fit, "gamma"))))
}

run_wlsmv_case <- function(name, fun, model, data_file, ordered, missing = "listwise") {
  data <- read.csv(data_file)
  options <- list(estimator = "WLSMV", ordered = ordered, missing = missing)
  fit <- fit_lavaan(fun, model, data, options)
  write_case(name, fit, data_file, model, options, extra = statistics_block(fit))
}

# DIFFTEST (lavTestLRT) between a free and a restricted model, in the schema of
# make_refs.R's hs_wlsmv_difftest
run_difftest <- function(name, free, restricted, data_file, ordered, missing) {
  data <- read.csv(data_file)
  options <- list(estimator = "WLSMV", ordered = ordered, missing = missing)
  fit1 <- fit_lavaan("cfa", free, data, options)
  fit0 <- fit_lavaan("cfa", restricted, data, options)
  lrt <- as.data.frame(lavTestLRT(fit1, fit0))
  write_fixture(c(list(case = name), VERSIONS,
                  list(data = data_file, data_sha256 = sha256_file(data_file), model_free = free,
                       model_restricted = restricted, options = options,
                       chisq = I(unname(lrt$Chisq)), df = I(unname(lrt$Df)),
                       delta_chisq = lrt[["Chisq diff"]][2], delta_df = lrt[["Df diff"]][2],
                       delta_pvalue = lrt[["Pr(>Chisq)"]][2])), name)
}

PAIRWISE_ITEMS <- c(paste0("serv", 1:4), paste0("val", 1:4))
PAIRWISE_MODEL <- "service =~ serv1 + serv2 + serv3 + serv4\nvalue =~ val1 + val2 + val3 + val4"
LIKERT <- paste0("q", 1:6)
MIXED_CFA <- "sat =~ q1 + q2 + q3 + q4 + q5 + q6 + slider + overall"
MIXED_SEM <- "sat =~ q1 + q2 + q3 + q4 + q5 + q6 + slider\noverall ~ sat"
# a continuous predictor measured by a single-indicator factor (endogenous, so no conditional.x)
MIXED_PREDICTOR <- "sat =~ q1 + q2 + q3 + q4 + q5 + q6\nfs =~ slider\nsat ~ fs"

CASES <- list(
  wlsmv_pairwise_cfa = function() run_wlsmv_case(
    "wlsmv_pairwise_cfa", "cfa", PAIRWISE_MODEL, file.path(DATA_DIR, "likert_pairwise.csv"),
    PAIRWISE_ITEMS, missing = "pairwise"),
  wlsmv_pairwise_sem = function() run_wlsmv_case(
    "wlsmv_pairwise_sem", "sem", paste0(PAIRWISE_MODEL, "\nvalue ~ service"),
    file.path(DATA_DIR, "likert_pairwise.csv"), PAIRWISE_ITEMS, missing = "pairwise"),
  wlsmv_mixed_cfa = function() run_wlsmv_case(
    "wlsmv_mixed_cfa", "cfa", MIXED_CFA, file.path(DATA_DIR, "likert_mixed.csv"), LIKERT),
  wlsmv_mixed_sem = function() run_wlsmv_case(
    "wlsmv_mixed_sem", "sem", MIXED_SEM, file.path(DATA_DIR, "likert_mixed.csv"), LIKERT),
  wlsmv_mixed_predictor = function() run_wlsmv_case(
    "wlsmv_mixed_predictor", "sem", MIXED_PREDICTOR, file.path(DATA_DIR, "likert_mixed.csv"), LIKERT),
  wlsmv_mixed_pairwise = function() run_wlsmv_case(
    "wlsmv_mixed_pairwise", "cfa", MIXED_CFA, file.path(DATA_DIR, "likert_mixed_pairwise.csv"),
    LIKERT, missing = "pairwise"),
  wlsmv_pairwise_difftest = function() run_difftest(
    "wlsmv_pairwise_difftest", PAIRWISE_MODEL,
    "service =~ serv1 + a*serv2 + a*serv3 + a*serv4\nvalue =~ val1 + val2 + val3 + val4",
    file.path(DATA_DIR, "likert_pairwise.csv"), PAIRWISE_ITEMS, "pairwise"),
  wlsmv_mixed_difftest = function() run_difftest(
    "wlsmv_mixed_difftest", paste0(MIXED_CFA, "\nq5 ~~ q6"), MIXED_CFA,
    file.path(DATA_DIR, "likert_mixed_pairwise.csv"), LIKERT, "pairwise")
)

selected <- commandArgs(trailingOnly = TRUE)
if (length(selected) == 0L) selected <- names(CASES)
unknown <- setdiff(selected, names(CASES))
if (length(unknown) > 0L) {
  stop("unknown case(s): ", paste(unknown, collapse = ", "), ". Known cases: ", paste(names(CASES), collapse = ", "))
}
for (case in selected) {
  set.seed(1)
  CASES[[case]]()
}
