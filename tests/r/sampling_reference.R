# Reference results for the sampling stage (tests/test_sampling_reference.py).
# Run from the repository root:  Rscript tests/r/sampling_reference.R
# Needs R with the Debian packages r-cran-survey (apipop data) and r-cran-sampling.
suppressMessages({
  library(survey)
  library(sampling)
})
data(api)
out <- "tests/fixtures/sampling"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
hdr <- "# made by tests/r/sampling_reference.R"
wcsv <- function(df, name) {
  f <- file(file.path(out, name), "w")
  writeLines(hdr, f)
  write.csv(df, f, row.names = FALSE)
  close(f)
}

# the frame: California schools with a known enrolment (size measure for PPS)
pop <- apipop[!is.na(apipop$enroll), c("cds", "stype", "dnum", "cnum", "enroll", "api00")]
pop$stype <- as.character(pop$stype)
N <- nrow(pop)
wcsv(pop, "apipop.csv")

# 1. PPS inclusion probabilities with take-all units, whole frame and within strata (stype)
pik <- data.frame(cds = pop$cds)
for (n in c(100, 400, 2000)) pik[[paste0("pik_n", n)]] <- inclusionprobabilities(pop$enroll, n)
nh <- c(E = 300, H = 200, M = 100)
pik$pik_strat <- NA_real_
for (h in names(nh)) {
  k <- pop$stype == h
  pik$pik_strat[k] <- inclusionprobabilities(pop$enroll[k], nh[[h]])
}
wcsv(pik, "pps_pik.csv")

# 2. Systematic selection (UPsystematic) from a known uniform draw: set.seed(s); u = runif(1)
#    is the draw UPsystematic makes after the same set.seed(s).
sys <- data.frame(cds = pop$cds)
draws <- data.frame(seed = integer(), design = character(), u = numeric())
for (s in 1:5) {
  set.seed(s); u <- runif(1)
  set.seed(s); sys[[paste0("pps_", s)]] <- UPsystematic(pik$pik_n400)
  draws <- rbind(draws, data.frame(seed = s, design = "pps_n400", u = u))
  set.seed(s); sys[[paste0("eq_", s)]] <- UPsystematic(rep(250 / N, N))
  draws <- rbind(draws, data.frame(seed = s, design = "equal_n250", u = u))
}
wcsv(sys, "systematic_selection.csv")
wcsv(draws, "systematic_draws.csv")

# 3. Allocation of n = 400 over counties (cnum): proportional, Neyman on sd(api00), optimal with
#    cost 1 + (cnum mod 3); largest-remainder rounding written out here; R's round() shown too.
lr <- function(q, n) {
  b <- floor(q + 1e-9)
  left <- n - sum(b)
  o <- order(-(q - b), seq_along(q))
  b[o[seq_len(left)]] <- b[o[seq_len(left)]] + 1
  b
}
st <- aggregate(api00 ~ cnum, data = pop, FUN = length)
names(st)[2] <- "N_h"
sdv <- aggregate(api00 ~ cnum, data = pop, FUN = function(x) if (length(x) > 1) sd(x) else 0)
st$S_h <- sdv$api00
st$cost <- 1 + st$cnum %% 3
n <- 400
st$q_prop <- n * st$N_h / sum(st$N_h)
st$q_neyman <- n * st$N_h * st$S_h / sum(st$N_h * st$S_h)
w <- st$N_h * st$S_h / sqrt(st$cost)
st$q_optimal <- n * w / sum(w)
stopifnot(all(st$q_neyman <= st$N_h), all(st$q_optimal <= st$N_h))
st$n_prop <- lr(st$q_prop, n)
st$n_neyman <- lr(st$q_neyman, n)
st$n_optimal <- lr(st$q_optimal, n)
st$round_prop <- round(st$q_prop)
wcsv(st, "allocation.csv")
cat("sum of round() for proportional n=400:", sum(st$round_prop), "\n")

# 4. Two-stage pi: districts (dnum) PPS on their number of schools, 60 districts (take-all
#    handled), then SRSWOR of 5 schools per district (all when fewer): pi = pi_1 * min(5, N_i)/N_i
Ni <- table(pop$dnum)
d <- data.frame(dnum = as.integer(names(Ni)), N_i = as.integer(Ni))
d$pi_1 <- inclusionprobabilities(d$N_i, 60)
ms <- merge(pop[, c("cds", "dnum")], d, by = "dnum")
ms$pi_2 <- pmin(5, ms$N_i) / ms$N_i
ms$pi <- ms$pi_1 * ms$pi_2
ms <- ms[order(ms$cds), c("cds", "dnum", "N_i", "pi_1", "pi_2", "pi")]
wcsv(ms, "twostage_pi.csv")

cat("fixtures written to", out, "\n")
