"""Step 3: an SVG of the points and the fitted line (plain text, no plotting library needed)."""
import csv
import json
import sys

points, fit, out = sys.argv[1], sys.argv[2], sys.argv[3]
with open(points) as f:
    rows = [(float(r["x"]), float(r["y"])) for r in csv.DictReader(f)]
with open(fit) as f:
    p = json.load(f)


def sx(x):
    return 40 + x * 50


def sy(y):
    return 360 - y * 10


dots = "".join(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2"/>' for x, y in rows)
line = f'<line x1="{sx(0):.1f}" y1="{sy(p["intercept"]):.1f}" x2="{sx(10):.1f}" y2="{sy(p["intercept"] + 10 * p["slope"]):.1f}" stroke="red"/>'
with open(out, "w") as f:
    f.write(f'<svg xmlns="http://www.w3.org/2000/svg" width="600" height="400">{dots}{line}'
            f'<text x="50" y="30">slope {p["slope"]:.3f}</text></svg>\n')
print(f"wrote {out} with {len(rows)} points")
