# Reference values for maximum-likelihood rma.mv fits and the likelihood-ratio test of the
# design-by-treatment interaction (tests/analysis/test_rma_mv_ml.py).  R 4 with metafor
# 3.8-1 and metadat.  Run from the repository root:
#   Rscript tests/analysis/reference/rma_mv_ml.R
# It writes rma_mv_ml.csv (logLik, sigma2 and beta of every fit, one number a row) and
# network_lrt.csv (anova(consistency, interaction): LRT, df, p), 17 significant digits.
#
# Networks: the contrasts, sampling covariance and models of network_inconsistency.R
# (consistency: mods = basic parameters; interaction: one mean per design and contrast;
# random = ~ comp | study, rho = 1/2), fitted with method = "ML".  The interaction model's
# coefficients are named "<design>:<treatment>", the design being its treatments joined
# by "|", reference (or the study's baseline) first.  The arms are network_arms.csv and
# network_inconsistency_arms.csv.
# Three-level: dat.konstantopoulos2011 (multilevel_studies.csv), random = ~ 1 | district /
# school, without and with the year as moderator.
source("tests/analysis/reference/setup.R")
# rma.mv stops at a relative change of 1e-10 in the log-likelihood; a search on its own
# likelihood with the components held fixed takes them to the optimum (golden section for
# one component, Nelder-Mead on the log scale for two)
tighten <- function(fit_at, n_components) {
  first <- fit_at(rep(NA, n_components))
  start <- first$sigma2
  if (any(start < 1e-8)) return(first)
  loglik <- function(s) as.numeric(logLik(fit_at(s)))
  if (n_components == 1)
    return(fit_at(optimize(loglik, start * c(0.99, 1.01), maximum = TRUE,
                           tol = 1e-14 * start)$maximum))
  best <- optim(log(start), function(p) -loglik(exp(p)), method = "Nelder-Mead",
                control = list(reltol = 1e-15, maxit = 5000))$par
  fit_at(exp(best))
}
values <- list()
keep <- function(dataset, model, fit) {
  b <- c(fit$beta)
  names(b) <- rownames(fit$beta)
  values[[length(values) + 1]] <<- rbind(
    data.frame(dataset = dataset, model = model, quantity = "loglik", term = "",
               value = as.numeric(logLik(fit))),
    data.frame(dataset = dataset, model = model, quantity = "sigma2",
               term = as.character(seq_along(fit$sigma2)), value = fit$sigma2),
    data.frame(dataset = dataset, model = model, quantity = "beta", term = names(b), value = b))
}

arms <- network_arms

lrt <- list()
for (net in inconsistency_networks) {
  a <- arms[[net$data]]
  treatments <- sort(unique(a$treatment), method = "radix")
  built <- build_contrasts(a, net$measure, net$reference, treatments)
  dat <- built$dat; V <- built$V
  dat$comp <- paste(dat$treatment, dat$baseline)
  others <- setdiff(treatments, net$reference)
  X <- matrix(sapply(others, function(t) (dat$treatment == t) - (dat$baseline == t)),
              nrow = nrow(dat), dimnames = list(NULL, others))
  dat$cell <- paste(dat$design, dat$treatment, sep = ":")
  cells <- unique(dat$cell)
  D <- sapply(cells, function(c) as.numeric(dat$cell == c))
  fit_with <- function(M) function(t2) rma.mv(dat$yi, V, mods = M, intercept = FALSE,
    random = ~ comp | study, rho = 1 / 2, tau2 = t2, data = dat, method = "ML")
  cons <- tighten(function(s) { f <- fit_with(X)(s); f$sigma2 <- f$tau2; f }, 1)
  full <- tighten(function(s) { f <- fit_with(D)(s); f$sigma2 <- f$tau2; f }, 1)
  keep(net$name, "consistency", cons)
  keep(net$name, "interaction", full)
  test <- anova(cons, full)
  lrt[[length(lrt) + 1]] <- data.frame(dataset = net$name, lrt = test$LRT,
    df = test$parms.f - test$parms.r, pvalue = test$pval,
    loglik_consistency = as.numeric(logLik(cons)), loglik_interaction = as.numeric(logLik(full)))
}

d <- read.csv(file.path(out_dir, "multilevel_studies.csv"))
d <- d[d$dataset == "konstantopoulos2011", ]
d$obs <- seq_len(nrow(d))
for (mods in c("none", "mod")) {
  form <- if (mods == "none") ~ 1 else ~ mod
  fit_at <- function(s) rma.mv(yi, vi, mods = form, random = ~ 1 | study / obs, data = d,
                               sigma2 = s, method = "ML")
  keep(paste0("konstantopoulos2011_", mods), "three_level", tighten(fit_at, 2))
}
write(do.call(rbind, values), "rma_mv_ml.csv", quote = TRUE)
write(do.call(rbind, lrt), "network_lrt.csv", quote = TRUE)
