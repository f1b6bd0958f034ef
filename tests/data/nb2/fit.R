# fit.R - reference NB2 fits for tests/check_nb2.c, by MASS::glm.nb (Venables & Ripley, MASS 4th
# ed., sec. 7.4) and glm(family = poisson). Run once from this directory; writes reference.csv,
# which is committed (R is not needed at test time):
#
#     Rscript fit.R      # Debian 12: apt-get install r-base-core r-cran-mass
#
# Fits are converged tightly (epsilon 1e-12) so that they are the maximum likelihood estimates
# rather than where R's default tolerance (1e-8) happened to stop; both are close (printed).
# reference.csv columns: model,term,estimate,se. Terms are the coefficients in design order, then
# theta (se = SE.theta), k = 1/theta (se by the delta method), loglik, n. For under_nb the
# loglik is left out: at theta ~ 1e17 R's lgamma differences cancel to nonsense (it reports 0).
suppressPackageStartupMessages(library(MASS))
tight <- glm.control(epsilon = 1e-12, maxit = 200)

s <- read.csv("sections.csv")
s$lnlen <- log(s$length_m / 1000)
s$arterial <- as.numeric(s$class == "arterial")
s$collector <- as.numeric(s$class == "collector")
s$lnyears <- log(s$years)
j <- read.csv("junctions.csv")
j$lndeg <- log(j$degree)
j$lnyears <- log(j$years)

rows <- list()
add <- function(model, term, est, se) {
    rows[[length(rows) + 1]] <<- data.frame(model = model, term = term, estimate = est, se = se)
}
nb_rows <- function(model, fit) {
    cf <- summary(fit)$coefficients
    for (i in seq_len(nrow(cf))) add(model, rownames(cf)[i], cf[i, 1], cf[i, 2])
    add(model, "theta", fit$theta, fit$SE.theta)
    add(model, "k", 1 / fit$theta, fit$SE.theta / fit$theta^2)
    add(model, "loglik", fit$twologlik / 2, NA)
    add(model, "n", nrow(fit$model), NA)
}
pois_rows <- function(model, fit) {
    cf <- summary(fit)$coefficients
    for (i in seq_len(nrow(cf))) add(model, rownames(cf)[i], cf[i, 1], cf[i, 2])
    add(model, "loglik", as.numeric(logLik(fit)), NA)
    add(model, "n", nrow(fit$model), NA)
}

f_sec <- y ~ lnlen + arterial + collector + offset(lnyears)
sec <- glm.nb(f_sec, data = s, control = tight)
nb_rows("sections_nb", sec)
sec_default <- glm.nb(f_sec, data = s)
cat("sections_nb: largest |tight - default| over coefficients and k:",
    max(abs(c(coef(sec) - coef(sec_default), 1 / sec$theta - 1 / sec_default$theta))), "\n")

nb_rows("sections_nb_nooffset",
        glm.nb(y ~ lnlen + arterial + collector + lnyears, data = s, control = tight))
nb_rows("junctions_nb", glm.nb(y ~ lndeg + offset(lnyears), data = j, control = tight))

# Underdispersed counts: the NB2 likelihood increases towards theta = infinity (k = 0, Poisson);
# glm.nb stops with a huge theta and warnings. The Poisson GLM is the reference for beta there.
f_under <- y_under ~ lnlen + arterial + collector + offset(lnyears)
under_nb <- suppressWarnings(glm.nb(f_under, data = s, control = tight))
nb_rows("under_nb", under_nb)
rows[[length(rows) - 1]]$estimate <- NA # its loglik, see above
pois_rows("under_poisson", glm(f_under, family = poisson, data = s,
                               control = glm.control(epsilon = 1e-14, maxit = 100)))

out <- do.call(rbind, rows)
write.csv(out, "reference.csv", row.names = FALSE, quote = FALSE)
cat(sprintf("%s\n", R.version.string), sprintf("MASS %s\n", packageVersion("MASS")))
print(out, digits = 12)
