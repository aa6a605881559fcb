# Reference results for multi-group WLSMV and ordinal measurement invariance (lavaan + semTools).
#
# Run from the project root (after `python tests/reference/make_ordinal_group_data.py`):
#   Rscript tests/reference/make_refs_ordinal_groups.R            # every case
#   Rscript tests/reference/make_refs_ordinal_groups.R og_lavaan   # only some cases
#
# Reuses the helpers and JSON schema of make_refs.R (see tests/reference/README.md).
# Cases:
#   og_lavaan            cfa(ordered, group, estimator = "WLSMV"), lavaan's own identification
#   og_lavaan_equal      the same with group.equal = c("thresholds", "loadings")
#   og_<step>            the Wu & Estabrook (2016) sequence written by semTools::measEq.syntax
#                        (ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", parameterization = "delta")
#                        for step configural, thresholds, loadings, intercepts; each constrained
#                        step also holds `difftest` (lavTestLRT against the previous step,
#                        method "satorra.2000") and `release_tests` (lavTestScore()$uni; for the
#                        intercepts step also the intercepts held at 0, see intercept_release_tests)

source(file.path("tests", "reference", "make_refs_helpers.R"))

OG_DATA <- file.path(FIXTURE_DATA_DIR, "ordinal_groups.csv")
OG_MODEL <- "quality =~ q1 + q2 + q3 + q4\nvalue =~ q5 + q6 + q7 + q8"
OG_ITEMS <- paste0("q", 1:8)
OG_STEPS <- list(configural = "", thresholds = "thresholds", loadings = c("thresholds", "loadings"),
                 intercepts = c("thresholds", "loadings", "intercepts"))

og_data <- function() read.csv(OG_DATA)

# lavTestScore scores "==" constraints only, and measEq.syntax fixes the equal intercepts at 0
# (no constraint). Writing the same model with free intercepts in groups 2.. and the
# constraints nu.k.gG == 0 makes them scorable: the score test of freeing item k's intercept in group G.
intercept_release_tests <- function(model, data, options) {
  for (k in seq_along(OG_ITEMS)) {
    old <- sprintf("%s ~ c(0, 0, 0)*1 + c(nu.%d, nu.%d, nu.%d)*1", OG_ITEMS[k], k, k, k)
    new <- sprintf("%s ~ c(0, NA, NA)*1 + c(nu.%d.g1, nu.%d.g2, nu.%d.g3)*1\nnu.%d.g2 == 0\nnu.%d.g3 == 0",
                   OG_ITEMS[k], k, k, k, k, k)
    stopifnot(grepl(old, model, fixed = TRUE))
    model <- sub(old, new, model, fixed = TRUE)
  }
  fit <- fit_lavaan("cfa", model, data, options)
  uni <- lavTestScore(fit)$uni
  uni <- uni[grepl("^nu\\.", uni$lhs), ]
  lapply(seq_len(nrow(uni)), function(i) {
    parts <- strsplit(uni$lhs[i], ".", fixed = TRUE)[[1]]
    list(lhs = OG_ITEMS[as.integer(parts[2])], op = "~1", rhs = "", group = as.integer(sub("g", "", parts[3])),
         x2 = uni$X2[i], df = uni$df[i], pvalue = uni$p.value[i])
  })
}

run_og_lavaan <- function() {
  options <- list(estimator = "WLSMV", ordered = OG_ITEMS, group = "country")
  write_case("og_lavaan", fit_lavaan("cfa", OG_MODEL, og_data(), options), OG_DATA, OG_MODEL, options)
}

run_og_lavaan_equal <- function() {
  options <- list(estimator = "WLSMV", ordered = OG_ITEMS, group = "country",
                  group.equal = c("thresholds", "loadings"))
  fit <- fit_lavaan("cfa", OG_MODEL, og_data(), options)
  write_case("og_lavaan_equal", fit, OG_DATA, OG_MODEL, options,
             extra = list(release_tests = release_block(fit)))
}

measeq_model <- function(data, group_equal) {
  as.character(measEq.syntax(OG_MODEL, data = data, ordered = OG_ITEMS, parameterization = "delta",
                             ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group = "country",
                             group.equal = group_equal))
}

run_og_sequence <- function() {
  data <- og_data()
  options <- list(estimator = "WLSMV", ordered = OG_ITEMS, group = "country", parameterization = "delta")
  previous <- NULL
  for (step in names(OG_STEPS)) {
    model <- measeq_model(data, OG_STEPS[[step]])
    fit <- fit_lavaan("cfa", model, data, options)
    extra <- list(group_equal = I(OG_STEPS[[step]][OG_STEPS[[step]] != ""]))
    if (!is.null(previous)) {
      lrt <- as.data.frame(lavTestLRT(fit, previous, method = "satorra.2000"))
      extra$difftest <- list(chisq = I(unname(lrt$Chisq)), df = I(unname(lrt$Df)),
                             delta_chisq = lrt[["Chisq diff"]][2], delta_df = lrt[["Df diff"]][2],
                             delta_pvalue = lrt[["Pr(>Chisq)"]][2])
      extra$release_tests <- release_block(fit)
      if ("intercepts" %in% OG_STEPS[[step]]) {
        extra$release_tests <- c(extra$release_tests, intercept_release_tests(model, data, options))
      }
    }
    write_case(paste0("og_", step), fit, OG_DATA, model, options, extra = extra)
    previous <- fit
  }
}

OG_CASES <- list(og_lavaan = run_og_lavaan, og_lavaan_equal = run_og_lavaan_equal,
                 og_sequence = run_og_sequence)

selected <- commandArgs(trailingOnly = TRUE)
if (length(selected) == 0L) selected <- names(OG_CASES)
unknown <- setdiff(selected, names(OG_CASES))
if (length(unknown) > 0L) stop("unknown case(s): ", paste(unknown, collapse = ", "))
for (case in selected) {
  set.seed(1)
  OG_CASES[[case]]()
}
