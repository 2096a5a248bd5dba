# Reference values for node-splitting and the random-effects design-by-treatment interaction
# test (tests/analysis/network/test_network_inconsistency.py).  R 4 with metafor and metadat.
# Run from the repository root:
#   Rscript tests/analysis/reference/network_inconsistency.R
# It writes network_nodesplit.csv, network_dbt.csv and network_inconsistency_arms.csv next to
# this script (17 significant digits).  Every fit is metafor's rma.mv with
# random = ~ comp | study, rho = 1/2, by REML.
#
# Node-splitting (Dias et al. 2010): for the pair (first, second), first before second in
# sorted order, the consistency model gets one more column that shifts the first treatment's
# arm by w in the studies that hold both treatments (or, when that leaves a coefficient
# without data, as when the first treatment is only ever in those studies, the second's
# arm by -w).  w frees those studies' direct comparison: direct = d_first - d_second + w,
# indirect = d_first - d_second, difference = w.  tau^2 is re-estimated in each split model.
#
# Design-by-treatment interaction (Higgins et al. 2012): each design's contrasts get their
# own means (mods = ~ factor(design:treatment) - 1).  The Wald test of consistency is the
# distance of those means from the nearest consistent set, in their own covariance:
# min_d (b - Z d)' vcov(b)^-1 (b - Z d), on (number of means - number of basic parameters) df.
source("tests/analysis/reference/setup.R")
# rma.mv stops at a relative change of 1e-10 in the log-likelihood; a golden-section search
# on its own likelihood with tau^2 held fixed takes tau^2 to the optimum.
tighten <- function(fit_at) {
  first <- fit_at(NA)
  start <- first$tau2
  if (start < 1e-8) return(first)
  loglik <- function(s) as.numeric(logLik(fit_at(s)))
  fit_at(optimize(loglik, start * c(0.99, 1.01), maximum = TRUE, tol = 1e-14 * start)$maximum)
}

arms <- network_arms
write(data.frame(dataset = "pagliaro1992", arms$pagliaro1992), "network_inconsistency_arms.csv",
      quote = TRUE)
splits <- list(); dbt <- list()
for (net in inconsistency_networks) {
  a <- arms[[net$data]]
  treatments <- sort(unique(a$treatment), method = "radix")
  built <- build_contrasts(a, net$measure, net$reference, treatments)
  dat <- built$dat; V <- built$V
  dat$comp <- paste(dat$treatment, dat$baseline)
  others <- setdiff(treatments, net$reference)
  X <- matrix(sapply(others, function(t) (dat$treatment == t) - (dat$baseline == t)),
              nrow = nrow(dat))
  fit_with <- function(M) function(t2) rma.mv(dat$yi, V, mods = M, intercept = FALSE,
    random = ~ comp | study, rho = 1 / 2, tau2 = t2, data = dat)
  cons <- tighten(fit_with(X))

  holds <- function(t) tapply(dat$treatment == t | dat$baseline == t, dat$study, any)
  for (i in seq_along(treatments)) for (j in seq_along(treatments)) {
    if (j <= i) next
    first <- treatments[i]; second <- treatments[j]
    both <- names(which(holds(first) & holds(second)))
    if (length(both) == 0) next
    shift <- function(t, sign) ifelse(dat$study %in% both,
                                      sign * ((dat$treatment == t) - (dat$baseline == t)), 0)
    shifted <- first
    XS <- cbind(X, shift(first, 1))
    if (qr(XS)$rank < ncol(XS)) { shifted <- second; XS <- cbind(X, shift(second, -1)) }
    row <- data.frame(dataset = net$name, first = first, second = second,
      n_studies = length(both), shifted = shifted, estimable = FALSE, direct = NA, direct_se = NA,
      indirect = NA, indirect_se = NA, difference = NA, difference_se = NA, ci_low = NA,
      ci_high = NA, pvalue = NA, tau2 = NA)
    if (qr(XS)$rank == ncol(XS) && nrow(XS) > ncol(XS)) {
      fit <- tighten(fit_with(XS))
      lc <- function(t) { x <- setNames(rep(0, length(treatments)), treatments); x[t] <- 1; x[others] }
      x_ind <- c(lc(first) - lc(second), 0)
      x_dir <- c(lc(first) - lc(second), 1)
      b <- c(fit$beta); vb <- fit$vb
      k <- length(b)
      row$estimable <- TRUE
      row$direct <- sum(x_dir * b); row$direct_se <- sqrt(c(t(x_dir) %*% vb %*% x_dir))
      row$indirect <- sum(x_ind * b); row$indirect_se <- sqrt(c(t(x_ind) %*% vb %*% x_ind))
      row$difference <- b[k]; row$difference_se <- fit$se[k]
      row$ci_low <- fit$ci.lb[k]; row$ci_high <- fit$ci.ub[k]; row$pvalue <- fit$pval[k]
      row$tau2 <- fit$tau2
    }
    splits[[length(splits) + 1]] <- row
  }

  # design-by-treatment interaction: one mean per design and contrast
  dat$cell <- paste(dat$design, dat$treatment, sep = ":")
  cells <- unique(dat$cell)
  D <- sapply(cells, function(c) as.numeric(dat$cell == c))
  full <- tighten(fit_with(D))
  first_row <- match(cells, dat$cell)
  Z <- X[first_row, , drop = FALSE]
  wald <- rma.mv(c(full$beta), full$vb, mods = Z, intercept = FALSE, method = "FE")
  dbt[[length(dbt) + 1]] <- data.frame(dataset = net$name, tau2_consistency = cons$tau2,
    tau2_interaction = full$tau2, n_cells = length(cells), wald = wald$QE,
    df = wald$k - wald$p, pvalue = wald$QEp,
    loglik_interaction = as.numeric(logLik(full)))
}
write(do.call(rbind, splits), "network_nodesplit.csv", quote = TRUE)
write(do.call(rbind, dbt), "network_dbt.csv", quote = TRUE)
