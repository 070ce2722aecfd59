# Reference results of R survey (second set) for csindex's variance engine, on data sets the
# first set (survey_reference.R, api) does not use:
#   - a three-stage sample (regions, clusters, municipalities) of sampling's MU284, Taylor with
#     an fpc at every stage (svydesign(ids = ~REG + CL + LABEL, fpc = ~N1 + N2 + N3));
#   - BRR and Fay (rho = 0.3) replicates of survey's nhanes (15 strata x 2 PSUs), rows sorted
#     by stratum and PSU so that brrweights' default order is by PSU id;
#   - a stratified sample of MU284 with a census stratum: JKn replicates with rscales = 0,
#     mse = FALSE; and with a single-PSU stratum under every lonely.psu option;
#   - PPS without replacement (survey's election_pps): Brewer, Overton, Hartley-Rao.
# Run from the repository root:  Rscript tests/r/survey_reference_v2.R
# Writes tests/fixtures/survey/v2_*.csv; numbers with 17 digits.
suppressMessages({
  library(survey)
  library(sampling)
})
out <- "tests/fixtures/survey"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
fmt <- function(df) {
  for (nm in names(df)) if (is.numeric(df[[nm]])) df[[nm]] <- sprintf("%.17g", df[[nm]])
  df
}
wcsv <- function(df, name) {
  write.csv(fmt(df), file.path(out, name), row.names = FALSE, quote = TRUE, na = "")
}
rows <- list()
add <- function(design, stat, variable, domain, est, se) {
  rows[[length(rows) + 1]] <<- data.frame(design = design, stat = stat, variable = variable,
    domain = domain, estimate = as.numeric(est), se = as.numeric(se), stringsAsFactors = FALSE)
}
# means, a total, a ratio and domain means of y (and x) with NA dropped
stats <- function(d, name, y, x, dom) {
  fy <- as.formula(paste0("~", y))
  m <- svymean(fy, d, na.rm = TRUE)
  add(name, "mean", y, "all", coef(m), SE(m))
  mx <- svymean(as.formula(paste0("~", x)), d, na.rm = TRUE)
  add(name, "mean", x, "all", coef(mx), SE(mx))
  t <- svytotal(fy, d, na.rm = TRUE)
  add(name, "total", y, "all", coef(t), SE(t))
  r <- svyratio(fy, as.formula(paste0("~", x)), d, na.rm = TRUE)
  add(name, "ratio", paste0(y, "/", x), "all", coef(r), SE(r))
  b <- svyby(fy, as.formula(paste0("~", dom)), d, svymean, na.rm = TRUE)
  add(name, "mean", y, as.character(b[[dom]]), b[[y]], SE(b))
  br <- svyby(fy, as.formula(paste0("~", dom)), d, svyratio, denominator = as.formula(paste0("~", x)),
              na.rm = TRUE)
  add(name, "ratio", paste0(y, "/", x), as.character(br[[dom]]), coef(br), SE(br))
}

# ---------------------------------------------------------------- three-stage MU284
data(MU284)
set.seed(20261204)
mu <- MU284
mu$CL <- mu$REG * 100 + mu$CL  # MU284's cluster numbers cross regions: nest them
mu$N1 <- length(unique(mu$REG))
mu$N2 <- ave(mu$CL, mu$REG, FUN = function(v) length(unique(v)))
mu$N3 <- ave(mu$LABEL, mu$CL, FUN = length)
regs <- sort(unique(mu$REG)[sample.int(8, 5)])
pick <- c()
for (g in regs) {
  cls <- unique(mu$CL[mu$REG == g])
  cls <- if (length(cls) > 3) sort(cls[sample.int(length(cls), 3)]) else cls
  for (cl in cls) {
    lab <- mu$LABEL[mu$CL == cl]
    pick <- c(pick, sort(lab[sample.int(length(lab), min(2, length(lab)))]))
  }
}
s3 <- mu[mu$LABEL %in% pick, ]
s3$size <- ifelse(s3$P85 > 20, "large", "small")
s3$w <- (s3$N1 / 5) * (s3$N2 / ave(s3$CL, s3$REG, FUN = function(v) length(unique(v)))) *
  (s3$N3 / ave(s3$LABEL, s3$CL, FUN = length))
s3$RMT85[c(3, 17)] <- NA
wcsv(s3[, c("LABEL", "REG", "CL", "N1", "N2", "N3", "w", "RMT85", "P85", "CS82", "size")],
     "v2_mu284_threestage.csv")
