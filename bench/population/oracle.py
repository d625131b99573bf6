#!/usr/bin/python3
"""Independent checks of phusong's population grid (issue 12), run by run.sh.

  oracle.py reader WORK HELPER        GDAL-written GeoTIFFs read by phusong = gdal_translate -of XYZ
  oracle.py people WORK PHUSONG RASTER MODE LABEL [--communes FILE]
                                      covered people per commune = raster cells x coverage polygons

Only Debian's python3-numpy and python3-shapely (run with /usr/bin/python3) and gdal-bin.
"""
import json
import subprocess
import sys
import warnings

import numpy as np
from shapely.geometry import box, shape
from shapely.ops import unary_union
from shapely.prepared import prep
from shapely.strtree import STRtree

CELL = 1.0 / 1200  # 3 arc-seconds, WorldPop's ~100 m
warnings.filterwarnings("ignore", message="STRtree will be changed")  # Debian's shapely 1.8


def run(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def write_asc(path, values, west, south, nodata):
    ny, nx = values.shape
    with open(path, "w") as f:
        f.write(f"ncols {nx}\nnrows {ny}\nxllcorner {west!r}\nyllcorner {south!r}\ncellsize {CELL!r}\nNODATA_value {nodata!r}\n")
        for row in values:
            f.write(" ".join(repr(float(v)) if not float(v).is_integer() else str(int(v)) for v in row))
            f.write("\n")


def read_xyz(text):
    rows = [line.split() for line in text.splitlines() if line.strip()]
    xy = np.array([[float(r[0]), float(r[1])] for r in rows])
    z = [r[2] for r in rows]
    return xy, z


def reader(work, helper):
    """Builds test rasters with GDAL in every layout the issue names and compares the values
    phusong reads with gdal_translate -of XYZ's, pixel by pixel."""
    rng = np.random.default_rng(12)
    west, north, nx, ny = 106.05, 10.12, 420, 360
    south = north - ny * CELL
    people = rng.gamma(0.6, 12.0, size=(ny, nx)).astype(np.float32)
    people[rng.random((ny, nx)) < 0.3] = 0
    ii, jj = np.meshgrid(np.arange(nx), np.arange(ny))
    sea = ii + jj > 1.55 * nx  # the south-east corner: no data, as WorldPop's sea
    variants = [
        ("Float32", -99999.0, ["TILED=YES", "COMPRESS=LZW"]),
        ("Float32", -99999.0, ["TILED=YES", "COMPRESS=DEFLATE", "PREDICTOR=3"]),
        ("Float32", -99999.0, ["COMPRESS=LZW", "BLOCKYSIZE=16"]),
        ("Float32", -99999.0, ["COMPRESS=DEFLATE"]),
        ("Int16", -9999.0, ["TILED=YES", "COMPRESS=LZW", "PREDICTOR=2"]),
        ("Int16", -9999.0, ["TILED=YES", "COMPRESS=DEFLATE"]),
        ("Int16", -9999.0, ["COMPRESS=LZW"]),
        ("Int16", -9999.0, ["COMPRESS=DEFLATE", "PREDICTOR=2", "BLOCKYSIZE=7"]),
    ]
    failures = 0
    print(f"{'type':8} {'layout':55} {'pixels':>8} {'no data':>8}  result")
    for ot, nodata, co in variants:
        vals = people.astype(np.float64) if ot == "Float32" else np.round(people).astype(np.float64)
        vals = np.where(sea, nodata, vals)
        name = f"{work}/{ot}_{'_'.join(c.replace('=', '-') for c in co)}"
        write_asc(name + ".asc", vals, west, south, nodata)
        cmd = ["gdal_translate", "-q", "-a_srs", "EPSG:4326", "-ot", ot, "-a_nodata", repr(nodata)]
        for c in co:
            cmd += ["-co", c]
        run(*cmd, name + ".asc", name + ".tif")
        run("gdal_translate", "-q", "-of", "XYZ", name + ".tif", name + ".xyz")
        gxy, gz = read_xyz(open(name + ".xyz").read())
        pxy, pz = read_xyz(run(helper, "xyz", name + ".tif", str(west - 1), str(south - 1), str(west + 1), str(north + 1)).stdout)
        bad = len(gz) != len(pz) or np.abs(gxy - pxy).max() > 1e-9
        nd = 0
        for a, b in zip(gz, pz):
            if float(a) == nodata:
                nd += 1
                bad |= b != "nodata"
            else:  # phusong prints a float32 in its shortest form, GDAL with 18 digits
                bad |= b == "nodata" or np.float32(float(a)) != np.float32(float(b))
        failures += int(bad)
        print(f"{ot:8} {' '.join(co):55} {len(gz):8} {nd:8}  {'FAIL' if bad else 'PASS (same pixels, same values)'}")
    return failures


def read_asc(path):
    head = {}
    with open(path) as f:
        for _ in range(6):
            k, v = f.readline().split()
            head[k.lower()] = float(v)
        data = np.loadtxt(f, dtype=np.float64)
    nodata = head.get("nodata_value")
    if nodata is not None:
        data[data == nodata] = 0
    data[~np.isfinite(data)] = 0
    return head["xllcorner"], head["yllcorner"], head["cellsize"], data


def people(work, phusong, raster, mode, label, extra):
    """Covered people per commune, phusong against raster cells x coverage polygons: each raster
    cell's people spread evenly over it, the share of its area in the commune and in the commune's
    4G coverage (any carrier, full-detail polygons phusong exports), summed; in census mode scaled
    by census / the raster's people in the commune."""
    args = ["--cell-m", "50", "--population", raster, "--population-mode", mode] + extra
    rep = json.loads(run(phusong, "report", "--tech", "4G", "--format", "json", *args).stdout)
    cov = json.loads(run(phusong, "export", "coverage", "--tech", "4G", "--carrier", "any", *args).stdout)
    com = json.loads(run(phusong, "export", "communes", "--tech", "4G", *args).stdout)
    coverage = unary_union([shape(f["geometry"]) for f in cov["features"]])
    cov_parts = list(getattr(coverage, "geoms", [coverage]))
    cov_prep = {id(g): prep(g) for g in cov_parts}
    cov_tree = STRtree(cov_parts)
    run("gdal_translate", "-q", "-of", "AAIGrid", raster, f"{work}/people.asc")
    x0, y0, cell, grid = read_asc(f"{work}/people.asc")
    ny, nx = grid.shape
    jj, ii = np.nonzero(grid > 0)
    values = grid[jj, ii]
    wests = x0 + ii * cell
    norths = y0 + (ny - jj) * cell
    stats = {s["code"]: s for s in rep["communes"] if s["tech"] == "4G"}
    rows, worst, checked = [], 0.0, 0
    for f in com["features"]:
        code = f["properties"]["code"]
        poly = shape(f["geometry"])
        inner = prep(poly)
        b = poly.bounds
        near = np.nonzero((wests < b[2]) & (wests + cell > b[0]) & (norths - cell < b[3]) & (norths > b[1]))[0]
        raster_people = covered_people = 0.0
        for k in near:
            cb = box(wests[k], norths[k] - cell, wests[k] + cell, norths[k])
            if inner.contains(cb):
                piece = cb
            elif inner.intersects(cb):
                piece = cb.intersection(poly)
            else:
                continue
            share = piece.area / cb.area
            if share <= 0:
                continue
            raster_people += values[k] * share
            covered = 0.0
            for part in cov_tree.query(piece):
                part = cov_parts[part] if isinstance(part, (int, np.integer)) else part
                pp = cov_prep[id(part)]
                if pp.contains(piece):
                    covered += piece.area
                elif pp.intersects(piece):
                    covered += piece.intersection(part).area
            covered_people += values[k] * share * min(1.0, covered / piece.area)
        s = stats[code]
        if mode == "census" and raster_people > 0:
            covered_people *= s["population"] / raster_people
        base = s["population"] if mode == "census" else raster_people
        diff = 100 * (s["covered_population"] - covered_people) / base if base else 0.0
        if base > 1000:
            checked += 1
            worst = max(worst, abs(diff))
        rows.append((code, s["name"], base, s["covered_population"], covered_people, diff))
    print(f"\n{label}: 4G covered people per commune, {mode} mode ({len(rows)} communes; checked: {checked} over 1,000 people)")
    print(f"{'code':6} {'commune':22} {'people':>9} {'phusong':>10} {'oracle':>10} {'diff % of people':>17}")
    for r in sorted(rows, key=lambda r: -abs(r[5]))[:8]:
        print(f"{r[0]:6} {r[1][:22]:22} {r[2]:9.0f} {r[3]:10.1f} {r[4]:10.1f} {r[5]:17.3f}")
    print(f"largest difference: {worst:.3f} % of a commune's people (limit 0.5 %): {'PASS' if worst <= 0.5 else 'FAIL'}")
    return int(worst > 0.5)


def main():
    if sys.argv[1] == "reader":
        sys.exit(reader(sys.argv[2], sys.argv[3]))
    extra = sys.argv[7:]
    sys.exit(people(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], extra))


if __name__ == "__main__":
    main()
