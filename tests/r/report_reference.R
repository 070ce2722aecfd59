# Reference for csindex.report.tables.answer_distribution: weighted answer percentages and
# their Taylor standard errors from R survey (svymean of a factor, na.rm = TRUE) on the real
# ECSI mobile-phone data (shared/data/ecsi_mobi.csv) with a fixed, made-up stratified cluster
# design. Run from the repository root:
#   Rscript tests/r/report_reference.R ../shared/data/ecsi_mobi.csv
# Writes tests/fixtures/report/ecsi_design.csv (the input) and
#        tests/fixtures/report/svymean_answers.csv (the reference).
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
src <- if (length(args)) args[1] else "../shared/data/ecsi_mobi.csv"
d <- read.csv(src, check.names = FALSE)
d <- d[, c("CUSA1", "CUSA2", "CUSA3", "CUSCO", "PERV1")]
n <- nrow(d)
row <- seq_len(n)
d$respondent_id <- sprintf("R%04d", row)
d$stratum <- paste0("S", (row - 1) %% 3 + 1)
d$psu <- paste0(d$stratum, "-P", ((row - 1) %/% 3) %/% 6)
d$w_final <- 1 + ((row - 1) %% 7) / 3
d$CUSA2[row %% 11 == 0] <- NA   # item non-response: the answering respondents are a domain
d$CUSCO[row %% 13 == 0] <- NA
out_dir <- "tests/fixtures/report"
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
write.csv(d, file.path(out_dir, "ecsi_design.csv"), row.names = FALSE, na = "")
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w_final, data = d, nest = TRUE)
res <- NULL
for (it in c("CUSA1", "CUSA2", "CUSA3", "CUSCO", "PERV1")) {
  f <- as.formula(paste0("~factor(", it, ")"))
  m <- svymean(f, des, na.rm = TRUE)
  codes <- as.numeric(sub(paste0("factor\\(", it, "\\)"), "", names(coef(m))))
  res <- rbind(res, data.frame(item = it, code = codes, w_pct = 100 * as.numeric(coef(m)),
                               w_se = 100 * as.numeric(SE(m))))
}
con <- file(file.path(out_dir, "svymean_answers.csv"), "w")
writeLines("# made by tests/r/report_reference.R (R survey svymean, na.rm=TRUE)", con)
write.csv(format(res, digits = 15), con, row.names = FALSE, quote = FALSE)
close(con)

# Replicate weights (jackknife JKn built by survey from the same design) and the replicate
# standard errors of the same percentages, with mse = TRUE and with mse = FALSE.
for (mse in c(TRUE, FALSE)) {
  rdes <- as.svrepdesign(des, type = "JKn", mse = mse)
  rep <- weights(rdes, "analysis")
  colnames(rep) <- sprintf("rep_%03d", seq_len(ncol(rep)))
  tag <- if (mse) "mse" else "nomse"
  if (mse) {
    write.csv(data.frame(respondent_id = d$respondent_id, rep), file.path(out_dir, "ecsi_replicates.csv"),
              row.names = FALSE)
    write.csv(data.frame(scale = rdes$scale, rscales = rdes$rscales),
              file.path(out_dir, "ecsi_rscales.csv"), row.names = FALSE)
  }
  res <- NULL
  for (it in c("CUSA1", "CUSA2", "CUSA3", "CUSCO", "PERV1")) {
    f <- as.formula(paste0("~factor(", it, ")"))
    m <- svymean(f, rdes, na.rm = TRUE)
    codes <- as.numeric(sub(paste0("factor\\(", it, "\\)"), "", names(coef(m))))
    res <- rbind(res, data.frame(item = it, code = codes, w_pct = 100 * as.numeric(coef(m)),
                                 w_se = 100 * as.numeric(SE(m))))
  }
  con <- file(file.path(out_dir, paste0("svymean_answers_rep_", tag, ".csv")), "w")
  writeLines(paste0("# made by tests/r/report_reference.R (R survey JKn replicates, mse=", mse, ")"), con)
  write.csv(format(res, digits = 15), con, row.names = FALSE, quote = FALSE)
  close(con)
}