d3 <- svydesign(ids = ~REG + CL + LABEL, fpc = ~N1 + N2 + N3, data = s3)
stats(d3, "threestage", "RMT85", "P85", "size")
d2 <- svydesign(ids = ~REG + CL, fpc = ~N1 + N2, data = s3)
stats(d2, "threestage_2fpc", "RMT85", "P85", "size")
d1 <- svydesign(ids = ~REG, fpc = ~N1, weights = ~w, data = s3)
stats(d1, "threestage_1fpc", "RMT85", "P85", "size")

# ---------------------------------------------------------------- BRR / Fay on nhanes
data(nhanes)
# stratum 86 has three PSUs: keep its first two (BRR needs two per stratum)
nh <- nhanes[!(nhanes$SDMVSTRA == 86 & nhanes$SDMVPSU == 3), ]
nh <- nh[order(nh$SDMVSTRA, nh$SDMVPSU), ]
nh$female <- as.numeric(nh$RIAGENDR == 2)
nh$race <- paste0("r", nh$race)
wcsv(nh[, c("SDMVSTRA", "SDMVPSU", "WTMEC2YR", "HI_CHOL", "female", "race")], "v2_nhanes.csv")
dn <- svydesign(ids = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nh)
stats(as.svrepdesign(dn, type = "BRR"), "nhanes_brr", "HI_CHOL", "female", "race")
stats(as.svrepdesign(dn, type = "Fay", fay.rho = 0.3), "nhanes_fay", "HI_CHOL", "female", "race")

# ---------------------------------------------------------------- census stratum, single PSU
set.seed(7)
mu$N_h <- ave(mu$LABEL, mu$REG, FUN = length)
st <- do.call(rbind, lapply(split(mu, mu$REG), function(g) {
  n <- if (g$REG[1] == 7) nrow(g) else 6  # region 7 (15 municipalities) is a census
  g[sort(sample(nrow(g), n)), ]
}))
st$size <- ifelse(st$P85 > 20, "large", "small")
st$w <- st$N_h / ave(st$LABEL, st$REG, FUN = length)
wcsv(st[, c("LABEL", "REG", "N_h", "w", "RMT85", "P85", "size")], "v2_mu284_strat.csv")
ds <- svydesign(ids = ~1, strata = ~REG, fpc = ~N_h, data = st)
stats(ds, "strat_taylor", "RMT85", "P85", "size")
options(survey.drop.replicates = FALSE)  # keep the census stratum's replicates: rscales 0
rj <- as.svrepdesign(ds, type = "JKn", mse = FALSE)
stopifnot(any(rj$rscales == 0))
wcsv(data.frame(scale = rj$scale, rscales = rj$rscales), "v2_mu284_strat_jkn_rscales.csv")
stats(rj, "strat_jkn", "RMT85", "P85", "size")

# region 8 keeps one municipality: a single-PSU stratum
lone <- st[!(st$REG == 8 & duplicated(st$REG)), ]
wcsv(lone[, c("LABEL", "REG", "N_h", "w", "RMT85", "P85", "size")], "v2_mu284_lonely.csv")
for (opt in c("adjust", "remove", "average", "certainty")) {
  options(survey.lonely.psu = opt)
  dl <- svydesign(ids = ~1, strata = ~REG, fpc = ~N_h, weights = ~w, data = lone)
  stats(dl, paste0("lonely_", opt), "RMT85", "P85", "size")
}
options(survey.lonely.psu = "fail")

# ---------------------------------------------------------------- PPS without replacement
data(election)
ep <- election_pps
ep$party <- ifelse(ep$Kerry > ep$Bush, "kerry", "bush")
wcsv(ep[, c("County", "p", "wt", "Bush", "Kerry", "votes", "party")], "v2_election_pps.csv")
add("pps_hr", "constant", "sum_p2_over_n", "all", sum(election$p^2) / 40, NA)
for (nm in c("brewer", "overton", "hr", "hr1")) {
  pps <- switch(nm, brewer = "brewer", overton = "overton", hr = HR(sum(election$p^2) / 40),
                hr1 = HR())
  dp <- svydesign(id = ~1, fpc = ~p, data = ep, pps = pps)
  stats(dp, paste0("pps_", nm), "Bush", "votes", "party")
}

ref <- do.call(rbind, rows)
wcsv(ref, "v2_estimates.csv")
cat("wrote", nrow(ref), "reference values\n")
