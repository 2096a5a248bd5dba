# Reference values for the tau^2 estimators, publication-bias tools and influence
# diagnostics (tests/analysis/test_toolbox_reference.py).  R 4 with metafor 3.8-1
# and metadat.  Run from the repository root:
#   Rscript tests/analysis/reference/toolbox.R
# It rewrites the toolbox_*.csv files next to this script (17 significant digits).
source("tests/analysis/reference/setup.R")

# Example data sets of metafor/metadat; each row is a study's yi and vi.
studies <- list()
d <- bcg_rr
studies$bcg <- data.frame(yi = c(d$yi), vi = c(d$vi), ablat = d$ablat)
d <- molloy2014_zcor
studies$molloy2014 <- data.frame(yi = c(d$yi), vi = c(d$vi), ablat = NA)
d <- pritz1997_plo
studies$pritz1997 <- data.frame(yi = c(d$yi), vi = c(d$vi), ablat = NA)
d <- escalc("RR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.linde2005)
d <- d[!is.na(d$yi), ]
studies$linde2005 <- data.frame(yi = c(d$yi), vi = c(d$vi), ablat = NA)
# homogeneous studies: every estimator truncates at or near 0
studies$homogeneous <- data.frame(
  yi = c(0.10, 0.12, 0.09, 0.11, 0.10, 0.13),
  vi = c(0.010, 0.020, 0.015, 0.010, 0.030, 0.012), ablat = NA)
# tied sampling variances and tied estimates (Kendall's tau with ties)
studies$ties <- data.frame(
  yi = c(0.5, 0.2, 0.2, 0.9, -0.1, 0.4, 0.4, 1.2),
  vi = c(0.04, 0.04, 0.09, 0.16, 0.04, 0.09, 0.25, 0.25), ablat = NA)

rows <- list()
for (name in names(studies)) {
  s <- studies[[name]]
  rows[[name]] <- data.frame(dataset = name, study = seq_len(nrow(s)), s)
}
write(do.call(rbind, rows), "toolbox_studies.csv")

num <- function(x) if (is.null(x) || length(x) == 0) NA_real_ else as.numeric(x)[1]

# 1. tau^2 estimators, se(tau^2) and the t test --------------------------------------
methods <- c("FE", "DL", "REML", "PM", "ML", "HE", "SJ", "EB", "HS", "HSk")
rows <- list()
for (name in names(studies)) {
  s <- studies[[name]]
  for (mods in c("none", "ablat")) {
    if (mods == "ablat" && all(is.na(s$ablat))) next
    for (method in methods) {
      for (test in c("z", "t", "knha")) {
        res <- if (mods == "none") rma(yi, vi, data = s, method = method, test = test)
               else rma(yi, vi, mods = ~ ablat, data = s, method = method, test = test)
        pr <- predict(res)
        j <- nrow(res$beta)  # the last coefficient: intercept, or the slope of ablat
        rows[[length(rows) + 1]] <- data.frame(
          dataset = name, mods = mods, method = method, test = test,
          tau2 = res$tau2, se_tau2 = num(res$se.tau2),
          estimate = res$beta[j], se = res$se[j], statistic = res$zval[j],
          pvalue = res$pval[j], ci_low = res$ci.lb[j], ci_high = res$ci.ub[j],
          pi_low = if (mods == "none") num(pr$pi.lb) else NA,
          pi_high = if (mods == "none") num(pr$pi.ub) else NA,
          i2 = res$I2, h2 = res$H2, q = res$QE)
      }
    }
  }
}
write(do.call(rbind, rows), "toolbox_tau2.csv")

# 2. publication bias -------------------------------------------------------------
rows <- list()
for (name in names(studies)) {
  s <- studies[[name]]
  for (method in c("FE", "DL", "REML", "PM", "ML", "EB", "SJ")) {
    res <- rma(yi, vi, data = s, method = method)
    for (estimator in c("L0", "R0")) {
      for (side in c("auto", "left", "right")) {
        tf <- if (side == "auto") trimfill(res, estimator = estimator)
              else trimfill(res, estimator = estimator, side = side)
        filled <- if (tf$k0 > 0) tf$yi[tf$fill] else numeric(0)
        rows[[length(rows) + 1]] <- data.frame(
          dataset = name, method = method, estimator = estimator, side_asked = side,
          side = tf$side, k0 = tf$k0, se_k0 = tf$se.k0, p_k0 = num(tf$p.k0), k = tf$k,
          estimate = c(tf$beta), se = tf$se, pvalue = tf$pval, ci_low = tf$ci.lb,
          ci_high = tf$ci.ub, tau2 = tf$tau2,
          filled = paste(sprintf("%.17g", filled), collapse = ";"))
      }
    }
  }
}
write(do.call(rbind, rows), "toolbox_trimfill.csv")

rows <- list()
for (name in names(studies)) {
  s <- studies[[name]]
  rt <- suppressWarnings(ranktest(s$yi, s$vi))
  rows[[length(rows) + 1]] <- data.frame(dataset = name, tau = num(rt$tau), pvalue = rt$pval)
}
write(do.call(rbind, rows), "toolbox_ranktest.csv")

rows <- list()
for (name in names(studies)) {
  s <- studies[[name]]
  cases <- list(
    list(type = "Rosenthal", alpha = 0.05, target = NA, weighted = FALSE),
    list(type = "Rosenthal", alpha = 0.01, target = NA, weighted = FALSE),
    list(type = "Orwin", alpha = 0.05, target = NA, weighted = FALSE),
    list(type = "Orwin", alpha = 0.05, target = NA, weighted = TRUE),
    list(type = "Orwin", alpha = 0.05, target = 0.05, weighted = TRUE),
    list(type = "Rosenberg", alpha = 0.05, target = NA, weighted = FALSE),
    list(type = "Rosenberg", alpha = 0.10, target = NA, weighted = FALSE))
  for (case in cases) {
    f <- if (is.na(case$target)) fsn(s$yi, s$vi, type = case$type, alpha = case$alpha,
                                     weighted = case$weighted)
         else fsn(s$yi, s$vi, type = case$type, alpha = case$alpha, target = case$target,
                  weighted = case$weighted)
    rows[[length(rows) + 1]] <- data.frame(
      dataset = name, type = case$type, alpha = case$alpha, target_asked = case$target,
      weighted = case$weighted, fsnum = f$fsnum, pvalue = num(f$pval),
      meanes = num(f$meanes), target = num(f$target))
  }
}
write(do.call(rbind, rows), "toolbox_fsn.csv")

# 3. influence diagnostics ----------------------------------------------------------
rows <- list()
for (name in c("bcg", "molloy2014", "pritz1997", "linde2005", "homogeneous")) {
  s <- studies[[name]]
  for (method in c("FE", "DL", "REML", "PM", "ML", "EB", "SJ", "HE", "HS")) {
    for (test in c("z", "knha")) {
      res <- suppressWarnings(rma(yi, vi, data = s, method = method, test = test))
      inf <- influence(res)
      rows[[length(rows) + 1]] <- data.frame(
        dataset = name, method = method, test = test, study = seq_len(res$k),
        rstudent = inf$inf$rstudent, dffits = inf$inf$dffits, cook_d = inf$inf$cook.d,
        cov_r = inf$inf$cov.r, tau2_del = inf$inf$tau2.del, qe_del = inf$inf$QE.del,
        hat = inf$inf$hat, weight = inf$inf$weight, dfbetas = inf$dfbs$intrcpt,
        influential = inf$is.infl)
    }
  }
}
write(do.call(rbind, rows), "toolbox_influence.csv")
