# Reference results from lavaan / semTools / psych for sqlib's tests.
#
# Run from the project root:
#   make refs                                   # every case
#   Rscript tests/reference/make_refs.R         # the same
#   Rscript tests/reference/make_refs.R hs_cfa poldem_sem   # only some cases
#
# Writes one JSON file per case to tests/fixtures/<case>.json and the exact data
# each case was fitted on to tests/fixtures/data/. The Python tests read only these
# files; they never call R. See tests/reference/README.md for the schema.
#
# To add a case (robust estimator, FIML, ordinal, multi-group, bootstrap ...):
#   fit <- fit_lavaan("cfa", MODEL, DATA, list(estimator = "MLR"))
#   write_case("my_case", fit, "tests/fixtures/data/xyz.csv", MODEL, list(estimator = "MLR"))

suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
  library(psych)
  library(jsonlite)
})

set.seed(1)

if (!file.exists("pyproject.toml") || !dir.exists("tests")) {
  stop("run this script from the sqlib project root (the folder with pyproject.toml), ",
       "e.g. `make refs`")
}

FIXTURE_DIR <- file.path("tests", "fixtures")
FIXTURE_DATA_DIR <- file.path(FIXTURE_DIR, "data")
dir.create(FIXTURE_DATA_DIR, recursive = TRUE, showWarnings = FALSE)

SERVQUAL_DATA <- file.path("data", "servqual_sample.csv")

VERSIONS <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  semtools_version = as.character(packageVersion("semTools")),
  psych_version = as.character(packageVersion("psych")),
  r_version = R.version.string
)

# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------

sha256_file <- function(path) {
  out <- system2("sha256sum", shQuote(path), stdout = TRUE)
  strsplit(out[1], " ", fixed = TRUE)[[1]][1]
}

write_fixture <- function(x, name) {
  path <- file.path(FIXTURE_DIR, paste0(name, ".json"))
  write_json(x, path, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE)
  message("wrote ", path)
  invisible(path)
}

# Write a data frame as CSV and read it back, so R fits exactly the numbers that
# Python will later read from the same file (no hidden extra precision).
export_data <- function(data, path) {
  write.csv(data, path, row.names = FALSE)
  read.csv(path)
}

# Column names with dots (ci.lower, std.all, sepc.lv ...) -> underscores.
snake_names <- function(df) {
  names(df) <- gsub(".", "_", names(df), fixed = TRUE)
  df
}

# Data frame rows as JSON objects; single-group tables get group = 1.
with_group <- function(df) {
  df <- as.data.frame(df, stringsAsFactors = FALSE)
  if (!"group" %in% names(df)) df$group <- rep(1L, nrow(df))
  snake_names(df)
}

named_matrix <- function(m, value_key = "values") {
  m <- unclass(m)
  out <- list(names = I(rownames(m)))
  out[[value_key]] <- unname(as.matrix(m))
  out
}

# Apply f to a single-group block, or to each group of a multi-group list.
per_group <- function(fit, x, f) {
  if (lavInspect(fit, "ngroups") == 1L) f(x) else unname(lapply(x, f))
}

