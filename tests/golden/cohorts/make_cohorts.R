# Real public cohorts, in their own column names, for the tests of the generic profile.
# Run from this folder: Rscript make_cohorts.R   (R >= 4.2, survival)
#
# flchain.csv: serum free light chains (Dispenzieri et al. 2012; survival::flchain), a random
#   1,500 of the 7,874 subjects (seed 20261202), with an identifier `id` and `death5` (death
#   within 5 years = 1826 days; empty when censored before).
# pbc_cohort.csv / pbc_visits.csv: Mayo PBC sequential labs (survival::pbcseq): one row per
#   patient (`patient_id`, follow-up `time_months`, `event` = death) and one per lab visit
#   (`patient_id`, `month`, bili, albumin, ...); months = days / 30.4375.
suppressPackageStartupMessages(library(survival))
set.seed(20261202)
d <- flchain
d$id <- sprintf("F%04d", seq_len(nrow(d)))
d <- d[sort(sample(nrow(d), 1500)), ]
d$death5 <- ifelse(d$death == 1 & d$futime <= 1826, 1L, ifelse(d$futime >= 1826, 0L, NA))
out <- d[, c("id", "age", "sex", "kappa", "lambda", "creatinine", "mgus", "futime", "death",
             "death5", "chapter")]
write.csv(out, "flchain.csv", row.names = FALSE, na = "")

p <- pbcseq
first <- p[!duplicated(p$id), ]
cohort <- data.frame(patient_id = first$id, age = round(first$age, 2), sex = first$sex,
                     trt = first$trt, time_months = round(first$futime / 30.4375, 3),
                     event = as.integer(first$status == 2))
visits <- data.frame(patient_id = p$id, month = round(p$day / 30.4375, 3), bili = p$bili,
                     albumin = p$albumin, platelet = p$platelet, protime = p$protime,
                     ascites = p$ascites)
# a lab visit on the day of death or censoring stays; none lies after it in pbcseq
write.csv(cohort, "pbc_cohort.csv", row.names = FALSE, na = "")
write.csv(visits, "pbc_visits.csv", row.names = FALSE, na = "")
