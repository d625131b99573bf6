#!/usr/bin/env bash
# Verification of phusong's population grid (issue 12). Not part of `make test`: it needs Debian's
# gdal-bin and python3-numpy/python3-shapely (installed if missing) and takes a few minutes.
#
#   bench/population/run.sh
#
# 1. Reader: oracle.py writes a test raster as an ASCII grid and has GDAL (gdal_translate) turn
#    it into GeoTIFFs striped and tiled, LZW and Deflate (with and without predictors), float32
#    and int16, with no data over a "sea"; phusong's reader (bench/population, the Go side) and
#    gdal_translate -of XYZ must give the same pixel centres and values, pixel by pixel.
# 2. People: for the embedded demo's synthetic grid (written out as a file, read back through
#    --population) over the demo communes, in census and raster modes, and over the real 2025
#    ward boundaries when ../shared/data is there, oracle.py computes each commune's people with
#    4G exactly (the raster's cells as lon/lat squares of uniform density × the commune polygon ×
#    the any-carrier 4G coverage polygons phusong exports at full detail, shapely/GEOS) and
#    compares phusong's covered_population: PASS when every commune over 1,000 people agrees
#    within 0.5 % of its people, in census mode (the default). The raster-mode run is shown for
#    information: there a commune counts the raster's people on its land cells (cells whose
#    centre lies in it, phusong's one rule for commune land), so people within half a cell of a
#    border may count for the neighbour, which the exact polygon split does not do.
# 3. Speed: the Go benchmarks of loading and resampling a 100 m province raster, and of reading
#    the province's window out of a synthetic Vietnam-sized raster (peak RSS of the reader).
#
# WORK=DIR keeps the intermediate files there (default: a fresh temporary folder).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
py=/usr/bin/python3 # Debian's numpy and shapely import only under the system interpreter

if ! command -v gdal_translate >/dev/null || ! "$py" -c 'import numpy, shapely' 2>/dev/null; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "installing gdal-bin python3-numpy python3-shapely from Debian…"
	$sudo apt-get install -y gdal-bin python3-numpy python3-shapely >/dev/null
fi

work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
echo "work folder: $work"
cd "$repo"
go build -o "$work/phusong" ./cmd/phusong
go build -o "$work/readxyz" ./bench/population
cp data/demo/population.tif "$work/demo_population.tif"
fail=0

echo
echo "== 1. The GeoTIFF reader against GDAL"
"$py" "$here/oracle.py" reader "$work" "$work/readxyz" || fail=1

echo
echo "== 2. People with 4G per commune against raster cells × coverage polygons"
"$py" "$here/oracle.py" people "$work" "$work/phusong" "$work/demo_population.tif" census "demo communes, synthetic grid" || fail=1
"$py" "$here/oracle.py" people "$work" "$work/phusong" "$work/demo_population.tif" raster "demo communes, synthetic grid (information)" || true
wards=$(cd "$repo/.." && pwd)/shared/data/travinh/wards_2025.geojson
if [ -f "$wards" ]; then
	"$py" "$here/oracle.py" people "$work" "$work/phusong" "$work/demo_population.tif" census "real 2025 wards, synthetic grid" --communes "$wards" || fail=1
else
	echo "(no $wards: the real-boundary run is skipped)"
fi

echo
echo "== 3. Speed (Go benchmarks; the first Vietnam run writes a 0.5 GB raster into \$TMPDIR)"
go test -run '^$' -bench 'LoadAndPlaceProvince' -benchtime 5x -count 3 ./data/population
go test -run '^$' -bench 'ReadVietnamWindow' -benchtime 3x ./data/input

echo
if [ "$fail" -eq 0 ]; then echo "ALL PASS"; else echo "FAILURES above"; fi
exit "$fail"
