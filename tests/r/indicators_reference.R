# Reference results for the indicator-weights stage (csindex.indicators), made with R 4.2,
# survey and vegan. Run from the repository root:
#   Rscript tests/r/indicators_reference.R
# Writes tests/fixtures/indicators/*.csv (see the README.md there).
suppressPackageStartupMessages({ library(survey); library(vegan) })
out <- "tests/fixtures/indicators"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
wcsv <- function(df, name) write.csv(df, file.path(out, name), row.names = FALSE)
options(digits = 15)

# ---------------------------------------------------------------- 1. real data: ECSI mobile
# 250 customers of a mobile operator, items on 1..10 (Tenenhaus et al. 2005).
d <- read.csv("/work/shared/data/ecsi_mobi.csv", check.names = FALSE)
d <- d[, -1]
i <- seq_len(nrow(d))
d$respondent_id <- sprintf("M%03d", i)
# deterministic missing answers, to exercise the renormalisation over answered items
d$CUEX2[i %% 7 == 0] <- NA
d[i %% 11 == 0, c("PERQ1", "PERQ2", "PERQ3", "PERQ4")] <- NA
d[i %% 37 == 0, paste0("PERQ", 1:6)] <- NA
d$CUSCO[i %% 13 == 0] <- NA
d[i %% 50 == 0, c("CUSA1", "CUSA2", "CUSA3")] <- NA
# a deterministic stratified design with unequal weights and a domain
d$stratum <- paste0("S", i %% 2)
d$w <- 1 + (i %% 5) * 0.5
d$dom <- c("a", "b", "c")[i %% 3 + 1]
wcsv(d, "ecsi_mobi_input.csv")

blocks <- list(
  IMAG = paste0("IMAG", 1:5), CUEX = paste0("CUEX", 1:3), PERQ = paste0("PERQ", 1:7),
  PERV = paste0("PERV", 1:2), CUSA = paste0("CUSA", 1:3), COMP = "CUSCO",
  CUSL = paste0("CUSL", 1:3))
# local item weights proportional to 1, 2, 3, ... within each block
item_w <- lapply(blocks, function(b) seq_along(b) / sum(seq_along(b)))
cons_w <- c(IMAG = 0.10, CUEX = 0.10, PERQ = 0.20, PERV = 0.15, CUSA = 0.25, COMP = 0.05,
            CUSL = 0.15)
min_share <- 0.5
comb <- function(S, w) {
  ok <- !is.na(S)
  den <- as.vector(ok %*% w)
  num <- as.vector(ifelse(ok, S, 0) %*% w)
  ifelse(den > 0 & den / sum(w) >= min_share - 1e-12, num / den, NA)
}
sc <- data.frame(respondent_id = d$respondent_id)
for (b in names(blocks)) {
  S <- as.matrix((d[, blocks[[b]], drop = FALSE] - 1) / 9 * 100)
  for (k in seq_along(blocks[[b]])) sc[[blocks[[b]][k]]] <- S[, k]
  sc[[b]] <- comb(S, item_w[[b]])
}
C <- as.matrix(sc[, names(blocks)])
C[, "COMP"] <- 100 - C[, "COMP"]  # complaints enter the CSI reversed
sc$CSI <- comb(C, cons_w)
wcsv(sc, "ecsi_mobi_scores.csv")

des <- svydesign(ids = ~1, strata = ~stratum, weights = ~w, data = cbind(d[, c("stratum", "w", "dom")], sc))
nodes <- c("CSI", names(blocks), unlist(blocks))
res <- list()
for (v in nodes) {
  f <- as.formula(paste0("~", v))
  m <- svymean(f, des, na.rm = TRUE)
  res[[length(res) + 1]] <- data.frame(node = v, domain = "all", estimate = coef(m)[[1]],
                                       se = SE(m)[[1]])
  by <- svyby(f, ~dom, des, svymean, na.rm = TRUE)
  res[[length(res) + 1]] <- data.frame(node = v, domain = by$dom, estimate = by[[v]],
                                       se = SE(by))
}
wcsv(do.call(rbind, res), "ecsi_mobi_index.csv")

# ---------------------------------------------------------------- 2. entropy and CRITIC
# On the PERQ block (0-100 scores), complete rows, survey weights w.
X <- as.matrix(sc[, blocks$PERQ])
ok <- complete.cases(X)
X <- X[ok, ]; w <- d$w[ok]
Z <- apply(X, 2, function(x) (x - min(x)) / (max(x) - min(x)))
q <- w / sum(w)
P <- sweep(Z * w, 2, colSums(Z * w), "/")
e <- -colSums(ifelse(P > 0, P * log(P), 0)) / (-sum(q * log(q)))
ent <- (1 - e) / sum(1 - e)
cw <- cov.wt(Z, wt = q, cor = TRUE, method = "unbiased")
s <- sqrt(diag(cw$cov))
Ci <- s * colSums(1 - cw$cor)
crit <- Ci / sum(Ci)
wcsv(data.frame(indicator = blocks$PERQ, entropy = e, entropy_weight = ent, sd = s,
                critic_information = Ci, critic_weight = crit, n_complete = sum(ok)),
     "entropy_critic_perq.csv")

# ---------------------------------------------------------------- 3. Kendall's W (vegan)
# The demo Delphi rounds: each expert's estimates normalised to sum 1; judges = experts.
kw <- list()
for (r in 1:3) {
  x <- read.csv(sprintf("config/experts/delphi_constructs_round%d.csv", r))
  m <- reshape(x, idvar = "expert", timevar = "indicator", direction = "wide")
  rownames(m) <- m$expert
  m <- as.matrix(m[, -1]); m <- m / rowSums(m)
  set.seed(1)
  kg <- kendall.global(t(m), nperm = 1)
  kw[[r]] <- data.frame(round = r, W = kg$Concordance_analysis["W", 1],
                        chi2 = kg$Concordance_analysis["Chi2", 1],
                        mean_CE = mean(m[, "estimate.CE"]), sd_CE = sd(m[, "estimate.CE"]),
                        median_CE = median(m[, "estimate.CE"]),
                        q1_CE = quantile(m[, "estimate.CE"], 0.25)[[1]],
                        q3_CE = quantile(m[, "estimate.CE"], 0.75)[[1]])
}
wcsv(do.call(rbind, kw), "kendall_delphi.csv")

# ---------------------------------------------------------------- 4. AHP eigenvector (base R)
# Saaty (2008), Int. J. Services Sciences 1(1):83-98, table 2 (relative drink consumption).
A <- matrix(c(1, 9, 5, 2, 1, 1, 1/2,
              1/9, 1, 1/3, 1/9, 1/9, 1/9, 1/9,
              1/5, 3, 1, 1/3, 1/4, 1/3, 1/9,
              1/2, 9, 3, 1, 1/2, 1, 1/3,
              1, 9, 4, 2, 1, 2, 1/2,
              1, 9, 3, 1, 1/2, 1, 1/3,
              2, 9, 9, 3, 2, 3, 1), 7, byrow = TRUE)
ev <- eigen(A)
k <- which.max(Re(ev$values))
v <- abs(Re(ev$vectors[, k])); v <- v / sum(v)
lam <- Re(ev$values[k])
wcsv(data.frame(indicator = c("coffee", "wine", "tea", "beer", "sodas", "milk", "water"),
                weight = v, lambda_max = lam, CI = (lam - 7) / 6, CR = (lam - 7) / 6 / 1.32),
     "ahp_drinks.csv")
cat("done\n")
