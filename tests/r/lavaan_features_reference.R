# Reference results for the lavaan-syntax features of csindex.sem (CB-SEM by ML) from lavaan.
# Run from the project root:  Rscript tests/r/lavaan_features_reference.R
# Writes tests/fixtures/lavaan/<case>_{estimates,standardized,fit}.csv (first line names this
# script) and the data sets tests/fixtures/data/{political_democracy,holzinger_swineford}.csv
# (lavaan's PoliticalDemocracy and HolzingerSwineford1939). Cases:
#   poldem_resid    lavaan's PoliticalDemocracy model: free covariances between item residuals
#                   (y1 ~~ y5, y2 ~~ y4 + y6, y3 ~~ y7, y4 ~~ y8, y6 ~~ y8)
#   poldem_dist     covariance between two disturbances (dem60 ~~ dem65, both regressed on
#                   ind60) and one residual covariance
#   poldem_equal    equality through shared labels (a*y2 ... a*y6), as lavaan's tutorial
#   poldem_defined  labelled paths and defined parameters (:=, delta-method SEs)
#   hs_fixed        fixed values (0.5*x5), a freed marker (NA*x1) with a fixed latent variance
#                   (visual ~~ 1*visual), a fixed covariance (textual ~~ 0.3*speed)
#   hs_cross        a cross-loading (visual =~ ... + x9) and a labelled loading
#   poldem_xcov     a construct-item covariance (ind60 ~~ y1)
# Every fit runs lavaan's BFGS optimiser to a tight tolerance and then Newton steps on lavaan's
# own gradient and Hessian; the equality-constrained case uses lavaan's default optimiser (see
# there).
suppressPackageStartupMessages(library(lavaan))
out <- "tests/fixtures/lavaan"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
header <- sprintf("# made by tests/r/lavaan_features_reference.R (lavaan %s, %s)",
                  as.character(packageVersion("lavaan")), R.version.string)

write_fixture <- function(df, name, dir = out) {
  path <- file.path(dir, paste0(name, ".csv"))
  con <- file(path, "w")
  writeLines(header, con)
  write.csv(format(df, digits = 17), con, row.names = FALSE, quote = TRUE)
  close(con)
}
write_fixture(PoliticalDemocracy, "political_democracy", "tests/fixtures/data")
write_fixture(HolzingerSwineford1939, "holzinger_swineford", "tests/fixtures/data")

tight <- list(reltol = 1e-16, maxit = 10000)
fit_measures <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic",
                  "logl", "npar")

newton_polish <- function(fit, model, ..., tol = 1e-12, maxit = 30) {
  at <- fit
  for (it in seq_len(maxit)) {
    g <- lavInspect(at, "gradient")
    if (max(abs(g)) < tol) break
    x <- coef(at)
    H <- lavInspect(at, "hessian")
    step <- tryCatch(solve(H, g), error = function(e) NULL)
    if (is.null(step)) break  # equality constraints: the full Hessian is singular; BFGS result
    pt <- parTable(at)
    free <- pt$free > 0
    xs <- x - step
    pt$est[free] <- xs[pt$free[free]]
    pt$start <- pt$est
    at <- sem(model, ..., start = pt, optim.method = "none")
  }
  at
}

fit_case <- function(model, data, ...) {
  newton_polish(sem(model, data = data, optim.method = "BFGS", control = tight, ...),
                model, data = data, ...)
}

dump_case <- function(fit, name) {
  pe <- parameterEstimates(fit)
  if (is.null(pe$label)) pe$label <- ""
  write_fixture(pe[, c("lhs", "op", "rhs", "label", "est", "se", "z", "pvalue")],
                paste0(name, "_estimates"))
  ss <- standardizedSolution(fit)
  write_fixture(ss[, c("lhs", "op", "rhs", "est.std", "se", "z", "pvalue")],
                paste0(name, "_standardized"))
  fm <- fitMeasures(fit, fit_measures)
  write_fixture(data.frame(measure = names(fm), value = as.numeric(fm)), paste0(name, "_fit"))
  cat(name, ": converged", lavInspect(fit, "converged"), " chisq", fm[["chisq"]],
      " max |gradient|", max(abs(lavInspect(fit, "gradient"))), "\n")
}

pd <- PoliticalDemocracy
hs <- HolzingerSwineford1939

poldem_resid <- "
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ ind60
dem65 ~ ind60 + dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8
"
dump_case(fit_case(poldem_resid, pd), "poldem_resid")

poldem_dist <- "
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ ind60
dem65 ~ ind60
dem60 ~~ dem65
y1 ~~ y5
"
dump_case(fit_case(poldem_dist, pd), "poldem_dist")

poldem_equal <- "
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + a*y2 + b*y3 + c*y4
dem65 =~ y5 + a*y6 + b*y7 + c*y8
dem60 ~ ind60
dem65 ~ ind60 + dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8
"
# BFGS does not converge here (lavaan's reduced parameters): lavaan's default nlminb, which
# stops ~1e-6 (relative) from the optimum; tests compare at 1e-5.
dump_case(sem(poldem_equal, data = pd), "poldem_equal")

poldem_defined <- "
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ a*ind60
dem65 ~ c*ind60 + b*dem60
y1 ~~ y5
y4 ~~ y8
ind := a*b
total := c + a*b
ratio := a*b/(c + a*b)
"
dump_case(fit_case(poldem_defined, pd), "poldem_defined")

hs_fixed <- "
visual =~ NA*x1 + x2 + x3
textual =~ x4 + 0.5*x5 + x6
speed =~ x7 + x8 + x9
visual ~~ 1*visual
textual ~~ 0.3*speed
"
dump_case(fit_case(hs_fixed, hs), "hs_fixed")

hs_cross <- "
visual =~ x1 + x2 + x3 + x9
textual =~ x4 + x5 + l6*x6
speed =~ x7 + x8 + x9
"
dump_case(fit_case(hs_cross, hs), "hs_cross")

poldem_xcov <- "
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem60 ~ ind60
ind60 ~~ y1
"
dump_case(fit_case(poldem_xcov, pd), "poldem_xcov")

# standard (expected-information) SEs with informative sampling weights (se = "standard")
mobi <- read.csv("tests/fixtures/data/ecsi_mobi.csv")[, -1]
mobi$w <- 1 + ((seq_len(nrow(mobi)) %% 5) / 2)
acsi <- "
CE =~ CUEX1 + CUEX2 + CUEX3
PQ =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7
PV =~ PERV1 + PERV2
CS =~ CUSA1 + CUSA2 + CUSA3
CC =~ 1*CUSCO
CL =~ CUSL1 + CUSL2 + CUSL3
PQ ~ CE
PV ~ CE + PQ
CS ~ CE + PQ + PV
CC ~ CS
CL ~ CS + CC
CUSCO ~~ 0*CUSCO
"
dump_case(fit_case(acsi, mobi, sampling.weights = "w", se = "standard"), "acsi_mobi_weighted_standard")
