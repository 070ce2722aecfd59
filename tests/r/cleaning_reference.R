# Reference results for the cleaning stage (tests/test_cleaning_reference.py), base R only.
# Run from the project root: Rscript tests/r/cleaning_reference.R
# Writes tests/fixtures/cleaning/ecsi_item_analysis.csv and ecsi_quantile_cut.csv.
d <- read.csv("data/ecsi/ecsi_mobi.csv", check.names = FALSE)
blocks <- list(
  IM = paste0("IMAG", 1:5), CE = paste0("CUEX", 1:3), PQ = paste0("PERQ", 1:7),
  PV = paste0("PERV", 1:2), CS = paste0("CUSA", 1:3), CC = "CUSCO", CL = paste0("CUSL", 1:3)
)
alpha <- function(X) {
  k <- ncol(X)
  if (k < 2) return(NA_real_)
  k / (k - 1) * (1 - sum(apply(X, 2, var)) / var(rowSums(X)))
}
out <- list()
for (con in names(blocks)) {
  X <- as.matrix(d[, blocks[[con]], drop = FALSE])
  X <- X[complete.cases(X), , drop = FALSE]
  for (i in seq_along(blocks[[con]])) {
    x <- X[, i]
    rest <- X[, -i, drop = FALSE]
    out[[length(out) + 1]] <- data.frame(
      item = blocks[[con]][i], construct = con,
      mean = mean(x), sd = sd(x),
      floor_share = mean(x == 1), ceiling_share = mean(x == 10),
      item_total_r = if (ncol(rest) > 0) cor(x, rowSums(rest)) else NA_real_,
      alpha_construct = alpha(X),
      alpha_if_deleted = if (ncol(rest) >= 2) alpha(rest) else NA_real_
    )
  }
}
res <- do.call(rbind, out)
dir.create("tests/fixtures/cleaning", showWarnings = FALSE, recursive = TRUE)
con <- file("tests/fixtures/cleaning/ecsi_item_analysis.csv", "w")
writeLines("# made by tests/r/cleaning_reference.R (base R: var, cor, complete cases)", con)
write.csv(res, con, row.names = FALSE)  # 15 significant digits
close(con)

# five levels from sample quintiles (quantile type 7), both interval closures
q <- list()
for (v in c("CUSL2", "PERV1", "CUEX3")) {
  x <- d[[v]]
  br <- quantile(x, probs = seq(0, 1, 0.2), type = 7)
  br_u <- unique(br)
  right <- if (length(br_u) == 6) as.integer(cut(x, br, include.lowest = TRUE, right = TRUE)) else NA
  left <- if (length(br_u) == 6) as.integer(cut(x, br, include.lowest = TRUE, right = FALSE)) else NA
  q[[v]] <- data.frame(item = v, row = seq_along(x), x = x, level_right = right, level_left = left)
}
eq <- do.call(rbind, q)
# equal width on 0..100 with given points
x <- c(0, 2.5, 5, 7.5, 10, 12, 15, 17, 20, 50, 100)
pts <- c(0, 5, 10, 15, 20, 100)
eq2 <- data.frame(item = "points", row = seq_along(x), x = x,
                  level_right = as.integer(cut(x, pts, include.lowest = TRUE, right = TRUE)),
                  level_left = as.integer(cut(x, pts, include.lowest = TRUE, right = FALSE)))
con <- file("tests/fixtures/cleaning/ecsi_quantile_cut.csv", "w")
writeLines("# made by tests/r/cleaning_reference.R (cut(quantile(x, type = 7), include.lowest = TRUE))", con)
write.csv(rbind(eq, eq2), con, row.names = FALSE)
close(con)
