# Reference values for a stratified Cox model with a covariate level held by one
# patient (tests/analysis/ipd/test_cox.py). Run from the repository root:
#   Rscript tests/analysis/ipd/reference/cox_sparse_level.R
# Data: survival's colon (deaths, etype 2), Lev+5FU vs observation, stratified by
# node4, adjusted for age and tumour differentiation (differ) as a factor, with all
# but one patient of differ 3 removed: the one with the smallest id and an event
# ("event" case) or without one ("censored" case).
suppressPackageStartupMessages(library(survival))
out <- "tests/analysis/ipd/reference/cox_sparse_level.csv"
d <- subset(colon, etype == 2 & rx %in% c("Obs", "Lev+5FU") & !is.na(differ))
d$treat <- as.numeric(d$rx == "Lev+5FU")
rows <- list()
for (case in c("event", "censored")) {
  status <- if (case == "event") 1 else 0
  keep <- min(d$id[d$differ == 3 & d$status == status])
  x <- d[d$differ != 3 | d$id == keep, ]
  fit <- withCallingHandlers(
    coxph(Surv(time, status) ~ treat + age + factor(differ) + strata(node4),
          data = x, ties = "efron"),
    warning = function(w) {
      message(case, ": ", conditionMessage(w))
      invokeRestart("muffleWarning")
    })
  se <- sqrt(diag(vcov(fit)))
  rows[[case]] <- data.frame(
    case = case, kept_id = keep, n = fit$n, events = fit$nevent,
    term = names(coef(fit)), coef = unname(coef(fit)), se = unname(se),
    loglik = fit$loglik[2], iter = fit$iter)
}
res <- do.call(rbind, rows)
write.csv(res, out, row.names = FALSE)
cat(sprintf("R %s, survival %s\n", getRversion(), packageVersion("survival")))
print(res, digits = 15)
