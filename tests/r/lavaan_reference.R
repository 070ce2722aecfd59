# Reference results for csindex.sem.cbsem (CB-SEM by ML) from lavaan.
# Run from the project root:  Rscript tests/r/lavaan_reference.R
# Writes tests/fixtures/lavaan/<case>_{estimates,standardized,fit,r2}.csv; the first line of
# every file names this script. Cases:
#   acsi_mobi      ACSI model (figure 4-1) on ecsi_mobi.csv, ML, expected information
#   ecsi_sat       ECSI model (Image -> CE, CS, CL; no complaints) on ecsi_satisfaction.csv, ML
#   acsi_mobi_mlr  ACSI model on ecsi_mobi.csv with sampling.weights = w, estimator MLR, where
#                  w = 1 + (i mod 5) / 2 for data row i = 1..250 (deterministic weight column)
#   acsi_mobi_mlr_unweighted  ACSI model on ecsi_mobi.csv, estimator MLR without weights
#                  (estimates and robust SEs only)
#   acsi_mobi_fiml  ACSI model on ecsi_mobi.csv with cells set missing where
#                  (i * 7 + j * 13) mod 29 == 0 (row i, item j of the model, 1-based), missing="ml"
#   acsi_mobi_fiml_mlr  the same with sampling.weights w and estimator MLR
#   acsi_mobi_effects  labelled ACSI model with := total/indirect effects (delta-method SEs)
#   acsi_mobi_default  the ACSI fit with lavaan's default optimiser tolerance (estimates only)
# lavaan's default nlminb stopping rule (rel.tol 1e-10 on the function) leaves its estimates up
# to ~5e-5 from the optimum (the function is flat there); the reference fits therefore run
# lavaan's BFGS optimiser to a tight tolerance (nlminb stops with a warning when asked for
# more), so that they are the maximum-likelihood solution (gradient ~1e-7).
suppressPackageStartupMessages(library(lavaan))
out <- "tests/fixtures/lavaan"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
header <- sprintf("# made by tests/r/lavaan_reference.R (lavaan %s, %s)",
                  as.character(packageVersion("lavaan")), R.version.string)

write_fixture <- function(df, name) {
  path <- file.path(out, paste0(name, ".csv"))
  con <- file(path, "w")
  writeLines(header, con)
  write.csv(format(df, digits = 17), con, row.names = FALSE, quote = TRUE)
  close(con)
}

mobi <- read.csv("tests/fixtures/data/ecsi_mobi.csv")[, -1]
sat <- read.csv("tests/fixtures/data/ecsi_satisfaction.csv")[, -1]

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
ecsi <- "
IM =~ imag1 + imag2 + imag3 + imag4 + imag5
CE =~ expe1 + expe2 + expe3 + expe4 + expe5
PQ =~ qual1 + qual2 + qual3 + qual4 + qual5
PV =~ val1 + val2 + val3 + val4
CS =~ sat1 + sat2 + sat3 + sat4
CL =~ loy1 + loy2 + loy3 + loy4
CE ~ IM
PQ ~ CE
PV ~ CE + PQ
CS ~ IM + CE + PQ + PV
CL ~ IM + CS
"
acsi_labelled <- "
CE =~ CUEX1 + CUEX2 + CUEX3
PQ =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7
PV =~ PERV1 + PERV2
CS =~ CUSA1 + CUSA2 + CUSA3
CC =~ 1*CUSCO
CL =~ CUSL1 + CUSL2 + CUSL3
PQ ~ p1*CE
PV ~ p2*CE + p3*PQ
CS ~ p4*CE + p5*PQ + p6*PV
CC ~ p7*CS
CL ~ p8*CS + p9*CC
CUSCO ~~ 0*CUSCO
ind_CE_CS := p1*p5 + p2*p6 + p1*p3*p6
tot_CE_CS := p4 + p1*p5 + p2*p6 + p1*p3*p6
tot_PQ_CS := p5 + p3*p6
ind_CS_CL := p7*p9
tot_CS_CL := p8 + p7*p9
tot_CE_CL := (p4 + p1*p5 + p2*p6 + p1*p3*p6)*(p8 + p7*p9)
tot_PV_CL := p6*(p8 + p7*p9)
"

tight <- list(reltol = 1e-16, maxit = 10000)

