# Reference values for meta-regression (tests/analysis/test_moderators_reference.py):
# rma with moderators, the omnibus QM test, R^2, predict with newmods and permutest.
# R 4 with metafor 3.8-1 and metadat.  Run from the repository root:
#   Rscript tests/analysis/reference/moderators.R
# It rewrites the moderators_*.csv files next to this script (17 significant digits).
source("tests/analysis/reference/setup.R")
num <- function(x) if (is.null(x) || length(x) == 0) NA_real_ else as.numeric(x)

# Each data set: yi, vi, a continuous moderator x, a categorical one g (text) and a
# second continuous one x2.
studies <- list()
d <- bcg_rr
studies$bcg <- data.frame(yi = c(d$yi), vi = c(d$vi), x = d$ablat,
                          g = as.character(d$alloc), x2 = d$year)
d <- dat.bangertdrowns2004
d <- d[complete.cases(d[, c("yi", "vi", "length", "grade", "meta")]), ]
studies$bangertdrowns2004 <- data.frame(yi = d$yi, vi = d$vi, x = d$length,
                                        g = as.character(d$grade), x2 = d$meta)
# small sets: every distinct permutation is enumerated (permutest exact = TRUE)
studies$bcg7 <- studies$bcg[1:7, ]
studies$bcg9 <- studies$bcg[1:9, ]

rows <- list()
for (name in names(studies)) {
  s <- studies[[name]]
  rows[[name]] <- data.frame(dataset = name, study = seq_len(nrow(s)), s)
}
write(do.call(rbind, rows), "moderators_studies.csv")

formulas <- list(x = ~ x, g = ~ factor(g), xg = ~ x + factor(g), xx2 = ~ x + x2)
fits <- list(); coefs <- list(); preds <- list()
for (name in c("bcg", "bangertdrowns2004")) {
  s <- studies[[name]]
  for (model in names(formulas)) {
    for (method in c("REML", "DL", "FE", "PM", "ML")) {
      for (test in c("z", "t", "knha")) {
        r <- rma(yi, vi, mods = formulas[[model]], data = s, method = method, test = test)
        id <- paste(name, model, method, test, sep = "/")
        fits[[id]] <- data.frame(
          dataset = name, model = model, method = method, test = test, k = r$k,
          tau2 = r$tau2, se_tau2 = num(r$se.tau2), i2 = num(r$I2), h2 = num(r$H2),
          r2 = num(r$R2), qe = r$QE, qe_p = r$QEp, qm = r$QM, qm_p = r$QMp,
          qm_df = r$QMdf[1])
        coefs[[id]] <- data.frame(
          dataset = name, model = model, method = method, test = test,
          position = seq_along(r$beta), estimate = c(r$beta), se = r$se, stat = r$zval,
          pval = r$pval, ci_low = r$ci.lb, ci_high = r$ci.ub)
        # predictions at the moderators' quartiles (x, x2) and at each category (g)
        xs <- quantile(s$x, c(0.25, 0.75), names = FALSE)
        lv <- sort(unique(s$g))
        if (name == "bangertdrowns2004") lv <- as.character(sort(as.numeric(lv)))
        newmods <- switch(model,
          x = cbind(xs),
          g = t(sapply(lv, function(l) as.numeric(l == lv[-1]))),
          xg = cbind(xs[c(1, 2, 1)], rbind(as.numeric(lv[2] == lv[-1]),
                                           as.numeric(lv[3] == lv[-1]),
                                           as.numeric(lv[1] == lv[-1]))),
          xx2 = cbind(xs, quantile(s$x2, c(0.5, 0.9), names = FALSE)))
        if (model == "g") newmods <- matrix(newmods, nrow = length(lv))
        p <- predict(r, newmods = newmods)
        at_g <- switch(model, x = NA, g = lv, xg = lv[c(2, 3, 1)], xx2 = NA)
        at_x <- switch(model, x = xs, g = NA, xg = xs[c(1, 2, 1)], xx2 = xs)
        at_x2 <- switch(model, xx2 = quantile(s$x2, c(0.5, 0.9), names = FALSE), NA)
        preds[[id]] <- data.frame(
          dataset = name, model = model, method = method, test = test,
          at_x = at_x, at_g = at_g, at_x2 = at_x2, pred = c(p$pred), se = c(p$se),
          ci_low = c(p$ci.lb), ci_high = c(p$ci.ub),
          pi_low = if (is.null(p$pi.lb)) NA_real_ else c(p$pi.lb),
          pi_high = if (is.null(p$pi.ub)) NA_real_ else c(p$pi.ub))
      }
    }
  }
}
write(do.call(rbind, fits), "moderators_fits.csv")
write(do.call(rbind, coefs), "moderators_coefficients.csv")
write(do.call(rbind, preds), "moderators_predict.csv")

# permutation tests: exact on the small sets; random (1000 permutations, seeded) on
# bcg, compared by distribution since R's and numpy's generators differ
perms <- list()
cases <- list(c("bcg7", "x"), c("bcg9", "g"))
for (case in cases) {
  s <- studies[[case[1]]]
  for (method in c("REML", "DL", "FE")) {
    for (test in c("z", "knha")) {
      r <- rma(yi, vi, mods = formulas[[case[2]]], data = s, method = method, test = test)
      pt <- permutest(r, exact = TRUE, progbar = FALSE)
      perms[[length(perms) + 1]] <- data.frame(
        dataset = case[1], model = case[2], method = method, test = test, exact = TRUE,
        iterations = nrow(pt$zval.perm), position = seq_along(pt$pval), pval = pt$pval,
        qm_p = pt$QMp)
    }
  }
}
set.seed(20261207)
r <- rma(yi, vi, mods = ~ x, data = studies$bcg, method = "REML")
pt <- permutest(r, iter = 1000, progbar = FALSE)
perms[[length(perms) + 1]] <- data.frame(
  dataset = "bcg", model = "x", method = "REML", test = "z", exact = FALSE,
  iterations = 1000, position = seq_along(pt$pval), pval = pt$pval, qm_p = pt$QMp)
write(do.call(rbind, perms), "moderators_permutest.csv")