# Fit a lavaan model, recording every warning lavaan raises (stored in
# fit@external$captured_warnings so write_case can put them in the fixture).
fit_lavaan <- function(fun, model, data, options = list()) {
  captured <- character(0)
  fit <- withCallingHandlers(
    do.call(fun, c(list(model = model, data = data), options)),
    warning = function(w) {
      captured <<- c(captured, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  fit@external$captured_warnings <- captured
  fit@external$fun <- fun
  fit
}

# The options as lavaan actually resolved them, plus the ones the case set.
resolved_options <- function(fit, options) {
  opt <- lavInspect(fit, "options")
  group <- lavInspect(fit, "group")
  out <- list(
    "function" = fit@external$fun,
    estimator = opt$estimator,
    group = if (length(group) == 0L || identical(group, "")) NA else group,
    missing = opt$missing,
    se = opt$se,
    test = opt$test[1],
    std.lv = opt$std.lv,
    meanstructure = opt$meanstructure,
    fixed.x = opt$fixed.x
  )
  for (key in names(options)) out[[key]] <- options[[key]]
  out
}

residual_block <- function(fit) {
  raw <- residuals(fit, type = "raw")
  cor <- residuals(fit, type = "cor")
  one <- function(r, c) {
    out <- list(names = I(rownames(r$cov)), raw = unname(unclass(r$cov)), cor = unname(unclass(c$cov)))
    if (!is.null(r$mean)) {
      out$raw_mean <- I(unname(as.numeric(r$mean)))
      out$cor_mean <- I(unname(as.numeric(c$mean)))
    }
    out
  }
  if (lavInspect(fit, "ngroups") == 1L) one(raw, cor) else unname(Map(one, raw, cor))
}

moment_block <- function(moments, what = c("cov", "mean")) {
  what <- match.arg(what)
  if (what == "cov") return(named_matrix(moments$cov))
  if (is.null(moments$mean)) return(NULL)
  list(names = I(names(moments$mean)), values = I(unname(as.numeric(moments$mean))))
}

r2_block <- function(fit) {
  r2 <- lavInspect(fit, "r2")
  per_group(fit, r2, function(x) as.list(x))
}

# ---------------------------------------------------------------------------
# write_case: everything the Python side compares, for one fitted model
# ---------------------------------------------------------------------------

write_case <- function(name, fit, data_file, model, options, extra = list()) {
  est <- with_group(parameterEstimates(fit, standardized = TRUE))
  if (!"label" %in% names(est)) est$label <- ""  # lavaan omits the column when no parameter is labelled
  mi <- with_group(modindices(fit))
  std <- with_group(standardizedSolution(fit))
  std <- std[, intersect(c("lhs", "op", "rhs", "group", "est_std", "se", "z", "pvalue", "ci_lower", "ci_upper"),
                         names(std))]
  fm <- as.list(fitMeasures(fit))
  names(fm) <- gsub(".", "_", names(fm), fixed = TRUE)
  implied <- lavInspect(fit, "implied")
  sampstat <- lavInspect(fit, "sampstat")
  multi <- lavInspect(fit, "ngroups") > 1L

  x <- c(
    list(case = name),
    VERSIONS,
    list(
      data = data_file,
      data_sha256 = sha256_file(data_file),
      model = model,
      options = resolved_options(fit, options),
      nobs = I(as.integer(lavInspect(fit, "nobs"))),
      converged = lavInspect(fit, "converged"),
      estimates = est,
      standardized_solution = std,
      fit_measures = fm,
      r2 = r2_block(fit),
      modindices = mi,
      residuals = residual_block(fit),
      implied_cov = if (multi) unname(lapply(implied, moment_block)) else moment_block(implied),
      sample_cov = if (multi) unname(lapply(sampstat, moment_block)) else moment_block(sampstat)
    )
  )
  if (lavInspect(fit, "meanstructure")) {
    x$implied_mean <- if (multi) unname(lapply(implied, moment_block, "mean")) else moment_block(implied, "mean")
    x$sample_mean <- if (multi) unname(lapply(sampstat, moment_block, "mean")) else moment_block(sampstat, "mean")
  }
  x$warnings <- I(fit@external$captured_warnings)
  for (key in names(extra)) x[[key]] <- extra[[key]]
  write_fixture(x, name)
}

# ---------------------------------------------------------------------------
# models
# ---------------------------------------------------------------------------

HS_MODEL <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"

HS_PATH_MODEL <- "x4 ~ x1 + x2
x5 ~ x4 + x3"

POLDEM_MODEL <- "ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ a*ind60
dem65 ~ c*ind60 + b*dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8
indirect := a*b
total := c + a*b"

SERVQUAL_CONSTRUCTS <- list(
  tangibles = paste0("tan", 1:4),
  reliability = paste0("rel", 1:5),
  responsiveness = paste0("res", 1:4),
  assurance = paste0("ass", 1:4),
  empathy = paste0("emp", 1:5),
  satisfaction = paste0("sat", 1:3),
  loyalty = paste0("loy", 1:4)
)
SERVQUAL_ITEMS <- unlist(SERVQUAL_CONSTRUCTS, use.names = FALSE)
DIMENSIONS <- c("tangibles", "reliability", "responsiveness", "assurance", "empathy")

SERVQUAL_MEASUREMENT <- paste(
  sprintf("%s =~ %s", names(SERVQUAL_CONSTRUCTS),
          vapply(SERVQUAL_CONSTRUCTS, paste, "", collapse = " + ")),
  collapse = "\n"
)

A_LABELS <- paste0("a", seq_along(DIMENSIONS))
C_LABELS <- paste0("c", seq_along(DIMENSIONS))

SATISFACTION_LINE <- paste("satisfaction ~", paste0(A_LABELS, "*", DIMENSIONS, collapse = " + "))
INDIRECT_LINES <- sprintf("ind_%s := %s*b", DIMENSIONS, A_LABELS)
TOTAL_LINES <- sprintf("total_%s := %s + %s*b", DIMENSIONS, C_LABELS, A_LABELS)

SERVQUAL_SEM <- paste(c(SERVQUAL_MEASUREMENT, SATISFACTION_LINE,
                        "loyalty ~ b*satisfaction", INDIRECT_LINES), collapse = "\n")
SERVQUAL_SEM_DIRECT <- paste(c(
  SERVQUAL_MEASUREMENT, SATISFACTION_LINE,
  paste("loyalty ~ b*satisfaction +", paste0(C_LABELS, "*", DIMENSIONS, collapse = " + ")),
  INDIRECT_LINES, TOTAL_LINES
), collapse = "\n")

# ---------------------------------------------------------------------------
# cases
# ---------------------------------------------------------------------------

hs_data <- function() {
  export_data(lavaan::HolzingerSwineford1939, file.path(FIXTURE_DATA_DIR, "hs1939.csv"))
}

poldem_data <- function() {
  export_data(lavaan::PoliticalDemocracy, file.path(FIXTURE_DATA_DIR, "poldem.csv"))
}

servqual_data <- function() {
  if (!file.exists(SERVQUAL_DATA)) {
    stop("the bundled sample ", SERVQUAL_DATA, " does not exist yet: run `make data` first, ",
         "or run only the other cases, e.g. Rscript tests/reference/make_refs.R hs_cfa poldem_sem")
  }
  data <- read.csv(SERVQUAL_DATA)
  missing_items <- setdiff(SERVQUAL_ITEMS, names(data))
  if (length(missing_items) > 0) {
    stop(SERVQUAL_DATA, " lacks the item columns: ", paste(missing_items, collapse = ", "))
  }
  data
}

complete_items <- function(data) {
  items <- data[, SERVQUAL_ITEMS]
  items[complete.cases(items), , drop = FALSE]
}

run_hs_cfa <- function() {
  data_file <- file.path(FIXTURE_DATA_DIR, "hs1939.csv")
  fit <- fit_lavaan("cfa", HS_MODEL, hs_data())
  write_case("hs_cfa", fit, data_file, HS_MODEL, list())
}

run_hs_cfa_stdlv <- function() {
  data_file <- file.path(FIXTURE_DATA_DIR, "hs1939.csv")
  options <- list(std.lv = TRUE, meanstructure = TRUE)
  fit <- fit_lavaan("cfa", HS_MODEL, hs_data(), options)
  write_case("hs_cfa_stdlv", fit, data_file, HS_MODEL, options)
}

run_hs_path <- function() {
  data_file <- file.path(FIXTURE_DATA_DIR, "hs1939.csv")
  fit <- fit_lavaan("sem", HS_PATH_MODEL, hs_data())
  write_case("hs_path", fit, data_file, HS_PATH_MODEL, list())
}

run_poldem_sem <- function() {
  data_file <- file.path(FIXTURE_DATA_DIR, "poldem.csv")
  fit <- fit_lavaan("sem", POLDEM_MODEL, poldem_data())
  write_case("poldem_sem", fit, data_file, POLDEM_MODEL, list())
}

# psych::alpha for one construct: totals, Feldt 95% CI, and item-drop statistics.
alpha_block <- function(items) {
  a <- psych::alpha(items, warnings = FALSE)
  list(
    items = I(names(items)),
    n = nrow(items),
    raw_alpha = a$total$raw_alpha,
    std_alpha = a$total$std.alpha,
    ase = a$total$ase,
    feldt_ci_lower = a$feldt$lower.ci$raw_alpha,
    feldt_ci_upper = a$feldt$upper.ci$raw_alpha,
    r_drop = as.list(setNames(a$item.stats$r.drop, rownames(a$item.stats))),
    alpha_if_dropped = as.list(setNames(a$alpha.drop$raw_alpha, rownames(a$alpha.drop)))
  )
}

reliability_block <- function(fit, data) {
  items <- complete_items(data)
  h <- htmt(SERVQUAL_MEASUREMENT, data = items)
  list(
    note = paste("compRelSEM/AVE on the fitted CFA; htmt (semTools defaults: absolute = TRUE,",
                 "htmt2 = TRUE) and psych::alpha on the complete cases of the 29 model items"),
    n_complete = nrow(items),
    omega = as.list(compRelSEM(fit)),
    omega_model_var = as.list(compRelSEM(fit, obs.var = FALSE)),
    ave = as.list(AVE(fit)),
    htmt = named_matrix(h),
    alpha = lapply(SERVQUAL_CONSTRUCTS, function(cols) alpha_block(items[, cols]))
  )
}

run_servqual_cfa <- function() {
  data <- servqual_data()
  fit <- fit_lavaan("cfa", SERVQUAL_MEASUREMENT, data)
  write_case("servqual_cfa", fit, SERVQUAL_DATA, SERVQUAL_MEASUREMENT, list(),
             extra = list(reliability = reliability_block(fit, data)))
}

run_servqual_sem <- function() {
  fit <- fit_lavaan("sem", SERVQUAL_SEM, servqual_data())
  write_case("servqual_sem", fit, SERVQUAL_DATA, SERVQUAL_SEM, list())
}

run_servqual_sem_direct <- function() {
  fit <- fit_lavaan("sem", SERVQUAL_SEM_DIRECT, servqual_data())
  write_case("servqual_sem_direct", fit, SERVQUAL_DATA, SERVQUAL_SEM_DIRECT, list())
}

run_servqual_descriptives <- function() {
  items <- complete_items(servqual_data())
  m <- psych::mardia(items, plot = FALSE)
  d <- psych::describe(items)
  x <- c(
    list(case = "servqual_descriptives"),
    VERSIONS,
    list(
      data = SERVQUAL_DATA,
      data_sha256 = sha256_file(SERVQUAL_DATA),
      items = I(SERVQUAL_ITEMS),
      note = "complete cases of the 29 model items; describe() uses type = 3 skew and kurtosis",
      mardia = list(
        n = m$n.obs, b1p = m$b1p, b2p = m$b2p,
        skew = m$skew, p_skew = m$p.skew,
        kurtosis = m$kurtosis, p_kurtosis = m$p.kurt,
        small_skew = m$small.skew, p_small_skew = m$p.small
      ),
      describe = list(
        item = I(rownames(d)), n = I(as.numeric(d$n)),
        mean = I(d$mean), sd = I(d$sd),
        skew = I(d$skew), kurtosis = I(d$kurtosis)
      )
    )
  )
  write_fixture(x, "servqual_descriptives")
}

# ---------------------------------------------------------------------------
# Robust ML, FIML and multi-group (invariance) cases
# ---------------------------------------------------------------------------

# lavTestScore(fit)$uni with each constraint named by the parameter it frees:
# the right-hand label of "p_group1 == p_groupG" belongs to group G.
release_block <- function(fit) {
  pt <- parTable(fit)
  uni <- lavTestScore(fit)$uni
  where <- function(label) {
    i <- which(pt$plabel == label)
    list(lhs = pt$lhs[i], op = pt$op[i], rhs = pt$rhs[i], group = pt$group[i])
  }
  rows <- lapply(seq_len(nrow(uni)), function(k) {
    w <- where(uni$rhs[k])
    c(w, list(x2 = uni$X2[k], df = uni$df[k], pvalue = uni$p.value[k]))
  })
  rows
}

run_multigroup <- function(name, fun, model, data, data_file, options, score = FALSE) {
  fit <- fit_lavaan(fun, model, data, options)
  extra <- if (score) list(release_tests = release_block(fit)) else list()
  write_case(name, fit, data_file, model, options, extra = extra)
}

hs_file <- function() file.path(FIXTURE_DATA_DIR, "hs1939.csv")

run_hs_cfa_mlr <- function() {
  options <- list(estimator = "MLR")
  write_case("hs_cfa_mlr", fit_lavaan("cfa", HS_MODEL, hs_data(), options), hs_file(), HS_MODEL, options)
}

run_servqual_cfa_mlr <- function() {
  options <- list(estimator = "MLR")
  fit <- fit_lavaan("cfa", SERVQUAL_MEASUREMENT, servqual_data(), options)
  write_case("servqual_cfa_mlr", fit, SERVQUAL_DATA, SERVQUAL_MEASUREMENT, options)
}

run_servqual_cfa_wlsmv <- function() {
  options <- list(estimator = "WLSMV", ordered = SERVQUAL_ITEMS)
  fit <- fit_lavaan("cfa", SERVQUAL_MEASUREMENT, servqual_data(), options)
  write_case("servqual_cfa_wlsmv", fit, SERVQUAL_DATA, SERVQUAL_MEASUREMENT, options,
             extra = list(thresholds = I(unname(as.numeric(lavInspect(fit, "sampstat")$th))),
                          gamma_diag = I(unname(diag(lavInspect(fit, "gamma"))))))
}

run_servqual_sem_wlsmv <- function() {
  options <- list(estimator = "WLSMV", ordered = SERVQUAL_ITEMS)
  fit <- fit_lavaan("sem", SERVQUAL_SEM, servqual_data(), options)
  write_case("servqual_sem_wlsmv", fit, SERVQUAL_DATA, SERVQUAL_SEM, options)
}

run_hs_cfa_wlsmv <- function() {
  # HolzingerSwineford1939 cut into 3 and 4 categories: small tables with empty cells
  hs <- lavaan::HolzingerSwineford1939[, paste0("x", 1:9)]
  cuts <- rep(c(3L, 4L, 3L), 3)
  for (k in seq_along(cuts)) hs[[k]] <- as.integer(cut(hs[[k]], cuts[k], labels = FALSE))
  data_file <- file.path(FIXTURE_DATA_DIR, "hs1939_ordinal.csv")
  data <- export_data(hs, data_file)
  options <- list(estimator = "WLSMV", ordered = paste0("x", 1:9))
  fit <- fit_lavaan("cfa", HS_MODEL, data, options)
  write_case("hs_cfa_wlsmv", fit, data_file, HS_MODEL, options)
}

run_hs_wlsmv_difftest <- function() {
  # DIFFTEST (lavTestLRT for WLSMV): the 3-factor model against a 2-factor model (visual and
  # textual merged), both on the ordinal HolzingerSwineford data
  data_file <- file.path(FIXTURE_DATA_DIR, "hs1939_ordinal.csv")
  data <- read.csv(data_file)
  options <- list(estimator = "WLSMV", ordered = paste0("x", 1:9))
  two <- "vt =~ x1 + x2 + x3 + x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
  fit1 <- fit_lavaan("cfa", HS_MODEL, data, options)
  fit0 <- fit_lavaan("cfa", two, data, options)
  lrt <- as.data.frame(lavTestLRT(fit1, fit0))
  write_fixture(c(list(case = "hs_wlsmv_difftest"), VERSIONS,
                  list(data = data_file, data_sha256 = sha256_file(data_file), model_free = HS_MODEL,
                       model_restricted = two, options = options,
                       chisq = I(unname(lrt$Chisq)), df = I(unname(lrt$Df)),
                       delta_chisq = lrt[["Chisq diff"]][2], delta_df = lrt[["Df diff"]][2],
                       delta_pvalue = lrt[["Pr(>Chisq)"]][2])), "hs_wlsmv_difftest")
}

run_servqual_cfa_fiml <- function() {
  options <- list(missing = "ml")
  fit <- fit_lavaan("cfa", SERVQUAL_MEASUREMENT, servqual_data(), options)
  write_case("servqual_cfa_fiml", fit, SERVQUAL_DATA, SERVQUAL_MEASUREMENT, options)
}

run_hs_configural <- function() {
  run_multigroup("hs_configural", "cfa", HS_MODEL, hs_data(), hs_file(), list(group = "school"))
}

run_hs_metric <- function() {
  run_multigroup("hs_metric", "cfa", HS_MODEL, hs_data(), hs_file(),
                 list(group = "school", group.equal = "loadings"))
}

run_hs_scalar <- function() {
  run_multigroup("hs_scalar", "cfa", HS_MODEL, hs_data(), hs_file(),
                 list(group = "school", group.equal = c("loadings", "intercepts")), score = TRUE)
}

run_hs_scalar_mlr <- function() {
  run_multigroup("hs_scalar_mlr", "cfa", HS_MODEL, hs_data(), hs_file(),
                 list(group = "school", group.equal = c("loadings", "intercepts"), estimator = "MLR"))
}

run_servqual_scalar <- function() {
  run_multigroup("servqual_scalar", "cfa", SERVQUAL_MEASUREMENT, servqual_data(), SERVQUAL_DATA,
                 list(group = "country", group.equal = c("loadings", "intercepts")), score = TRUE)
}

run_servqual_scalar_partial <- function() {
  run_multigroup("servqual_scalar_partial", "cfa", SERVQUAL_MEASUREMENT, servqual_data(), SERVQUAL_DATA,
                 list(group = "country", group.equal = c("loadings", "intercepts"), group.partial = "res3~1"))
}

# Built-to-fail data (tests/reference/make_failing_data.py): lavaan's warnings are the reference
run_fail_case <- function(name, file, model) {
  data_file <- file.path(FIXTURE_DATA_DIR, file)
  fit <- fit_lavaan("cfa", model, read.csv(data_file))
  write_case(name, fit, data_file, model, list())
}

run_fail_heywood <- function() run_fail_case("fail_heywood", "heywood.csv", "f =~ y1 + y2 + y3")

run_fail_npd <- function() {
  run_fail_case("fail_npd", "npd_latent.csv", "f1 =~ y1 + y2 + y3\nf2 =~ y4 + y5 + y6\nf3 =~ y7 + y8 + y9")
}

# Surveys on other answer scales (tests/reference/make_scale_data.py): a second-order
# model on 0-100 sliders and the structural model on mixed 1-5/1-7/1-10/0-100 items
SERVQUAL_SECOND_ORDER <- paste(c(
  sprintf("%s =~ %s", DIMENSIONS, vapply(SERVQUAL_CONSTRUCTS[DIMENSIONS], paste, "", collapse = " + ")),
  paste("service_quality =~", paste(DIMENSIONS, collapse = " + ")),
  sprintf("%s =~ %s", c("satisfaction", "loyalty"),
          vapply(SERVQUAL_CONSTRUCTS[c("satisfaction", "loyalty")], paste, "", collapse = " + ")),
  "satisfaction ~ a*service_quality",
  "loyalty ~ b*satisfaction",
  "ind_service_quality := a*b"
), collapse = "\n")

run_scale_case <- function(name, file, model) {
  data_file <- file.path(FIXTURE_DATA_DIR, file)
  fit <- fit_lavaan("sem", model, read.csv(data_file))
  write_case(name, fit, data_file, model, list())
}

run_servqual_second_order_0_100 <- function() {
  run_scale_case("servqual_second_order_0_100", "servqual_0_100.csv", SERVQUAL_SECOND_ORDER)
}

run_servqual_sem_mixed_scale <- function() {
  run_scale_case("servqual_sem_mixed_scale", "servqual_mixed_scale.csv", SERVQUAL_SEM)
}

CASES <- list(
  fail_heywood = run_fail_heywood,
  fail_npd = run_fail_npd,
  hs_cfa = run_hs_cfa,
  poldem_sem = run_poldem_sem,
  hs_cfa_stdlv = run_hs_cfa_stdlv,
  hs_path = run_hs_path,
  servqual_cfa = run_servqual_cfa,
  servqual_sem = run_servqual_sem,
  servqual_sem_direct = run_servqual_sem_direct,
  servqual_descriptives = run_servqual_descriptives,
  hs_cfa_mlr = run_hs_cfa_mlr,
  servqual_cfa_mlr = run_servqual_cfa_mlr,
  servqual_cfa_fiml = run_servqual_cfa_fiml,
  servqual_cfa_wlsmv = run_servqual_cfa_wlsmv,
  hs_cfa_wlsmv = run_hs_cfa_wlsmv,
  servqual_sem_wlsmv = run_servqual_sem_wlsmv,
  hs_wlsmv_difftest = run_hs_wlsmv_difftest,
  hs_configural = run_hs_configural,
  hs_metric = run_hs_metric,
  hs_scalar = run_hs_scalar,
  hs_scalar_mlr = run_hs_scalar_mlr,
  servqual_scalar = run_servqual_scalar,
  servqual_scalar_partial = run_servqual_scalar_partial,
  servqual_second_order_0_100 = run_servqual_second_order_0_100,
  servqual_sem_mixed_scale = run_servqual_sem_mixed_scale
)

selected <- commandArgs(trailingOnly = TRUE)
if (length(selected) == 0L) selected <- names(CASES)
unknown <- setdiff(selected, names(CASES))
if (length(unknown) > 0L) {
  stop("unknown case(s): ", paste(unknown, collapse = ", "),
       ". Known cases: ", paste(names(CASES), collapse = ", "))
}
for (case in selected) {
  set.seed(1)
  CASES[[case]]()
}
