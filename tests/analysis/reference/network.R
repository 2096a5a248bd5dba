# Reference values for multilevel and network meta-analysis (tests/analysis/test_multilevel.py,
# tests/analysis/network/test_network_reference.py).  R 4 with metafor 3.8-1 and metadat.
# Run from the repository root:
#   Rscript tests/analysis/reference/network.R
# It rewrites the network_*.csv and multilevel.csv files next to this script (17 significant
# digits).  The fits are metafor's rma.mv; the derived quantities (P-scores, back-calculated
# indirect estimates) apply their published formulas to rma.mv's estimates and vcov.
source("tests/analysis/reference/setup.R")
# rma.mv's optimiser stops at a relative change of 1e-10 in the log-likelihood, which leaves
# the variance components good to about 1e-6; a golden-section (or Nelder-Mead) search on
# rma.mv's own likelihood with the components held fixed takes them to the optimum.
tighten <- function(fit_at, start) {
  loglik <- function(s) as.numeric(logLik(fit_at(s)))
  best <- if (length(start) == 1) {
    optimize(loglik, start * c(0.99, 1.01), maximum = TRUE, tol = 1e-14 * start)$maximum
  } else {
    exp(optim(log(start), function(p) -loglik(exp(p)), method = "Nelder-Mead",
              control = list(reltol = 1e-15, maxit = 5000))$par)
  }
  fit_at(best)
}
I2 <- function(fit, vi, X) {
  W <- diag(1 / vi)
  P <- W - W %*% X %*% solve(t(X) %*% W %*% X) %*% t(X) %*% W
  typical <- (length(vi) - ncol(X)) / sum(diag(P))
  s <- fit$sigma2
  100 * c(sum(s), s[1], s[2]) / (sum(s) + typical)
}

# 1. multilevel: rma.mv(yi, vi, random = ~ 1 | study/es_id) --------------------------
multi <- list()
k11 <- dat.konstantopoulos2011
multi$konstantopoulos2011 <- data.frame(study = k11$district, yi = k11$yi, vi = k11$vi,
                                        mod = k11$year - 1990)
a16 <- dat.assink2016
multi$assink2016 <- data.frame(study = a16$study, yi = a16$yi, vi = a16$vi, mod = a16$year)
rows <- list()
studies <- list()
for (name in names(multi)) {
  d <- multi[[name]]
  d$es_id <- seq_len(nrow(d))
  studies[[name]] <- data.frame(dataset = name, d[, c("study", "yi", "vi", "mod")])
  for (mods in c("none", "mod")) {
    fit_at <- function(s) {
      if (mods == "none") rma.mv(yi, vi, random = ~ 1 | study / es_id, data = d, sigma2 = s)
      else rma.mv(yi, vi, mods = ~ mod, random = ~ 1 | study / es_id, data = d, sigma2 = s)
    }
    fit <- tighten(fit_at, fit_at(c(NA, NA))$sigma2)
    X <- if (mods == "none") matrix(1, nrow(d), 1) else cbind(1, d$mod)
    i2 <- I2(fit, d$vi, X)
    pr <- if (mods == "none") predict(fit) else NULL
    for (j in seq_len(nrow(fit$beta))) {
      rows[[length(rows) + 1]] <- data.frame(
        dataset = name, mods = mods, term = j, estimate = fit$beta[j], se = fit$se[j],
        zval = fit$zval[j], pval = fit$pval[j], ci_low = fit$ci.lb[j], ci_high = fit$ci.ub[j],
        sigma2_study = fit$sigma2[1], sigma2_within = fit$sigma2[2], q = fit$QE, q_df = fit$k - fit$p,
        q_pval = fit$QEp, loglik = as.numeric(logLik(fit)), i2_total = i2[1], i2_study = i2[2],
        i2_within = i2[3], pi_low = if (is.null(pr)) NA else pr$pi.lb,
        pi_high = if (is.null(pr)) NA else pr$pi.ub)
    }
  }
}
write(do.call(rbind, studies), "multilevel_studies.csv", quote = TRUE)
write(do.call(rbind, rows), "multilevel.csv", quote = TRUE)

