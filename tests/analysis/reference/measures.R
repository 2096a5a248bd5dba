# Reference values for the effect measures ROM, COR, ZCOR, PR, PLO, PAS, IRR and IRD
# (tests/analysis/test_measures_reference.py): escalc per study, and rma (FE, DL, REML)
# and rma.mh (IRR, IRD) pooled.  R 4 with metafor 3.8-1 and metadat.  Run from the
# repository root:
#   Rscript tests/analysis/reference/measures.R
# It rewrites the measures_*.csv files next to this script (17 significant digits).
source("tests/analysis/reference/setup.R")

# The studies of each data set, as the columns escalc takes (arm 1 is treatment).
d <- dat.dagostino1998
d <- d[!is.na(d$mt) & !is.na(d$mc) & d$mt > 0 & d$mc > 0 & !is.na(d$sdt) & !is.na(d$sdc), ]
summaries <- list(
  dagostino1998 = data.frame(m1i = d$mt, sd1i = d$sdt, n1i = d$nt,
                             m2i = d$mc, sd2i = d$sdc, n2i = d$nc))
rates <- list(
  nielweise2008 = data.frame(x1i = dat.nielweise2008$x1i, t1i = dat.nielweise2008$t1i,
                             x2i = dat.nielweise2008$x2i, t2i = dat.nielweise2008$t2i),
  # a zero in one arm, and a study without events in either arm
  zeros = data.frame(x1i = c(0, 4, 0, 9, 2), t1i = c(120, 300, 80, 410, 95),
                     x2i = c(3, 7, 0, 15, 0), t2i = c(110, 280, 85, 400, 90)))

sets <- list(
  ROM = summaries, COR = correlations, ZCOR = correlations,
  PR = proportions, PLO = proportions, PAS = proportions, IRR = rates, IRD = rates)

inputs <- c("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i", "ri", "ni", "xi",
            "x1i", "t1i", "x2i", "t2i")
effects <- list()
pooled <- list()
for (measure in names(sets)) {
  for (name in names(sets[[measure]])) {
    s <- sets[[measure]][[name]]
    e <- switch(measure,
      ROM = escalc(measure, m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i,
                   n2i = n2i, data = s),
      COR = , ZCOR = escalc(measure, ri = ri, ni = ni, data = s),
      PR = , PLO = , PAS = escalc(measure, xi = xi, ni = ni, data = s),
      IRR = , IRD = escalc(measure, x1i = x1i, t1i = t1i, x2i = x2i, t2i = t2i, data = s))
    for (col in inputs) if (!col %in% names(s)) s[[col]] <- NA_real_
    effects[[length(effects) + 1]] <- data.frame(
      measure = measure, dataset = name, study = seq_len(nrow(s)), s[, inputs],
      yi = c(e$yi), vi = c(e$vi))
    fits <- list()
    for (method in c("FE", "DL", "REML")) fits[[method]] <- rma(yi, vi, data = e, method = method)
    if (measure %in% c("IRR", "IRD"))
      fits$MH <- rma.mh(x1i = x1i, t1i = t1i, x2i = x2i, t2i = t2i, data = s, measure = measure)
    for (method in names(fits)) {
      res <- fits[[method]]
      pooled[[length(pooled) + 1]] <- data.frame(
        measure = measure, dataset = name, method = method,
        estimate = c(res$beta), se = res$se, statistic = res$zval, pvalue = res$pval,
        ci_low = res$ci.lb, ci_high = res$ci.ub, tau2 = res$tau2, q = res$QE,
        q_pvalue = res$QEp, i2 = res$I2,
        mh = if (is.null(res$MH)) NA_real_ else res$MH,
        mh_pvalue = if (is.null(res$MHp)) NA_real_ else res$MHp)
    }
  }
}
write(do.call(rbind, effects), "measures_effects.csv")
write(do.call(rbind, pooled), "measures_pooled.csv")
