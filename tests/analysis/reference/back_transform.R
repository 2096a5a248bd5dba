# Reference values for the back-transformed results of PLO, ZCOR and PAS
# (tests/analysis/test_back_transform.py): metafor's predict(res, transf=...) for the
# pooled estimate, its CI and prediction interval, and summary(escalc(...), transf=...)
# for each study, with transf.ilogit, transf.ztor and transf.iarcsin.  The data are
# those of measures.R.  R 4 with metafor and metadat.  Run from the repository root:
#   Rscript tests/analysis/reference/back_transform.R
# It rewrites back_transform_*.csv next to this script (17 significant digits).
source("tests/analysis/reference/setup.R")

sets <- list(ZCOR = correlations, PLO = proportions, PAS = proportions)
transfs <- list(ZCOR = transf.ztor, PLO = transf.ilogit, PAS = transf.iarcsin)

studies <- list()
pooled <- list()
for (measure in names(sets)) {
  tf <- transfs[[measure]]
  for (name in names(sets[[measure]])) {
    s <- sets[[measure]][[name]]
    e <- if (measure == "ZCOR") escalc(measure, ri = ri, ni = ni, data = s)
         else escalc(measure, xi = xi, ni = ni, data = s)
    es <- summary(e, transf = tf)
    studies[[length(studies) + 1]] <- data.frame(
      measure = measure, dataset = name, study = seq_len(nrow(s)),
      ri = if (is.null(s$ri)) NA_real_ else s$ri, xi = if (is.null(s$xi)) NA_real_ else s$xi,
      ni = s$ni, yi_natural = c(es$yi), ci_low_natural = es$ci.lb, ci_high_natural = es$ci.ub)
    for (method in c("FE", "DL", "REML")) {
      res <- rma(yi, vi, data = e, method = method)
      p <- predict(res, transf = tf)
      pooled[[length(pooled) + 1]] <- data.frame(
        measure = measure, dataset = name, method = method,
        estimate_natural = c(p$pred), ci_low_natural = c(p$ci.lb),
        ci_high_natural = c(p$ci.ub),
        pi_low_natural = if (method == "FE") NA_real_ else c(p$pi.lb),
        pi_high_natural = if (method == "FE") NA_real_ else c(p$pi.ub))
    }
  }
}
write(do.call(rbind, studies), "back_transform_studies.csv")
write(do.call(rbind, pooled), "back_transform_pooled.csv")
