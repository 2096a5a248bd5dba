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
suppressPackageStartupMessages(library(metafor))
out_dir <- "tests/analysis/reference"
write <- function(frame, name) {
  for (column in names(frame)) {
    x <- frame[[column]]
    if (is.double(x)) frame[[column]] <- ifelse(is.na(x), "NA", sprintf("%.17g", x))
  }
  write.csv(frame, file.path(out_dir, name), row.names = FALSE, quote = TRUE)
}
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

s13 <- dat.senn2013
h98 <- dat.hasselblad1998
p92 <- dat.pagliaro1992
arms <- list(
  senn2013 = data.frame(study = s13$study, treatment = s13$treatment, events = NA,
                        n = s13$ni, mean = s13$mi, sd = s13$sdi),
  hasselblad1998 = data.frame(study = as.character(h98$study), treatment = h98$trt,
                              events = h98$xi, n = h98$ni, mean = NA, sd = NA),
  pagliaro1992 = data.frame(study = as.character(p92$study), treatment = as.character(p92$trt),
                            events = p92$xi, n = p92$ni, mean = NA, sd = NA))
networks <- list(
  list(name = "senn2013_MD", data = "senn2013", measure = "MD", reference = "placebo"),
  list(name = "hasselblad1998_OR", data = "hasselblad1998", measure = "OR", reference = "no_contact"),
  list(name = "hasselblad1998_RD", data = "hasselblad1998", measure = "RD", reference = "self_help"),
  list(name = "pagliaro1992_OR", data = "pagliaro1992", measure = "OR", reference = "control"))

arm_scale <- function(a, measure) {
  if (measure == "MD") return(list(theta = a$mean, var = a$sd^2 / a$n))
  x <- a$events; n <- a$n
  if (measure == "RD") { p <- x / n; return(list(theta = p, var = p * (1 - p) / n)) }
  add <- if (any(x == 0 | x == n)) 0.5 else 0
  if (measure == "OR") return(list(theta = log((x + add) / (n - x + add)),
                                   var = 1 / (x + add) + 1 / (n - x + add)))
  list(theta = log((x + add) / (n + 2 * add)), var = 1 / (x + add) - 1 / (n + 2 * add))
}

build_contrasts <- function(a, measure, reference, treatments) {
  out <- list(); blocks <- list()
  for (s in unique(a$study)) {
    sa <- a[a$study == s, ]
    sa <- sa[order(sa$treatment != reference, match(sa$treatment, treatments)), ]
    sc <- arm_scale(sa, measure)
    m <- nrow(sa) - 1
    out[[length(out) + 1]] <- data.frame(study = s, treatment = sa$treatment[-1],
      baseline = sa$treatment[1], yi = sc$theta[-1] - sc$theta[1], vi = sc$var[-1] + sc$var[1],
      design = paste(sa$treatment, collapse = "|"))
    blocks[[length(blocks) + 1]] <- matrix(sc$var[1], m, m) + diag(sc$var[-1], m)
  }
  list(dat = do.call(rbind, out), V = bldiag(blocks))
}

lrt <- list()
for (net in networks) {
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
write(do.call(rbind, values), "rma_mv_ml.csv")
write(do.call(rbind, lrt), "network_lrt.csv")
