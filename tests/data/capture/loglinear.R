# loglinear.R - reference values for the log-linear capture-recapture models of
# geo/analysis/capture.c, from R's glm(family = poisson).
#
#   Rscript loglinear.R > loglinear_r.csv
#
# Reads cells.csv (dataset, k, h, count: events whose capture history is h, bit i = source i)
# and, for every set of two-way interactions (mask bit p = the p-th pair (i, j), i < j, in the
# order (0,1), (0,2), ..., (1,2), ...) with fewer parameters than cells + 1, fits
# count ~ main effects + those interactions on the 2^k - 1 observed cells and prints the
# unobserved cell exp(intercept), the intercept's standard error, the residual deviance and the
# AIC. The model with the smallest AIC is flagged (ties: fewer parameters, then smaller mask).
cells <- read.csv("cells.csv")
cat("dataset,k,mask,nparams,f0,se_intercept,deviance,aic,best\n")
for (ds in unique(cells$dataset)) {
  d <- cells[cells$dataset == ds, ]
  k <- d$k[1]
  X <- sapply(0:(k - 1), function(i) bitwAnd(bitwShiftR(d$h, i), 1))
  colnames(X) <- paste0("s", 0:(k - 1))
  pairs <- list()
  for (i in 0:(k - 2)) for (j in (i + 1):(k - 1)) pairs[[length(pairs) + 1]] <- c(i, j)
  res <- NULL
  for (mask in 0:(2^length(pairs) - 1)) {
    terms <- colnames(X)
    for (p in seq_along(pairs))
      if (bitwAnd(mask, 2^(p - 1)))
        terms <- c(terms, paste0("s", pairs[[p]][1], ":s", pairs[[p]][2]))
    np <- 1 + length(terms) - 0
    if (np > nrow(d)) next
    df <- data.frame(X, y = d$count)
    fit <- glm(as.formula(paste("y ~", paste(terms, collapse = " + "))), family = poisson,
               data = df, control = glm.control(epsilon = 1e-12, maxit = 100))
    b0 <- coef(summary(fit))["(Intercept)", ]
    res <- rbind(res, data.frame(dataset = ds, k = k, mask = mask, nparams = np,
                                 f0 = exp(b0[["Estimate"]]), se = b0[["Std. Error"]],
                                 deviance = deviance(fit), aic = AIC(fit)))
  }
  o <- order(round(res$aic, 9), res$nparams, res$mask)
  res$best <- 0
  res$best[o[1]] <- 1
  for (r in seq_len(nrow(res)))
    cat(sprintf("%s,%d,%d,%d,%.12g,%.12g,%.12g,%.12g,%d\n", res$dataset[r], res$k[r],
                res$mask[r], res$nparams[r], res$f0[r], res$se[r], res$deviance[r], res$aic[r],
                res$best[r]))
}
