# Reference results of R survey for csindex's weighting and estimation tests.
# Run from the repository root:  Rscript tests/r/survey_reference.R
# Writes tests/fixtures/survey/*.csv (data sets, estimates, weights); numbers with 17 digits.
suppressMessages(library(survey))
out <- "tests/fixtures/survey"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
data(api)
fmt <- function(df) {
  for (nm in names(df)) if (is.numeric(df[[nm]])) df[[nm]] <- sprintf("%.17g", df[[nm]])
  df
}
wcsv <- function(df, name) write.csv(fmt(df), file.path(out, name), row.names = FALSE, quote = TRUE, na = "")

keep <- c("cds", "stype", "dnum", "snum", "api00", "api99", "enroll", "sch.wide", "pw", "fpc")
wcsv(apisrs[, keep], "apisrs.csv")
wcsv(apistrat[, keep], "apistrat.csv")
wcsv(apiclus1[, keep], "apiclus1.csv")
wcsv(apiclus2[, c("cds", "stype", "dnum", "snum", "api00", "api99", "enroll", "sch.wide", "pw", "fpc1", "fpc2")], "apiclus2.csv")

rows <- list()
bdeff <- function(b) b[, grep("^DEff", names(b))[1]]
add <- function(design_name, stat, variable, domain, est, se, deff = NA, deff_replace = NA) {
  rows[[length(rows) + 1]] <<- data.frame(design = design_name, stat = stat, variable = variable,
    domain = domain, estimate = as.numeric(est), se = as.numeric(se),
    deff = as.numeric(deff), deff_replace = as.numeric(deff_replace), stringsAsFactors = FALSE)
}
means <- function(d, name, vars = c("api00", "api99", "enroll"), replicate = FALSE) {
  for (v in vars) {
    f <- as.formula(paste0("~", v))
    if (replicate) {
      m <- svymean(f, d, na.rm = TRUE)
      add(name, "mean", v, "all", coef(m), SE(m))
      t <- svytotal(f, d, na.rm = TRUE)
      add(name, "total", v, "all", coef(t), SE(t))
      b <- svyby(f, ~stype, d, svymean, na.rm = TRUE)
      add(name, "mean", v, as.character(b$stype), b[[v]], SE(b))
    } else {
      m <- svymean(f, d, na.rm = TRUE, deff = TRUE)
      mr <- svymean(f, d, na.rm = TRUE, deff = "replace")
      add(name, "mean", v, "all", coef(m), SE(m), deff(m), deff(mr))
      t <- svytotal(f, d, na.rm = TRUE, deff = TRUE)
      tr <- svytotal(f, d, na.rm = TRUE, deff = "replace")
      add(name, "total", v, "all", coef(t), SE(t), deff(t), deff(tr))
      b <- svyby(f, ~stype, d, svymean, na.rm = TRUE, deff = TRUE)
      br <- svyby(f, ~stype, d, svymean, na.rm = TRUE, deff = "replace")
      add(name, "mean", v, as.character(b$stype), b[[v]], SE(b), bdeff(b), bdeff(br))
      bt <- svyby(f, ~stype, d, svytotal, na.rm = TRUE)
      add(name, "total", v, as.character(bt$stype), bt[[v]], SE(bt))
    }
  }
  r <- svyratio(~api00, ~api99, d)
  add(name, "ratio", "api00/api99", "all", coef(r), SE(r))
  p <- svymean(~sch.wide, d, deff = !replicate)
  add(name, "proportion", paste0("sch.wide=", c("No", "Yes")), "all", coef(p), SE(p),
      if (replicate) NA else deff(p))
  add(name, "degf", "degf", "all", degf(d), NA)
}

dsrs <- svydesign(id = ~1, fpc = ~fpc, weights = ~pw, data = apisrs)
dstrat <- svydesign(id = ~1, strata = ~stype, fpc = ~fpc, weights = ~pw, data = apistrat)
dclus1 <- svydesign(id = ~dnum, fpc = ~fpc, weights = ~pw, data = apiclus1)
dclus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, weights = ~pw, data = apiclus2)
dclus2nofpc <- svydesign(id = ~dnum + snum, weights = ~pw, data = apiclus2)
means(dsrs, "srs")
means(dstrat, "strat")
means(dclus1, "clus1")
means(dclus2, "clus2")
means(dclus2nofpc, "clus2_nofpc")

# lonely PSU: apiclus1 with artificial strata, the first district alone in its stratum
lon <- apiclus1
lon$st <- ifelse(lon$dnum == min(lon$dnum), "A", ifelse(lon$dnum < 400, "B", "C"))
wcsv(data.frame(cds = lon$cds, st = lon$st), "lonely_strata.csv")
for (opt in c("adjust", "remove", "certainty", "average")) {
  options(survey.lonely.psu = opt)
  dl <- svydesign(id = ~dnum, strata = ~st, weights = ~pw, data = lon)
  m <- svymean(~api00, dl)
  add(paste0("lonely_", opt), "mean", "api00", "all", coef(m), SE(m))
}
options(survey.lonely.psu = "fail")

