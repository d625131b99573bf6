"""Independent accuracy oracle for phusong's coverage statistics (see run.sh).

Unions the per-sector footprints exported by `phusong export footprints` per (carrier, tech)
and over all carriers ("any") with GEOS (shapely), intersects them with the commune polygons in
a metric projection, and compares each commune's covered fraction with the raster statistics of
`phusong report --format json`.

Only Debian's python3-shapely and python3-pyproj are used; run it with /usr/bin/python3.
"""

import argparse
import json
import sys
import time

import pyproj
from shapely.geometry import shape
from shapely.ops import transform, unary_union


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def local_tm(communes):
    """The engine's frame: transverse Mercator, k0 = 1, centred on the communes' lon/lat bbox."""
    lons, lats = [], []
    for f in communes["features"]:
        minx, miny, maxx, maxy = shape(f["geometry"]).bounds
        lons += [minx, maxx]
        lats += [miny, maxy]
    lon0, lat0 = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2
    crs = f"+proj=tmerc +lat_0={lat0!r} +lon_0={lon0!r} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
    tr = pyproj.Transformer.from_crs("EPSG:4326", pyproj.CRS.from_proj4(crs), always_xy=True)
    return tr, crs


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--report", required=True, help="phusong report --format json output")
    ap.add_argument("--communes", required=True, help="communes.geojson (phusong report --out)")
    ap.add_argument("--footprints", required=True, nargs="+", help="footprints_<tech>.geojson files")
    ap.add_argument("--go", action="append", default=[], metavar="WHAT=SECONDS",
                    help="a Go timing to compare with the shapely job (repeatable)")
    ap.add_argument("--min-area-km2", type=float, default=5.0)
    ap.add_argument("--tol-pp", type=float, default=0.5)
    ap.add_argument("--repeat", type=int, default=3, help="runs of the timed job (median reported)")
    args = ap.parse_args()

    communes = load(args.communes)
    tr, crs = local_tm(communes)
    proj = lambda g: transform(tr.transform, g)
    print(f"metric frame: {crs}")

    t0 = time.perf_counter()
    comm = {}
    for f in communes["features"]:
        g = proj(shape(f["geometry"]))
        if not g.is_valid:
            g = g.buffer(0)
        comm[f["properties"]["code"]] = (f["properties"].get("name", ""), g)
    fps = {}  # (carrier, tech) -> [geometry]
    nfp = 0
    for path in args.footprints:
        for f in load(path)["features"]:
            p = f["properties"]
            g = proj(shape(f["geometry"]))
            fps.setdefault((p["carrier"], p["tech"]), []).append(g)
            nfp += 1
    t_load = time.perf_counter() - t0
    print(f"loaded and projected {len(comm)} communes and {nfp} footprints in {t_load:.2f} s")

    # The timed job: unions per (carrier, tech) and any, then intersection with every commune.
    # Run --repeat times; the median time is reported (the answers are the same every time).
    def job():
        unions = {k: unary_union(v) for k, v in fps.items()}
        for t in sorted({t for _, t in unions}):
            unions[("any", t)] = unary_union([u for (c, tt), u in unions.items() if tt == t and c != "any"])
        frac = {}  # (code, carrier, tech) -> covered %
        for code, (_, cg) in comm.items():
            a = cg.area
            for (c, t), u in unions.items():
                frac[(code, c, t)] = 100 * u.intersection(cg).area / a if a > 0 else 0.0
        return unions, frac

    times = []
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        unions, frac = job()
        times.append(time.perf_counter() - t0)
    t_job = sorted(times)[len(times) // 2]
    techs = sorted({t for _, t in unions})
    print(f"shapely/GEOS union + intersection: {t_job:.2f} s, median of {len(times)} "
          f"({', '.join(f'{x:.2f}' for x in times)}; {len(unions)} unions, {len(comm) * len(unions)} intersections)")

    rows = load(args.report)
    if isinstance(rows, dict):
        rows = rows.get("communes", rows.get("rows", []))
    diffs = []
    for r in rows:
        code, tech = r["code"], r["tech"]
        if code not in comm or tech not in techs:
            continue
        area = comm[code][1].area / 1e6
        if area <= args.min_area_km2:
            continue
        pairs = [("any", r["covered_area_pct"])]
        for pc in r.get("per_carrier", []):
            pairs.append((pc["carrier"], pc["covered_area_pct"]))
        for c, go_pct in pairs:
            ref = frac.get((code, c, tech), 0.0)
            diffs.append((abs(go_pct - ref), go_pct - ref, code, comm[code][0], tech, c, go_pct, ref, area))
    if not diffs:
        print("FAIL: nothing to compare (no commune over the minimum area in both inputs)")
        return 1
    diffs.sort(reverse=True)
    print(f"\ncompared {len(diffs)} (commune, tech, carrier|any) fractions over "
          f"{len({d[2] for d in diffs})} communes > {args.min_area_km2:g} km²; worst differences:")
    print(f"{'code':>6} {'name':<22} {'tech':>4} {'carrier':<13} {'go %':>8} {'shapely %':>9} {'diff pp':>8} {'km²':>7}")
    for d in diffs[:12]:
        _, s, code, name, tech, c, go_pct, ref, area = d
        print(f"{code:>6} {name[:22]:<22} {tech:>4} {c:<13} {go_pct:8.3f} {ref:9.3f} {s:+8.3f} {area:7.1f}")
    mean_abs = sum(d[0] for d in diffs) / len(diffs)
    bias = sum(d[1] for d in diffs) / len(diffs)
    print(f"mean |diff| {mean_abs:.3f} pp, mean diff (go − shapely) {bias:+.3f} pp")

    print(f"\nspeed, same run: shapely/GEOS union + intersection {t_job:.2f} s (one core) against")
    for g in args.go:
        what, _, sec = g.rpartition("=")
        sec = float(sec)
        ratio = t_job / sec if sec > 0 else float("inf")
        print(f"  {what:<45} {sec:7.3f} s   ratio {ratio:5.1f}×  (target ≥ 5×)")
    worst = diffs[0][0]
    ok = worst <= args.tol_pp
    print(f"{'PASS' if ok else 'FAIL'}: worst per-commune covered-fraction difference {worst:.3f} pp "
          f"(tolerance {args.tol_pp} pp, communes > {args.min_area_km2:g} km²)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
