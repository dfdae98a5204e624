"""Step 2: least-squares straight line through the points of step 1."""
import csv
import json
import os
import sys

points, out = sys.argv[1], sys.argv[2]
with open(points) as f:
    rows = [(float(r["x"]), float(r["y"])) for r in csv.DictReader(f)]
n = len(rows)
sx = sum(x for x, _ in rows)
sy = sum(y for _, y in rows)
sxx = sum(x * x for x, _ in rows)
sxy = sum(x * y for x, y in rows)
slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)
intercept = (sy - slope * sx) / n
chi2 = sum((y - slope * x - intercept) ** 2 / 0.25 for x, y in rows)
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w") as f:
    json.dump({"n": n, "slope": slope, "intercept": intercept, "chi2_ndf": chi2 / (n - 2)}, f)
print(f"slope={slope:.3f} intercept={intercept:.3f} chi2/ndf={chi2 / (n - 2):.2f}")
