"""Make the small tied-times data set used by the Cox / KM golden tests (cox_data.csv).

Run once: python3 make_cox_data.py. Integer times (many ties, events and censorings at the
same time), a continuous covariate x1 and a binary x2.
"""
import numpy as np

rng = np.random.default_rng(20261125)
n = 80
x1 = np.round(rng.normal(0.0, 1.0, n), 3)
x2 = rng.binomial(1, 0.4, n)
rate = 0.08 * np.exp(0.5 * x1 + 0.8 * x2)
t_event = rng.exponential(1.0 / rate)
t_cens = rng.uniform(2.0, 30.0, n)
time = np.ceil(np.minimum(t_event, t_cens))  # integer months -> ties
status = (t_event <= t_cens).astype(int)
with open("cox_data.csv", "w") as f:
    f.write("time,status,x1,x2\n")
    for row in zip(time, status, x1, x2):
        f.write(f"{int(row[0])},{row[1]},{row[2]:.3f},{row[3]}\n")