# calibration on dclus1
pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
wts <- data.frame(cds = apiclus1$cds)
calmeans <- function(d, name) {
  wts[[name]] <<- weights(d)
  for (v in c("api00", "enroll")) {
    f <- as.formula(paste0("~", v))
    m <- svymean(f, d, deff = TRUE)
    add(name, "mean", v, "all", coef(m), SE(m), deff(m))
    t <- svytotal(f, d)
    add(name, "total", v, "all", coef(t), SE(t))
    b <- svyby(f, ~stype, d, svymean)
    add(name, "mean", v, as.character(b$stype), b[[v]], SE(b))
  }
}
dps <- postStratify(dclus1, ~stype, pop.types)
calmeans(dps, "poststrat")
drake <- rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide),
              control = list(maxit = 200, epsilon = 1e-12))
calmeans(drake, "rake")
pop.totals <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = 3914069)
dlin <- calibrate(dclus1, ~stype + api99, pop.totals, epsilon = 1e-12, maxit = 200)
calmeans(dlin, "cal_linear")
draking <- calibrate(dclus1, ~stype + api99, pop.totals, calfun = "raking", epsilon = 1e-12, maxit = 200)
calmeans(draking, "cal_raking")
dlinb <- calibrate(dclus1, ~stype + api99, pop.totals, bounds = c(0.6, 1.6), epsilon = 1e-12, maxit = 200)
calmeans(dlinb, "cal_linear_bounded")
dlogit <- calibrate(dclus1, ~stype + api99, pop.totals, calfun = "logit", bounds = c(0.6, 1.6), epsilon = 1e-12, maxit = 200)
calmeans(dlogit, "cal_logit")
wcsv(wts, "calibrated_weights_clus1.csv")

# trimming
tw <- data.frame(cds = apistrat$cds)
tw$trim_upper40 <- weights(trimWeights(dstrat, upper = 40))
tw$trim_upper40_strict <- weights(trimWeights(dstrat, upper = 40, strict = TRUE))
tw$trim_lower20_upper40 <- weights(trimWeights(dstrat, lower = 20, upper = 40))
wcsv(tw, "trimmed_weights_strat.csv")
tl <- data.frame(cds = apiclus1$cds, g = weights(dlin))
tl$trim_lin_upper <- weights(trimWeights(dlin, upper = 38, strict = TRUE))
wcsv(tl, "trimmed_weights_cal_linear.csv")

# replicate designs
rstrat <- as.svrepdesign(dstrat, type = "JKn", compress = FALSE)
means(rstrat, "strat_JKn", replicate = TRUE)
rclus1 <- as.svrepdesign(dclus1, type = "JK1", compress = FALSE)
means(rclus1, "clus1_JK1", replicate = TRUE)
rclus1n <- as.svrepdesign(svydesign(id = ~dnum, weights = ~pw, data = apiclus1), type = "JK1", compress = FALSE)
means(rclus1n, "clus1_JK1_nofpc", replicate = TRUE)
rw <- unclass(as.matrix(weights(rstrat, "analysis"))); colnames(rw) <- sprintf("rep_%03d", seq_len(ncol(rw)))
wcsv(data.frame(cds = apistrat$cds, matrix(as.numeric(rw), nrow(rw), dimnames = list(NULL, colnames(rw)))), "jkn_weights_strat.csv")
wcsv(data.frame(replicate = seq_along(rstrat$rscales), rscales = rstrat$rscales, scale = rstrat$scale), "jkn_scales_strat.csv")
rw <- unclass(as.matrix(weights(rclus1, "analysis"))); colnames(rw) <- sprintf("rep_%03d", seq_len(ncol(rw)))
wcsv(data.frame(cds = apiclus1$cds, matrix(as.numeric(rw), nrow(rw), dimnames = list(NULL, colnames(rw)))), "jk1_weights_clus1.csv")
wcsv(data.frame(replicate = seq_along(rclus1$rscales), rscales = rclus1$rscales, scale = rclus1$scale), "jk1_scales_clus1.csv")
# replicate designs whose replicates are raked again (weighting inside each replicate)
rrake <- rake(rclus1n, list(~stype, ~sch.wide), list(pop.types, pop.schwide),
              control = list(maxit = 200, epsilon = 1e-12))
means(rrake, "clus1_JK1_rake", vars = c("api00", "enroll"), replicate = TRUE)

res <- do.call(rbind, rows)
wcsv(res, "estimates.csv")
writeLines(c("# tests/fixtures/survey", "",
  "Made by `Rscript tests/r/survey_reference.R` (R survey package version",
  paste0(as.character(packageVersion("survey")), ", ", R.version.string, ")."),
  "api data sets (apisrs, apistrat, apiclus1, apiclus2) from the R survey package."),
  file.path(out, "README.md"))
