"""Step 1: pseudo-data, y = 2.5 x + 1 with Gaussian noise (fixed seed, so the fit is reproducible)."""
import csv
import os
import random
import sys

n, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(20181)
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["x", "y"])
    for i in range(n):
        x = 10.0 * i / n
        w.writerow([f"{x:.6f}", f"{2.5 * x + 1.0 + rng.gauss(0.0, 0.5):.6f}"])
print(f"generated {n} points into {out}")
