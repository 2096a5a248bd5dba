# Reference values for three-level runs computed from a study-level table of counts
# (tests/analysis/test_multilevel_runs.py and the portal's run tests).  R 4 with metafor
# 3.8-1 and metadat.  Run from the repository root:
#   Rscript tests/analysis/reference/multilevel_runs.R
# It writes multilevel_runs_data.csv (metadat's dat.bornmann2007: 66 odds ratios of
# grant awards, women against men, from 21 studies) and multilevel_runs.csv: escalc's
# log odds ratios pooled by rma.mv(yi, vi, random = ~ 1 | study / obs), REML, with the
# prediction interval and the I^2 share of each level (Cheung 2014, as in metafor's
# documentation on multilevel I^2), 17 significant digits.
suppressPackageStartupMessages(library(metafor))
out_dir <- "tests/analysis/reference"
d <- dat.bornmann2007[, c("study", "obs", "waward", "wtotal", "maward", "mtotal")]
write.csv(d, file.path(out_dir, "multilevel_runs_data.csv"), row.names = FALSE)
d <- escalc(measure = "OR", ai = waward, n1i = wtotal, ci = maward, n2i = mtotal, data = d)
fit_at <- function(s) rma.mv(yi, vi, random = ~ 1 | study / obs, data = d, sigma2 = s)
# rma.mv stops at a relative change of 1e-10 in the log-likelihood; a Nelder-Mead search on
# its own likelihood with the components held fixed takes them to the optimum
start <- fit_at(c(NA, NA))$sigma2
best <- exp(optim(log(start), function(p) -as.numeric(logLik(fit_at(exp(p)))),
                  method = "Nelder-Mead", control = list(reltol = 1e-15, maxit = 5000))$par)
fit <- fit_at(best)
W <- diag(1 / d$vi)
X <- matrix(1, nrow(d), 1)
P <- W - W %*% X %*% solve(t(X) %*% W %*% X) %*% t(X) %*% W
typical <- (nrow(d) - 1) / sum(diag(P))
s <- fit$sigma2
i2 <- 100 * c(sum(s), s[1], s[2]) / (sum(s) + typical)
pr <- predict(fit)
values <- c(
  estimate = fit$beta[1], se = fit$se, ci_low = fit$ci.lb, ci_high = fit$ci.ub,
  pvalue = fit$pval, pi_low = pr$pi.lb, pi_high = pr$pi.ub,
  sigma2_study = s[1], sigma2_within = s[2], q = fit$QE, q_df = nrow(d) - 1,
  q_pvalue = fit$QEp, i2_total = i2[1], i2_study = i2[2], i2_within = i2[3],
  n_studies = fit$s.nlevels[1], n_effects = fit$k
)
write.csv(data.frame(name = names(values), value = sprintf("%.17g", values)),
          file.path(out_dir, "multilevel_runs.csv"), row.names = FALSE, quote = FALSE)