# 2. network meta-analysis from arm-level data -----------------------------------------
arms <- network_arms[c("senn2013", "hasselblad1998")]
networks <- list(
  list(name = "senn2013_MD", data = "senn2013", measure = "MD", reference = "placebo", small = "good"),
  list(name = "hasselblad1998_OR", data = "hasselblad1998", measure = "OR", reference = "no_contact",
       small = "bad"),
  list(name = "hasselblad1998_RR", data = "hasselblad1998", measure = "RR", reference = "no_contact",
       small = "bad"),
  list(name = "hasselblad1998_RD", data = "hasselblad1998", measure = "RD", reference = "self_help",
       small = "bad"))

fit_network <- function(dat, V, treatments, reference, small, name, arm_pairs) {
  others <- setdiff(treatments, reference)
  X <- sapply(others, function(t) (dat$treatment == t) - (dat$baseline == t))
  X <- matrix(X, nrow = nrow(dat))
  colnames(X) <- others
  dat$comp <- paste(dat$treatment, dat$baseline)
  fit_at <- function(t2) rma.mv(dat$yi, V, mods = X, intercept = FALSE, random = ~ comp | study,
                                rho = 1 / 2, tau2 = t2, data = dat)
  fit <- tighten(fit_at, fit_at(NA)$tau2)
  fe <- rma.mv(dat$yi, V, mods = X, intercept = FALSE, method = "FE")
  dbt <- rma.mv(dat$yi, V, mods = ~ factor(paste(design, treatment)) - 1, method = "FE", data = dat)
  t <- length(treatments)
  d <- setNames(rep(0, t), treatments); d[others] <- fit$beta
  cv <- matrix(0, t, t, dimnames = list(treatments, treatments)); cv[others, others] <- fit$vb
  league <- list(); pscore <- list(); split <- list()
  sgn <- if (small == "good") -1 else 1
  for (i in treatments) {
    p <- c()
    for (j in treatments) {
      if (i == j) next
      est <- d[[i]] - d[[j]]
      se <- sqrt(cv[i, i] + cv[j, j] - 2 * cv[i, j])
      league[[length(league) + 1]] <- data.frame(dataset = name, first = i, second = j,
        estimate = est, se = se, ci_low = est - qnorm(0.975) * se, ci_high = est + qnorm(0.975) * se,
        pvalue = 2 * pnorm(-abs(est / se)))
      p <- c(p, pnorm(sgn * est / se))
    }
    pscore[[length(pscore) + 1]] <- data.frame(dataset = name, treatment = i, pscore = mean(p))
  }
  # direct evidence: each study holding both arms, pooled with the network's tau^2;
  # indirect evidence by back-calculation
  for (a in seq_along(treatments)) for (b in seq_along(treatments)) {
    if (b <= a) next
    first <- treatments[a]; second <- treatments[b]
    pc <- arm_pairs(first, second)
    if (is.null(pc)) next
    direct <- rma(pc$yi, pc$vi, tau2 = fit$tau2, method = "REML")
    net <- d[[first]] - d[[second]]
    v_net <- cv[first, first] + cv[second, second] - 2 * cv[first, second]
    v_dir <- direct$se^2
    w_ind <- 1 / v_net - 1 / v_dir
    if (w_ind > 1e-10 / v_net) {
      v_ind <- 1 / w_ind
      ind <- v_ind * (net / v_net - c(direct$beta) / v_dir)
      pval <- 2 * pnorm(-abs((c(direct$beta) - ind) / sqrt(v_dir + v_ind)))
    } else {
      v_ind <- NA; ind <- NA; pval <- NA
    }
    split[[length(split) + 1]] <- data.frame(dataset = name, first = first, second = second,
      n_studies = nrow(pc), direct = c(direct$beta), direct_se = direct$se, indirect = ind,
      indirect_se = sqrt(v_ind), proportion_direct = min(v_net / v_dir, 1), pvalue = pval)
  }
  summary <- data.frame(dataset = name, tau2 = fit$tau2, loglik = as.numeric(logLik(fit)),
    q_total = fe$QE, df_total = fe$k - fe$p, q_within = dbt$QE, df_within = dbt$k - dbt$p,
    q_between = fe$QE - dbt$QE, df_between = (fe$k - fe$p) - (dbt$k - dbt$p),
    p_between = pchisq(fe$QE - dbt$QE, (fe$k - fe$p) - (dbt$k - dbt$p), lower.tail = FALSE))
  list(league = do.call(rbind, league), pscore = do.call(rbind, pscore),
       split = do.call(rbind, split), summary = summary)
}

