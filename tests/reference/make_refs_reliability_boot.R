# Reference values for the bootstrap of omega and AVE (sqlib.reliability_bootstrap).
#
# Run from the project root, after `python tests/reference/make_reliability_boot_data.py`
# (`make refs` runs both):
#   Rscript tests/reference/make_refs_reliability_boot.R
#
# The python maker writes the complete rows of the SERVQUAL sample and, per bootstrap draw,
# the 1-based row numbers of its resample (the resamples sqlib draws for its seed). For every
# draw this script refits the seven-factor CFA with lavaan on exactly those rows and records
# semTools::compRelSEM (observed and model-implied variance) and semTools::AVE, then the
# percentile interval of the draws with R's quantile(). This is what a semTools user gets from
#   bootstrapLavaan(fit, R = draws, FUN = function(f) c(compRelSEM(f), AVE(f)))
# with the same resamples. Writes tests/fixtures/servqual_reliability_boot.json.

suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
  library(jsonlite)
})

source(file.path("tests", "reference", "make_refs_helpers.R"))

ROWS_DATA <- file.path(FIXTURE_DATA_DIR, "reliability_boot_rows.csv")
RESAMPLES <- file.path(FIXTURE_DATA_DIR, "reliability_boot_resamples.csv")
LEVEL <- 0.95

for (path in c(ROWS_DATA, RESAMPLES)) {
  if (!file.exists(path)) stop(path, " is missing: run python tests/reference/make_reliability_boot_data.py")
}

rows <- read.csv(ROWS_DATA)
resamples <- read.csv(RESAMPLES)

reliabilities <- function(fit) {
  list(omega = as.list(compRelSEM(fit)),
       omega_model = as.list(compRelSEM(fit, obs.var = FALSE)),
       ave = as.list(AVE(fit)))
}

full <- cfa(SERVQUAL_MEASUREMENT, data = rows)
draws <- lapply(seq_along(resamples), function(k) {
  fit <- cfa(SERVQUAL_MEASUREMENT, data = rows[resamples[[k]], ])
  c(list(draw = k - 1L, converged = lavInspect(fit, "converged")), reliabilities(fit))
})

# percentile interval of each statistic and construct over the draws (type 7, R's default)
percentile <- function(statistic) {
  values <- sapply(draws, function(d) unlist(d[[statistic]]))
  lapply(split(values, rownames(values)), function(v) {
    q <- quantile(v, c((1 - LEVEL) / 2, (1 + LEVEL) / 2), names = FALSE)
    list(ci_lower = q[1], ci_upper = q[2], se = sd(v))
  })
}

write_fixture(c(
  list(case = "servqual_reliability_boot"),
  VERSIONS,
  list(
    data = ROWS_DATA,
    data_sha256 = sha256_file(ROWS_DATA),
    resamples = RESAMPLES,
    resamples_sha256 = sha256_file(RESAMPLES),
    model = SERVQUAL_MEASUREMENT,
    level = LEVEL,
    note = paste("per draw: cfa() refitted on rows[resamples[[draw]], ] (draw is 0-based, the columns of the",
                 "resamples file in order); compRelSEM(fit), compRelSEM(fit, obs.var = FALSE), AVE(fit);",
                 "intervals: quantile(values, c(.025, .975)) over the draws"),
    full_sample = reliabilities(full),
    draws = draws,
    percentile = list(omega = percentile("omega"), ave = percentile("ave"))
  )
), "servqual_reliability_boot")
