d <- read.csv("hsm_9_10.csv"); L <- d$length_mi; ob <- d$obs_before; oa <- d$obs_after
pb <- d$years_before * d$aadt_before * L * 365e-6 * exp(-0.312); pa <- d$years_after * d$aadt_after * L * 365e-6 * exp(-0.312)
k <- 0.236 / L; w <- 1 / (1 + k * pb); nb <- w * pb + (1 - w) * ob; na <- nb * pa / pb
v <- (pa / pb)^2 * nb * (1 - w)
cat(sprintf("%.12f", c(sum(ob), sum(oa), sum(pb), sum(pa), sum(nb), sum(na), sum(v))), "\n")
orp <- sum(oa) / sum(na); r <- sum(v) / sum(na)^2; or <- orp / (1 + r)
varH <- orp^2 * (1 / sum(oa) + r) / (1 + r)^2
varP <- orp^2 * (1 / sum(oa) + r / (1 + r))
cat(sprintf("ORp %.12f OR %.12f SE%% %.10f seH %.10f seP %.10f testH %.10f testP %.10f\n", orp, or, 100*(1-or), 100*sqrt(varH), 100*sqrt(varP), 100*(1-or)/(100*sqrt(varH)), 100*(1-or)/(100*sqrt(varP))))
print(round(data.frame(L, ob, oa, pb, pa, w, nb, na, v), 3))
