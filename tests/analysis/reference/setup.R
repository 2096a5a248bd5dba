# The set-up that the reference scripts share: metafor, where and how they write their
# values (17 significant digits, NA as "NA"), and the data sets that several of them use.
# Each script sources it first; run them from the repository root.
suppressPackageStartupMessages(library(metafor))
out_dir <- "tests/analysis/reference"
write <- function(frame, name, quote = FALSE) {
  for (column in names(frame)) {
    x <- frame[[column]]
    if (is.double(x)) frame[[column]] <- ifelse(is.na(x), "NA", sprintf("%.17g", x))
  }
  write.csv(frame, file.path(out_dir, name), row.names = FALSE, quote = quote)
}

# Example data sets of metafor/metadat as escalc's estimates (genq.R, toolbox.R,
# diagnostics.R, moderators.R).
bcg_rr <- escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
molloy2014_zcor <- escalc("ZCOR", ri = ri, ni = ni, data = dat.molloy2014)
pritz1997_plo <- escalc("PLO", xi = xi, ni = ni, data = dat.pritz1997)

# Correlations and proportions as the columns escalc takes (measures.R, back_transform.R).
correlations <- list(
  mcdaniel1994 = data.frame(ri = dat.mcdaniel1994$ri, ni = dat.mcdaniel1994$ni),
  molloy2014 = data.frame(ri = dat.molloy2014$ri, ni = dat.molloy2014$ni))
proportions <- list(
  pritz1997 = data.frame(xi = dat.pritz1997$xi, ni = dat.pritz1997$ni),
  # none and every participant with the event: the continuity correction at work
  zeros = data.frame(xi = c(0, 3, 12, 7, 0), ni = c(15, 20, 12, 30, 9)))

# Networks from arm-level data (network.R, network_inconsistency.R, rma_mv_ml.R).
s13 <- dat.senn2013
h98 <- dat.hasselblad1998
p92 <- dat.pagliaro1992
network_arms <- list(
  senn2013 = data.frame(study = s13$study, treatment = s13$treatment, events = NA,
                        n = s13$ni, mean = s13$mi, sd = s13$sdi),
  hasselblad1998 = data.frame(study = as.character(h98$study), treatment = h98$trt,
                              events = h98$xi, n = h98$ni, mean = NA, sd = NA),
  pagliaro1992 = data.frame(study = as.character(p92$study), treatment = as.character(p92$trt),
                            events = p92$xi, n = p92$ni, mean = NA, sd = NA))

# each arm's estimate and variance on the analysis scale; 0.5 is added to every arm of a study
# with a zero or all-events arm
arm_scale <- function(a, measure) {
  if (measure == "MD") return(list(theta = a$mean, var = a$sd^2 / a$n))
  x <- a$events; n <- a$n
  if (measure == "RD") { p <- x / n; return(list(theta = p, var = p * (1 - p) / n)) }
  add <- if (any(x == 0 | x == n)) 0.5 else 0
  if (measure == "OR") return(list(theta = log((x + add) / (n - x + add)),
                                   var = 1 / (x + add) + 1 / (n - x + add)))
  list(theta = log((x + add) / (n + 2 * add)), var = 1 / (x + add) - 1 / (n + 2 * add))
}

# contrasts against each study's baseline (the reference if present, else its first
# treatment in sorted order) with the block-diagonal covariance; a study's design is its
# treatments joined by "|", baseline first
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

# The networks of the inconsistency models (network_inconsistency.R, rma_mv_ml.R).
inconsistency_networks <- list(
  list(name = "senn2013_MD", data = "senn2013", measure = "MD", reference = "placebo"),
  list(name = "hasselblad1998_OR", data = "hasselblad1998", measure = "OR", reference = "no_contact"),
  list(name = "hasselblad1998_RD", data = "hasselblad1998", measure = "RD", reference = "self_help"),
  list(name = "pagliaro1992_OR", data = "pagliaro1992", measure = "OR", reference = "control"))
