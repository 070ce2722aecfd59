# Reference results for csindex.sem.multigroup / csindex.sem.invariance (multi-group CB-SEM by
# ML and measurement invariance) from lavaan.
# Run from the project root:  Rscript tests/r/lavaan_multigroup_reference.R
# Writes tests/fixtures/lavaan/mg_<case>_{estimates,fit}.csv and mg_<case>_lrt.csv (first line
# names this script). Groups are ordered by sorted label (group.label = sort(unique(...))).
# Cases:
#   hs_<level>     lavaan's invariance tutorial: HolzingerSwineford1939 three-factor CFA by
#                  school; configural, metric (loadings), scalar (+ intercepts), strict
#                  (+ residuals); hs_lrt = lavTestLRT(configural, metric, scalar, strict)
#   hs_all         SEM variant (speed ~ visual + textual, x1 ~~ x4) with group.equal =
#                  loadings, intercepts, means, regressions, lv.variances, lv.covariances,
#                  residuals, residual.covariances
#   hs_partial     scalar with group.partial = c("x3 ~ 1", "visual =~ x2")
#   mobi_<level>   the ACSI model on ecsi_mobi.csv by image: group "high" where IMAG3 >= 7,
#                  else "low"; configural, metric, scalar; mobi_lrt
#   mobiw_<level>  the same with sampling.weights w = 1 + (i mod 5) / 2, estimator MLR;
#                  mobiw_lrt = lavTestLRT (Satorra-Bentler 2001 scaled difference)
# The fits use lavaan's default optimiser, then Newton steps where lavaan's Hessian is
# invertible (see fit_mg).
suppressPackageStartupMessages(library(lavaan))
out <- "tests/fixtures/lavaan"
header <- sprintf("# made by tests/r/lavaan_multigroup_reference.R (lavaan %s, %s)",
                  as.character(packageVersion("lavaan")), R.version.string)
write_fixture <- function(df, name) {
  con <- file(file.path(out, paste0(name, ".csv")), "w")
  writeLines(header, con)
  write.csv(format(df, digits = 17), con, row.names = FALSE, quote = TRUE)
  close(con)
}
fit_measures <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic",
                  "logl", "npar", "baseline.chisq", "baseline.df")

fit_mg <- function(model, data, group, ...) {
  labs <- sort(unique(as.character(data[[group]])))
  f <- cfa(model, data = data, group = group, group.label = labs, ...)
  # Newton steps on lavaan's gradient and Hessian where it is invertible (no equality
  # constraints); with equality constraints lavaan's nlminb solution (~1e-6 relative) is kept
  for (it in 1:20) {
    if (any(parTable(f)$op == "==")) break
    g <- lavInspect(f, "gradient")
    if (max(abs(g)) < 1e-12) break
    step <- tryCatch(solve(lavInspect(f, "hessian"), g), error = function(e) NULL)
    if (is.null(step)) break
    pt <- parTable(f)
    free <- pt$free > 0
    x <- coef(f) - step
    pt$est[free] <- x[pt$free[free]]
    pt$start <- pt$est
    f2 <- cfa(model, data = data, group = group, group.label = labs, start = pt,
              optim.method = "none", ...)
    if (!lavInspect(f2, "converged")) break
    f <- f2
  }
  f
}
dump_mg <- function(fit, name) {
  pe <- parameterEstimates(fit)
  pe$group_label <- lavInspect(fit, "group.label")[pe$group]
  write_fixture(pe[pe$op != "==", c("lhs", "op", "rhs", "group", "group_label", "est", "se")],
                paste0(name, "_estimates"))
  fm <- fitMeasures(fit, fit_measures)
  if (lavInspect(fit, "options")$test != "standard") {
    fm2 <- fitMeasures(fit, c("chisq.scaled", "df.scaled", "chisq.scaling.factor"))
    fm <- c(fm, fm2)
  }
  write_fixture(data.frame(measure = names(fm), value = as.numeric(fm)), paste0(name, "_fit"))
  cat(name, ": converged", lavInspect(fit, "converged"), " chisq", fm[["chisq"]],
      " max |gradient|", max(abs(lavInspect(fit, "gradient"))), "\n")
}
dump_lrt <- function(lrt, name) {
  d <- as.data.frame(lrt)
  d$model <- rownames(d)
  names(d) <- make.names(names(d))
  write_fixture(d, name)
}

hs <- HolzingerSwineford1939
hs_cfa <- "
visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
"
levels <- list(configural = "none", metric = "loadings",
               scalar = c("loadings", "intercepts"),
               strict = c("loadings", "intercepts", "residuals"))
fits <- list()
for (lv in names(levels)) {
  fits[[lv]] <- fit_mg(hs_cfa, hs, "school", group.equal = levels[[lv]])
  dump_mg(fits[[lv]], paste0("mg_hs_", lv))
}
dump_lrt(lavTestLRT(fits$configural, fits$metric, fits$scalar, fits$strict), "mg_hs_lrt")

hs_sem <- "
visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
speed ~ visual + textual
x1 ~~ x4
"
dump_mg(fit_mg(hs_sem, hs, "school",
               group.equal = c("loadings", "intercepts", "means", "regressions",
                               "lv.variances", "lv.covariances", "residuals",
                               "residual.covariances")), "mg_hs_all")
dump_mg(fit_mg(hs_cfa, hs, "school", group.equal = c("loadings", "intercepts"),
               group.partial = c("x3 ~ 1", "visual =~ x2")), "mg_hs_partial")

mobi <- read.csv("tests/fixtures/data/ecsi_mobi.csv")[, -1]
mobi$image <- ifelse(mobi$IMAG3 >= 7, "high", "low")
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
mlev <- levels[c("configural", "metric", "scalar")]
mf <- list()
mw <- list()
for (lv in names(mlev)) {
  mf[[lv]] <- fit_mg(acsi, mobi, "image", group.equal = mlev[[lv]])
  dump_mg(mf[[lv]], paste0("mg_mobi_", lv))
  mw[[lv]] <- fit_mg(acsi, mobi, "image", group.equal = mlev[[lv]], estimator = "MLR",
                     sampling.weights = "w")
  dump_mg(mw[[lv]], paste0("mg_mobiw_", lv))
}
dump_lrt(lavTestLRT(mf$configural, mf$metric, mf$scalar), "mg_mobi_lrt")
dump_lrt(lavTestLRT(mw$configural, mw$metric, mw$scalar), "mg_mobiw_lrt")
