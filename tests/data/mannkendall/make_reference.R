# make_reference.R - Mann-Kendall reference values for tests/check_ehsa.c.
#
# Run from this directory: Rscript make_reference.R
# Reads series.csv (id, value in time order; NA = missing) and writes reference.csv with, for
# each series, the values left after dropping NA (n), Kendall's S and its tie-corrected
# variance by the textbook formulas, the continuity-corrected z and two-sided p of R's
# cor.test(seq_along(x), x, method = "kendall", exact = FALSE, continuity = TRUE), and
# Kendall's tau-b from cor(seq_along(x), x, method = "kendall"). Numbers are written with 17
# significant digits; NA where R returns NA (a series of equal values has no defined z or tau).
d <- read.csv("series.csv", stringsAsFactors = FALSE)
ids <- unique(d$id)
fmt <- function(v) if (is.na(v)) "NA" else sprintf("%.17g", v)
rows <- lapply(ids, function(id) {
  x <- d$value[d$id == id]
  t <- seq_along(x)
  keep <- !is.na(x)
  x <- x[keep]
  t <- t[keep]
  n <- length(x)
  # S by the double sum over i < j of sign(x_j - x_i).
  s <- 0
  for (i in seq_len(n - 1)) for (j in (i + 1):n) s <- s + sign(x[j] - x[i])
  # Var(S) = (n(n-1)(2n+5) - sum over tie groups g of g(g-1)(2g+5)) / 18.
  g <- as.numeric(table(x))
  var_s <- (n * (n - 1) * (2 * n + 5) - sum(g * (g - 1) * (2 * g + 5))) / 18
  ct <- suppressWarnings(cor.test(t, x, method = "kendall", exact = FALSE, continuity = TRUE))
  tau <- suppressWarnings(cor(t, x, method = "kendall"))
  c(id, n, fmt(s), fmt(var_s), fmt(unname(ct$statistic)), fmt(ct$p.value), fmt(tau))
})
out <- do.call(rbind, rows)
colnames(out) <- c("id", "n", "s", "var_s", "z", "p", "tau")
write.csv(out, "reference.csv", row.names = FALSE, quote = FALSE)
cat(R.version.string, "\n")