fit_measures <- c("chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli",
                  "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr",
                  "srmr_bentler", "aic", "bic", "logl", "npar", "ntotal", "fmin")

dump_case <- function(fit, name) {
  pe <- parameterEstimates(fit)
  write_fixture(pe[, c("lhs", "op", "rhs", "est", "se", "z", "pvalue", "ci.lower", "ci.upper")],
                paste0(name, "_estimates"))
  ss <- standardizedSolution(fit)
  write_fixture(ss[, c("lhs", "op", "rhs", "est.std", "se", "z", "pvalue")],
                paste0(name, "_standardized"))
  fm <- fitMeasures(fit, fit_measures)
  write_fixture(data.frame(measure = names(fm), value = as.numeric(fm)), paste0(name, "_fit"))
  r2 <- inspect(fit, "r2")
  write_fixture(data.frame(variable = names(r2), r2 = as.numeric(r2)), paste0(name, "_r2"))
  cat(name, ": converged", lavInspect(fit, "converged"), " chisq", fm[["chisq"]],
      " max |gradient|", max(abs(lavInspect(fit, "gradient"))), "\n")
}

dump_case(sem(acsi, data = mobi, estimator = "ML", optim.method = "BFGS", control = tight), "acsi_mobi")
pe <- parameterEstimates(sem(acsi, data = mobi, estimator = "ML"))
write_fixture(pe[, c("lhs", "op", "rhs", "est", "se")], "acsi_mobi_default_estimates")
# The ECSI model on these data is nearly unidentified (CE-PQ correlation 0.992): BFGS stops at
# max |gradient| ~1e-7, up to 1e-4 from the optimum along the flat direction. Newton steps on
# lavaan's own gradient and Hessian reach the optimum (max |gradient| ~1e-15); lavaan then
# computes estimates, SEs and fit measures there (optim.method = "none" at those start values).
newton_polish <- function(fit, model, ..., tol = 1e-13, maxit = 20) {
  x <- coef(fit)
  for (it in seq_len(maxit)) {
    pt <- parTable(fit)
    pt$est[pt$free > 0] <- x
    pt$start <- pt$est
    at <- sem(model, ..., start = pt, optim.method = "none")
    g <- lavInspect(at, "gradient")
    if (max(abs(g)) < tol) break
    x <- x - solve(lavInspect(at, "hessian"), g)
  }
  at
}
dump_case(newton_polish(sem(ecsi, data = sat, estimator = "ML", optim.method = "BFGS",
                            control = tight), ecsi, data = sat, estimator = "ML"), "ecsi_sat")

mobi_w <- mobi
mobi_w$w <- 1 + ((seq_len(nrow(mobi)) %% 5) / 2)
dump_case(sem(acsi, data = mobi_w, estimator = "MLR", sampling.weights = "w",
                 optim.method = "BFGS", control = tight), "acsi_mobi_mlr")

pe <- parameterEstimates(sem(acsi, data = mobi, estimator = "MLR", optim.method = "BFGS",
                             control = tight))
write_fixture(pe[, c("lhs", "op", "rhs", "est", "se")], "acsi_mobi_mlr_unweighted_estimates")

items <- c("CUEX1", "CUEX2", "CUEX3", paste0("PERQ", 1:7), "PERV1", "PERV2",
           "CUSA1", "CUSA2", "CUSA3", "CUSCO", "CUSL1", "CUSL2", "CUSL3")
mobi_na <- mobi_w
for (j in seq_along(items)) {
  i <- seq_len(nrow(mobi_na))
  mobi_na[((i * 7 + j * 13) %% 29) == 0, items[j]] <- NA
}
dump_case(sem(acsi, data = mobi_na, missing = "ml", optim.method = "BFGS", control = tight),
          "acsi_mobi_fiml")
dump_case(sem(acsi, data = mobi_na, missing = "ml", estimator = "MLR", sampling.weights = "w",
              optim.method = "BFGS", control = tight), "acsi_mobi_fiml_mlr")

fit_lab <- sem(acsi_labelled, data = mobi, estimator = "ML", optim.method = "BFGS", control = tight)
pe <- parameterEstimates(fit_lab)
pe <- pe[pe$op == ":=", c("lhs", "op", "rhs", "est", "se", "z", "pvalue")]
write_fixture(pe, "acsi_mobi_effects")
