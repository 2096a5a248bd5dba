# Reference coordinates for the diagnostic plots (tests/analysis/test_diagnostics.py):
# metafor's baujat(), radial(), labbe() and gosh().  R 4 with metafor 3.8-1 and
# metadat.  Run from the repository root:
#   Rscript tests/analysis/reference/diagnostics.R
# It rewrites the diagnostics_*.csv files next to this script (17 significant digits).
source("tests/analysis/reference/setup.R")
# the plots draw to a null device; only their returned coordinates are kept
pdf(NULL)

# 2x2 tables: treatment events ai / non-events bi, control events ci / non-events di
tables <- list()
tables$bcg <- with(dat.bcg, data.frame(ai = tpos, bi = tneg, ci = cpos, di = cneg))
tables$linde2005 <- with(dat.linde2005[!is.na(dat.linde2005$ai), ],
  data.frame(ai = ai, bi = n1i - ai, ci = ci, di = n2i - ci))
# zero cells: the arm gets 1/2 added to both its cells (to = "only0")
tables$zeros <- data.frame(ai = c(0, 3, 5, 12, 7), bi = c(20, 17, 0, 30, 25),
                           ci = c(2, 0, 4, 10, 9), di = c(18, 22, 16, 31, 20))

# study-level estimates for Baujat, radial and GOSH
studies <- list()
d <- escalc("RR", ai = ai, bi = bi, ci = ci, di = di, data = tables$bcg)
studies$bcg <- data.frame(yi = c(d$yi), vi = c(d$vi))
d <- molloy2014_zcor
studies$molloy2014 <- data.frame(yi = c(d$yi), vi = c(d$vi))
d <- pritz1997_plo
studies$pritz1997 <- data.frame(yi = c(d$yi), vi = c(d$vi))
# GOSH fits every subset: a small k
studies$bcg8 <- studies$bcg[1:8, ]

rows <- list()
for (name in names(studies)) {
  s <- studies[[name]]
  rows[[name]] <- data.frame(dataset = name, study = seq_len(nrow(s)), s)
}
write(do.call(rbind, rows), "diagnostics_studies.csv")
rows <- list()
for (name in names(tables)) {
  s <- tables[[name]]
  rows[[name]] <- data.frame(dataset = name, study = seq_len(nrow(s)), s)
}
write(do.call(rbind, rows), "diagnostics_tables.csv")

methods <- c("FE", "DL", "REML", "PM")
baujat_rows <- list()
radial_rows <- list()
for (name in c("bcg", "molloy2014", "pritz1997")) {
  s <- studies[[name]]
  for (method in methods) {
    res <- rma(yi, vi, data = s, method = method)
    b <- baujat(res)
    baujat_rows[[length(baujat_rows) + 1]] <- data.frame(
      dataset = name, method = method, study = seq_len(nrow(s)),
      estimate = c(res$beta), tau2 = res$tau2, x = b$x, y = b$y)
    r <- radial(res)
    radial_rows[[length(radial_rows) + 1]] <- data.frame(
      dataset = name, method = method, study = seq_len(nrow(s)),
      estimate = c(res$beta), tau2 = res$tau2, x = r$x, z = r$y)
  }
}
write(do.call(rbind, baujat_rows), "diagnostics_baujat.csv")
write(do.call(rbind, radial_rows), "diagnostics_radial.csv")

rows <- list()
for (name in names(tables)) {
  s <- tables[[name]]
  for (measure in c("RR", "OR", "RD", "AS")) {
    res <- rma(measure = measure, ai = ai, bi = bi, ci = ci, di = di, data = s, method = "REML")
    l <- labbe(res)
    rows[[length(rows) + 1]] <- data.frame(
      dataset = name, measure = measure, study = seq_len(nrow(l)),
      estimate = c(res$beta), control = l$x, treatment = l$y)
  }
}
write(do.call(rbind, rows), "diagnostics_labbe.csv")

rows <- list()
s <- studies$bcg8
for (method in c("FE", "DL", "REML")) {
  g <- gosh(rma(yi, vi, data = s, method = method))
  subset <- apply(g$incl, 1, function(r) paste(as.integer(r), collapse = ""))
  rows[[length(rows) + 1]] <- data.frame(
    dataset = "bcg8", method = method, subset = subset, k = g$res$k,
    estimate = g$res$estimate, i2 = g$res$I2, q = g$res$QE, tau2 = g$res$tau2)
}
write(do.call(rbind, rows), "diagnostics_gosh.csv")
