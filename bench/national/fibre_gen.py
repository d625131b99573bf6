"""Writes a SYNTHETIC fibre network over a communes file (bench only): in every commune, for
operators chosen by its position in the file (viettel in every commune, vinaphone in every
second, tvcable in every fifth), a distribution ring around the commune's representative point
(radius a quarter of the square root of its area) and an access point on that point. Invented:
no route or access point in it is real.

    python3 bench/national/fibre_gen.py COMMUNES OUT
"""
import json
import math
import sys

from shapely.geometry import shape

communes, out = sys.argv[1], sys.argv[2]
features = []
for n, f in enumerate(json.load(open(communes))["features"]):
    g = shape(f["geometry"])
    p = g.representative_point()
    r = 0.25 * math.sqrt(g.area)
    code = f["properties"]["code"]
    for op, every in (("viettel", 1), ("vinaphone", 2), ("tvcable", 5)):
        if n % every:
            continue
        ring = [[round(p.x + r * math.cos(a * math.pi / 4), 6), round(p.y + r * math.sin(a * math.pi / 4), 6)] for a in range(9)]
        features.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": ring},
                         "properties": {"kind": "distribution", "operator": op, "route_id": f"{op}-{code}-R", "synthetic": True}})
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(p.x, 6), round(p.y, 6)]},
                         "properties": {"id": f"{op}-{code}-AP", "operator": op, "ports": 64, "synthetic": True}})
json.dump({"type": "FeatureCollection", "phusong_note": "SYNTHETIC fibre network for benchmarks (bench/national/fibre_gen.py): invented rings and access points, one per commune and operator; nothing in it is real.",
           "features": features}, open(out, "w"))
print(f"{len(features)} features", file=sys.stderr)
