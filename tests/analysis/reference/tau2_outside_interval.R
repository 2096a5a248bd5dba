# Reference values for tests/analysis/test_heterogeneity_ci.py::test_a_tau2_outside_its_interval_is_explained
# (R 4.2.2, metafor from the distribution). Run: Rscript tests/analysis/reference/tau2_outside_interval.R
# Prints: 0.131459132501563 0.144291487125125 2.16845750806847
suppressPackageStartupMessages(library(metafor))
yi <- c(1.509, -0.279, 0.006, -0.136, -0.53, 0.408, 0.504)
vi <- c(0.0432, 0.3727, 0.0002, 0.0127, 0.0263, 0.1255, 0.0002)
res <- rma(yi, vi, method="DL")
ci <- confint(res)
cat(sprintf("%.15g %.15g %.15g\n", res$tau2, ci$random["tau^2","ci.lb"], ci$random["tau^2","ci.ub"]))
