# Reference results for structural paths held equal across groups (lavaan's
# group.equal = "regressions"), the moderation-by-group test of teaching notebook T7.
#
# Run from the project root (after `python tests/reference/make_group_paths_data.py`):
#   Rscript tests/reference/make_refs_group_paths.R              # every case
#   Rscript tests/reference/make_refs_group_paths.R gp_metric    # only some cases
#
# Reuses the helpers and JSON schema of make_refs.R (see tests/reference/README.md).
# Cases:
#   gp_metric         sem(group = "country", group.equal = "loadings")
#   gp_equal_paths    sem(group = "country", group.equal = c("loadings", "regressions")), with
#                     `difftest`: lavTestLRT(gp_metric, gp_equal_paths)

suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

source(file.path("tests", "reference", "make_refs_helpers.R"))

GP_DATA <- file.path(FIXTURE_DATA_DIR, "group_paths.csv")
GP_MODEL <- "satisfaction =~ sat1 + sat2 + sat3\nloyalty =~ loy1 + loy2 + loy3 + loy4\nloyalty ~ satisfaction"
GP_METRIC <- list(group = "country", group.equal = "loadings")
GP_EQUAL_PATHS <- list(group = "country", group.equal = c("loadings", "regressions"))

gp_data <- function() {
  if (!file.exists(GP_DATA)) stop(GP_DATA, " is missing: run python tests/reference/make_group_paths_data.py")
  read.csv(GP_DATA)
}

run_gp_metric <- function() {
  fit <- fit_lavaan("sem", GP_MODEL, gp_data(), GP_METRIC)
  write_case("gp_metric", fit, GP_DATA, GP_MODEL, GP_METRIC)
}

run_gp_equal_paths <- function() {
  data <- gp_data()
  metric <- fit_lavaan("sem", GP_MODEL, data, GP_METRIC)
  fit <- fit_lavaan("sem", GP_MODEL, data, GP_EQUAL_PATHS)
  lrt <- lavTestLRT(metric, fit)
  extra <- list(difftest = list(chisq = I(unname(lrt$Chisq)), df = I(unname(lrt$Df)),
                                delta_chisq = lrt[["Chisq diff"]][2], delta_df = lrt[["Df diff"]][2],
                                delta_pvalue = lrt[["Pr(>Chisq)"]][2]))
  write_case("gp_equal_paths", fit, GP_DATA, GP_MODEL, GP_EQUAL_PATHS, extra = extra)
}

CASES_GP <- list(gp_metric = run_gp_metric, gp_equal_paths = run_gp_equal_paths)

selected <- commandArgs(trailingOnly = TRUE)
if (length(selected) == 0L) selected <- names(CASES_GP)
unknown <- setdiff(selected, names(CASES_GP))
if (length(unknown) > 0L) {
  stop("unknown case(s): ", paste(unknown, collapse = ", "), ". Known cases: ", paste(names(CASES_GP), collapse = ", "))
}
for (case in selected) {
  set.seed(1)
  CASES_GP[[case]]()
}