league <- list(); pscores <- list(); splits <- list(); summaries <- list(); arm_rows <- list()
for (name in names(arms)) arm_rows[[name]] <- data.frame(dataset = name, arms[[name]])
for (net in networks) {
  a <- arms[[net$data]]
  treatments <- sort(unique(a$treatment), method = "radix")
  built <- build_contrasts(a, net$measure, net$reference, treatments)
  arm_pairs <- function(first, second) {
    yi <- c(); vi <- c()
    for (s in unique(a$study)) {
      sa <- a[a$study == s, ]
      if (!(first %in% sa$treatment && second %in% sa$treatment)) next
      sc <- arm_scale(sa, net$measure)
      i <- which(sa$treatment == first); j <- which(sa$treatment == second)
      yi <- c(yi, sc$theta[i] - sc$theta[j]); vi <- c(vi, sc$var[i] + sc$var[j])
    }
    if (length(yi) == 0) NULL else data.frame(yi = yi, vi = vi)
  }
  r <- fit_network(built$dat, built$V, treatments, net$reference, net$small, net$name, arm_pairs)
  league[[net$name]] <- r$league; pscores[[net$name]] <- r$pscore
  splits[[net$name]] <- r$split; summaries[[net$name]] <- r$summary
}

# 3. network from two-arm contrasts given as yi and vi: senn2013's two-arm studies, each
# contrast in the order its arms are listed (so some are turned round by the fit)
two <- names(which(table(s13$study) == 2))
rows <- list()
for (s in two) {
  sa <- s13[s13$study == s, ]
  rows[[length(rows) + 1]] <- data.frame(study = s, treatment = sa$treatment[1],
    baseline = sa$treatment[2], yi = sa$mi[1] - sa$mi[2],
    vi = sa$sdi[1]^2 / sa$ni[1] + sa$sdi[2]^2 / sa$ni[2])
}
given <- do.call(rbind, rows)
write(data.frame(dataset = "senn2013_two_arm", given), "network_contrasts.csv",
      quote = TRUE)
treatments <- sort(unique(c(given$treatment, given$baseline)), method = "radix")
turn <- given$treatment == "placebo" |
  (given$baseline != "placebo" & match(given$treatment, treatments) < match(given$baseline, treatments))
dat <- given
dat$treatment[turn] <- given$baseline[turn]; dat$baseline[turn] <- given$treatment[turn]
dat$yi[turn] <- -given$yi[turn]
dat$design <- paste(dat$baseline, dat$treatment, sep = "|")
pairs_given <- function(first, second) {
  hit <- (dat$treatment == first & dat$baseline == second)
  back <- (dat$treatment == second & dat$baseline == first)
  if (!any(hit | back)) return(NULL)
  data.frame(yi = c(dat$yi[hit], -dat$yi[back]), vi = c(dat$vi[hit], dat$vi[back]))
}
r <- fit_network(dat, diag(dat$vi), treatments, "placebo", "good", "senn2013_two_arm", pairs_given)
league$two <- r$league; pscores$two <- r$pscore; splits$two <- r$split; summaries$two <- r$summary

write(do.call(rbind, arm_rows), "network_arms.csv", quote = TRUE)
write(do.call(rbind, league), "network_league.csv", quote = TRUE)
write(do.call(rbind, pscores), "network_pscores.csv", quote = TRUE)
write(do.call(rbind, splits), "network_splits.csv", quote = TRUE)
write(do.call(rbind, summaries), "network_summary.csv", quote = TRUE)
