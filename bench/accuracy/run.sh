#!/usr/bin/env bash
# Accuracy oracle and speed ratio for phusong's coverage statistics (issue 3). Not part of
# `make test`: it installs Debian packages and takes about a minute.
#
#   bench/accuracy/run.sh [--communes FILE] [--sites FILE] [--cell-m M]
#
# 1. Builds phusong; exports every sector footprint (3G and 4G, all carriers) with
#    `phusong export footprints`, and runs `phusong report --format json --out DIR` (the per-commune
#    raster statistics and communes.geojson).
# 2. oracle.py (Debian's python3-shapely/GEOS and python3-pyproj, run with /usr/bin/python3)
#    unions the footprints per (carrier, tech) and over all carriers, intersects them with the
#    communes in the engine's metric frame, and compares each commune's covered fraction with the
#    report: PASS when every commune over 5 km² agrees within 0.5 percentage points.
# 3. Times, in the same run, the shapely union + intersection job against the Go full recompute
#    (go test -bench of the engine, median of 3 runs of 10: compute + statistics; compute +
#    statistics + every layer's and every commune's gap polygons in the engine frame, the same
#    job as shapely's; and that plus the served lon/lat GeoJSON at full detail and zoom 10; and
#    `phusong report` wall time end to end) and prints the ratios.
#
# Without --communes/--sites it runs on the embedded demo (synthetic stations). WORK=DIR keeps the
# intermediate files there (default: a fresh temporary folder).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
py=/usr/bin/python3 # Debian's shapely imports only under the system interpreter

args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--communes | --sites | --cell-m)
		[ $# -ge 2 ] || { echo "$1 needs a value" >&2; exit 2; }
		args+=("$1" "$2")
		shift 2
		;;
	*) echo "usage: $0 [--communes FILE] [--sites FILE] [--cell-m M]" >&2; exit 2 ;;
	esac
done

if ! "$py" -c 'import shapely, pyproj' 2>/dev/null; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "installing python3-shapely python3-pyproj from Debian…"
	$sudo apt-get install -y python3-shapely python3-pyproj >/dev/null
fi

work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
echo "work folder: $work"
cd "$repo"
go build -o "$work/phusong" ./cmd/phusong

ms() { echo $(($(date +%s%N) / 1000000)); }

# The Go side, timed end to end (load, rasterise, compute both technologies, statistics).
t0=$(ms)
"$work/phusong" report --format json "${args[@]}" >"$work/report.json" 2>"$work/report.err"
t1=$(ms)
report_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1000 }')
"$work/phusong" report --format json --out "$work/layers" "${args[@]}" >/dev/null 2>>"$work/report.err"

t0=$(ms)
for tech in 3G 4G; do
	"$work/phusong" export footprints --tech "$tech" "${args[@]}" >"$work/footprints_$tech.geojson" 2>>"$work/export.err"
done
t1=$(ms)
export_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1000 }')
echo "phusong report: ${report_s} s; footprint export (3G + 4G): ${export_s} s, $(du -ch "$work"/footprints_*.geojson | tail -1 | cut -f1)"

# The engine benchmarks (demo at 50 m; they ignore --communes/--sites).
go test -run '^$' -bench '^(BenchmarkComputeDemo|BenchmarkRecomputePolygons|BenchmarkRecomputeWithLayers)$' -benchtime 10x -count 3 ./data/coverage/ | tee "$work/bench.txt"
# the median of the -count runs
bench_s() {
	awk -v name="$1" '$1 ~ "^"name"(-[0-9]+)?$" { print $3 / 1e9 }' "$work/bench.txt" | sort -g |
		awk '{ v[NR] = $1 } END { printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
compute_s=$(bench_s BenchmarkComputeDemo)
polygons_s=$(bench_s BenchmarkRecomputePolygons)
layers_s=$(bench_s BenchmarkRecomputeWithLayers)

gos=(--go "phusong report (end to end)=$report_s")
if [ ${#args[@]} -eq 0 ]; then # the benchmarks run on the demo: compare only then
	gos+=(--go "engine Compute, 3G+4G, stats (bench)=$compute_s"
		--go "Compute + stats + all layer and gap polygons (bench)=$polygons_s"
		--go "… + lon/lat GeoJSON, full and zoom 10 (bench)=$layers_s")
fi
"$py" "$here/oracle.py" --report "$work/report.json" --communes "$work/layers/communes.geojson" \
	--footprints "$work/footprints_3G.geojson" "$work/footprints_4G.geojson" "${gos[@]}"
