# make_fixture.R - the interrupted time series reference (tests/data/its/SOURCE.md).
# Run once: Rscript make_fixture.R   (Debian 12 r-base-core; writes counts.csv and reference.csv)
# counts.csv: 60 monthly counts 2010-01..2014-12, intervention at month index 36 (2013-01),
# population and days per month; reference.csv: glm(family = quasipoisson) of the segmented model
#   log E[y] = log(population * days) + b0 + b1 t + b2 post + b3 (t - 36) post + month dummies
# (t = 0..59 months since 2010-01, post = t >= 36; month = factor with January the reference).
set.seed(20141231)
n <- 60; t0 <- 36
t <- 0:(n - 1)
year <- 2010 + t %/% 12; month <- t %% 12 + 1
days <- as.numeric(as.Date(sprintf("%04d-%02d-01", ifelse(month == 12, year + 1, year),
                                   ifelse(month == 12, 1, month + 1))) -
                   as.Date(sprintf("%04d-%02d-01", year, month)))
population <- as.integer(round(500000 * (1 + 0.004 * t)))
post <- as.numeric(t >= t0); since <- pmax(0, t - t0) * post
season <- 0.15 * cos(2 * pi * (month - 1) / 12) + 0.08 * sin(2 * pi * (month - 1) / 12)
mu <- population * days * exp(log(20 / 500000 / 30) + 0.004 * t - 0.35 * post - 0.01 * since + season)
# overdispersed: negative binomial with size 40
y <- rnbinom(n, size = 40, mu = mu)
d <- data.frame(t = t, year = year, month = month, days = days, population = population, count = y)
write.csv(d, "counts.csv", row.names = FALSE, quote = FALSE)
d$post <- post; d$since <- since; d$mf <- factor(d$month)
fit <- glm(count ~ t + post + since + mf + offset(log(population * days)),
           family = quasipoisson, data = d, control = glm.control(epsilon = 1e-14, maxit = 100))
s <- summary(fit)
co <- s$coefficients
out <- data.frame(term = rownames(co), estimate = sprintf("%.15g", co[, 1]),
                  se = sprintf("%.15g", co[, 2]))
write.csv(out, "reference.csv", row.names = FALSE, quote = FALSE)
cat(sprintf("dispersion,%.15g\ndf_residual,%d\n", s$dispersion, fit$df.residual),
    file = "reference.csv", append = TRUE)
print(s)
# The same with 2 Fourier harmonic pairs instead of month dummies (its.h ITS_SEASON_HARMONICS):
# sin/cos(2 pi h (month - 1) / 12), h = 1, 2, in the order sin1, cos1, sin2, cos2.
m0 <- d$month - 1
d$sin1 <- sin(2 * pi * m0 / 12); d$cos1 <- cos(2 * pi * m0 / 12)
d$sin2 <- sin(4 * pi * m0 / 12); d$cos2 <- cos(4 * pi * m0 / 12)
fit2 <- glm(count ~ t + post + since + sin1 + cos1 + sin2 + cos2 + offset(log(population * days)),
            family = quasipoisson, data = d, control = glm.control(epsilon = 1e-14, maxit = 100))
s2 <- summary(fit2)
co2 <- s2$coefficients
write.csv(data.frame(term = rownames(co2), estimate = sprintf("%.15g", co2[, 1]),
                     se = sprintf("%.15g", co2[, 2])),
          "reference_harmonics.csv", row.names = FALSE, quote = FALSE)
cat(sprintf("dispersion,%.15g\ndf_residual,%d\n", s2$dispersion, fit2$df.residual),
    file = "reference_harmonics.csv", append = TRUE)
print(s2)
