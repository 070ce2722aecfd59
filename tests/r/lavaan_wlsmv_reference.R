# Reference results for csindex.sem.wlsmv (ordinal items, estimator WLSMV) from lavaan.
# Run from the project root:  Rscript tests/r/lavaan_wlsmv_reference.R
# Writes tests/fixtures/wlsmv/<case>_{estimates,fit,sample,gamma}.csv; the first line of every
# file names this script. Data: tests/fixtures/data/ecsi_mobi.csv (250 rows, items on 1-10) cut
# deterministically into five ordered categories: 1-5 -> 1, 6 -> 2, 7 -> 3, 8 -> 4, 9-10 -> 5
# (every category is used by every item). Cases:
#   cfa    three-factor CFA (IM: IMAG1-5, PQ: PERQ1-7, CS: CUSA1-3), factor covariances free
#   ecsi10 the ECSI model on the raw ten-point items (as config/examples/ecsi_wlsmv.yaml fits it)
#   ecsi   the ECSI model (Image -> CE, CS, CL plus the ACSI paths); complaints (CC) is the single
#          item CUSCO, entered as an observed ordinal variable (the construct is the item's latent
#          response: lavaan's phantom variable, variance 1 under the delta parameterization)
# Optimiser: lavaan's default nlminb (a tighter rel.tol makes nlminb stop with a warning); the
# estimates are within ~4e-6 of the DWLS optimum.
# All fits: estimator = "WLSMV" (DWLS estimates, robust.sem SEs, scaled.shifted test), delta
# parameterization, marker-variable identification, ordered = all items of the model.
suppressPackageStartupMessages(library(lavaan))
out <- "tests/fixtures/wlsmv"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
header <- sprintf("# made by tests/r/lavaan_wlsmv_reference.R (lavaan %s, %s)",
                  as.character(packageVersion("lavaan")), R.version.string)
write_fixture <- function(df, name) {
  path <- file.path(out, paste0(name, ".csv"))
  con <- file(path, "w")
  writeLines(header, con)
  write.csv(format(df, digits = 17), con, row.names = FALSE, quote = TRUE)
  close(con)
}

mobi <- read.csv("tests/fixtures/data/ecsi_mobi.csv")[, -1]
cut5 <- as.data.frame(lapply(mobi, function(x) cut(x, c(0, 5, 6, 7, 8, 10), labels = FALSE)))

models <- list(
  cfa = "
IM =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
PQ =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7
CS =~ CUSA1 + CUSA2 + CUSA3
",
  ecsi = "
IM =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
CE =~ CUEX1 + CUEX2 + CUEX3
PQ =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7
PV =~ PERV1 + PERV2
CS =~ CUSA1 + CUSA2 + CUSA3
CL =~ CUSL1 + CUSL2 + CUSL3
CE ~ IM
PQ ~ CE
PV ~ CE + PQ
CS ~ IM + CE + PQ + PV
CUSCO ~ CS
CL ~ IM + CS + CUSCO
")

measures <- c("ntotal", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
              "chisq.scaling.factor", "chisq.shift.parameters", "baseline.chisq", "baseline.df",
              "baseline.chisq.scaled", "baseline.df.scaled", "cfi", "tli", "rmsea",
              "cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr")

models$ecsi10 <- models$ecsi
for (case in names(models)) {
  dat <- if (case == "ecsi10") mobi else cut5
  fit <- sem(models[[case]], data = dat, estimator = "WLSMV", ordered = TRUE)
  stopifnot(lavInspect(fit, "converged"))
  pe <- parameterEstimates(fit, ci = FALSE, remove.nonfree = FALSE)
  write_fixture(pe[, c("lhs", "op", "rhs", "est", "se")], paste0(case, "_estimates"))
  fm <- fitMeasures(fit, measures)
  write_fixture(data.frame(measure = names(fm), value = as.numeric(fm)), paste0(case, "_fit"))
  ss <- lavInspect(fit, "sampstat")
  th <- ss$th
  rr <- ss$cov
  idx <- which(lower.tri(rr), arr.ind = TRUE)
  idx <- idx[order(idx[, 2], idx[, 1]), , drop = FALSE]
  samp <- rbind(
    data.frame(name = names(th), value = as.numeric(th)),
    data.frame(name = paste(colnames(rr)[idx[, 1]], colnames(rr)[idx[, 2]], sep = "~~"),
               value = rr[idx])
  )
  g <- lavInspect(fit, "gamma")
  samp$gamma_diag <- diag(g)
  write_fixture(samp, paste0(case, "_sample"))
}
