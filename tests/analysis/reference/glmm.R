# Reference values for the mixed logistic regression (analysis/_glmm.py):
# lme4::glmer(y ~ treat + age + (1 | study), family = binomial, nAGQ = 7) on
# participant-level data simulated here with a fixed seed.  Run from the repository root:
#   Rscript tests/analysis/reference/glmm.R
# It rewrites glmm_data.csv and glmm_values.csv next to this script (17 significant digits).
suppressPackageStartupMessages(library(lme4))
out_dir <- "tests/analysis/reference"
set.seed(20)
k <- 9
sizes <- sample(40:120, k, replace = TRUE)
baseline <- rnorm(k, -0.4, 0.7)
rows <- lapply(seq_len(k), function(i) {
  n <- sizes[i]
  treat <- rbinom(n, 1, 0.5)
  age <- round(rnorm(n, 60, 9))
  eta <- baseline[i] - 0.5 * treat + 0.03 * (age - 60)
  data.frame(study = sprintf("S%02d", i), treat = treat, age = age, y = rbinom(n, 1, plogis(eta)))
})
d <- do.call(rbind, rows)
write.csv(d, file.path(out_dir, "glmm_data.csv"), row.names = FALSE, quote = FALSE)

fmt <- function(x) sprintf("%.17g", x)
values <- list()
for (nagq in c(1, 7, 15)) {
  for (model in c("treat", "treat+age")) {
    f <- if (model == "treat") y ~ treat + (1 | study) else y ~ treat + age + (1 | study)
    fit <- glmer(f, data = d, family = binomial, nAGQ = nagq,
                 control = glmerControl(optimizer = "bobyqa", tolPwrss = 1e-10,
                                        optCtrl = list(maxfun = 1e5, rhoend = 1e-10)))
    fe <- fixef(fit)
    se <- sqrt(diag(as.matrix(vcov(fit))))
    key <- function(what) paste(model, nagq, what, sep = ";")
    for (name in names(fe)) {
      values[[key(paste0("coef:", name))]] <- fe[[name]]
      values[[key(paste0("se:", name))]] <- se[[name]]
    }
    values[[key("sd")]] <- as.data.frame(VarCorr(fit))$sdcor[1]
    values[[key("loglik")]] <- as.numeric(logLik(fit))
  }
}
parts <- do.call(rbind, strsplit(names(values), ";", fixed = TRUE))
out <- data.frame(model = parts[, 1], nagq = parts[, 2], quantity = parts[, 3],
                  value = fmt(unlist(values)))
write.csv(out, file.path(out_dir, "glmm_values.csv"), row.names = FALSE, quote = FALSE)
