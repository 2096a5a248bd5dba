# Reference values for the generalised Q estimator of tau^2 (tests/analysis/test_genq.py):
# metafor's rma(yi, vi, weights = a, method = "GENQ") with the weights of Jackson et al.
# (1/sqrt(vi)), equal weights (= HE), inverse-variance weights (= DL) and arbitrary ones,
# with z and t tests, and with a moderator.  R 4 with metafor 3.8-1 and metadat.
# Run from the repository root:
#   Rscript tests/analysis/reference/genq.R
# It rewrites genq_*.csv next to this script (17 significant digits).
source("tests/analysis/reference/setup.R")

sets <- list(bcg = bcg_rr, molloy2014 = molloy2014_zcor, pritz1997 = pritz1997_plo)

studies <- list()
fits <- list()
for (name in names(sets)) {
  e <- sets[[name]]
  k <- nrow(e)
  arbitrary <- 1 + (seq_len(k) %% 4)
  schemes <- list(inverse_se = 1 / sqrt(e$vi), equal = rep(1, k), inverse_variance = 1 / e$vi,
                  arbitrary = arbitrary)
  studies[[name]] <- data.frame(dataset = name, study = seq_len(k), yi = c(e$yi), vi = c(e$vi),
                                arbitrary = arbitrary,
                                ablat = if (name == "bcg") e$ablat else NA_real_)
  for (scheme in names(schemes)) {
    for (test in c("z", "t")) {
      for (mods in c(FALSE, TRUE)) {
        if (mods && name != "bcg") next
        res <- if (mods) rma(yi, vi, mods = ~ ablat, weights = schemes[[scheme]], data = e,
                             method = "GENQ", test = test)
               else rma(yi, vi, weights = schemes[[scheme]], data = e, method = "GENQ",
                        test = test)
        p <- predict(res)
        fits[[length(fits) + 1]] <- data.frame(
          dataset = name, weights = scheme, test = test, mods = mods,
          estimate = c(res$beta)[1], se = res$se[1], statistic = res$zval[1],
          pvalue = res$pval[1], ci_low = res$ci.lb[1], ci_high = res$ci.ub[1],
          tau2 = res$tau2, tau2_se = res$se.tau2, i2 = res$I2, h2 = res$H2, q = res$QE,
          pi_low = if (mods) NA_real_ else p$pi.lb, pi_high = if (mods) NA_real_ else p$pi.ub,
          weight_first = weights(res)[1])
      }
    }
  }
}
write(do.call(rbind, studies), "genq_studies.csv")
write(do.call(rbind, fits), "genq_fits.csv")
