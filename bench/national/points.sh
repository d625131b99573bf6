#!/usr/bin/env bash
# What `phusong serve` answers at points of a national set, region by region (serve --regions,
# the default auto for a multi-province file): the server starts on a new data directory and
# answers its first map request; then the H3 hexagons (4G at resolution 8, the same again, 4G at
# 9 as CSV), REPORTS "no signal here" reports (default 10, the burst one address may send: one a
# commune, at a point inside it, from a device each) and Viettel's review queue, and a SYNTHETIC drive test of SAMPLES samples (made by
# `phusong measurements synth` over the first province's communes and the sites within them)
# uploaded by an admin token, its statistics and a calibration run. Prints the wall time of
# each, the peak RSS when the map first answered and at the end (VmHWM), and the run's CPU
# (user + sys) and load.
#
#   bash bench/national/points.sh BINARY COMMUNES SITES
#
# EXTRA="--regions off" serves from a whole engine instead; EXTRA="--upload-timeout 10m" lets the
# measurement upload wait behind the first start's region jobs.
set -euo pipefail
# shellcheck source=bench/national/lib.sh
source "$(dirname "$0")/lib.sh"
bin=$1; communes=$2; sites=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
reports=${REPORTS:-10}
# The first province's communes and their sites: the synthetic drive test's world.
/usr/bin/python3 - "$communes" "$sites" "$dir" "$reports" <<'EOF'
import csv, json, sys
from shapely.geometry import shape, Point
from shapely.ops import unary_union
fc = json.load(open(sys.argv[1]))
first = fc["features"][0]["properties"].get("province")
mine = [f for f in fc["features"] if f["properties"].get("province") == first]
json.dump({"type": "FeatureCollection", "features": mine}, open(sys.argv[3] + "/province.geojson", "w"))
land = unary_union([shape(f["geometry"]) for f in mine])
with open(sys.argv[2]) as f, open(sys.argv[3] + "/province.csv", "w", newline="") as out:
    r = csv.reader(f); w = csv.writer(out); head = next(r); w.writerow(head)
    lon, lat = head.index("lon"), head.index("lat")
    for row in r:
        if land.contains(Point(float(row[lon]), float(row[lat]))):
            w.writerow(row)
step = max(1, len(fc["features"]) // int(sys.argv[4]))
with open(sys.argv[3] + "/reports.txt", "w") as out:
    for n, f in enumerate(fc["features"][::step][:int(sys.argv[4])]):
        p = shape(f["geometry"]).representative_point()
        out.write('{"lon": %.6f, "lat": %.6f, "carrier": "viettel", "tech": "4G", "outcome": "%s", "device": "bench-device-%08d"}\n'
                  % (p.x, p.y, ["no_service", "fine", "weak", "drops"][n % 4], n))
EOF
"$bin" measurements synth --communes "$dir/province.geojson" --sites "$dir/province.csv" --out "$dir/drive.csv" \
  --samples "${SAMPLES:-20000}" --pairs viettel/4G,mobifone/3G >/dev/null
# shellcheck disable=SC2206
args=(serve --data-dir "$dir/data" --communes "$communes" --sites "$sites" ${EXTRA:-})
start=$(date +%s.%N)
start_serve "$dir" "/api/v1/coverage?tech=4G&carrier=any&zoom=9" "$bin" "${args[@]}"
map=$(date +%s.%N)
hwm() { awk '/VmHWM/{printf "%.0f", $2/1024}' "/proc/$(pgrep -P "$pid")/status"; }
map_rss=$(hwm)
# timed METHOD PATH [curl args…]: the wall seconds of one request answering 200 or 201
timed() {
  local t0 code; t0=$(date +%s.%N)
  code=$(curl -sS -o "$dir/body" -w '%{http_code}' -X "$1" "$base$2" "${@:3}")
  case "$code" in 200|201) ;; *) echo "$1 $2: HTTP $code $(head -c 300 "$dir/body")" >&2; stop_serve; exit 1 ;; esac
  echo "$(date +%s.%N) - $t0" | bc
}
h3_8=$(timed GET "/api/v1/h3?tech=4G")
hexes=$(grep -o '"type":"Feature"' "$dir/body" | wc -l || true)
h3_8_again=$(timed GET "/api/v1/h3?tech=4G")
h3_9=$(timed GET "/api/v1/h3.csv?tech=4G&resolution=9")
t0=$(date +%s.%N)
while read -r body; do
  timed POST /api/v1/reports -H "Content-Type: application/json" --data-binary "$body" >/dev/null
done <"$dir/reports.txt"
reports_s=$(echo "$(date +%s.%N) - $t0" | bc)
disputes=$(timed GET "/api/v1/carriers/viettel/disputes" -H "Authorization: Bearer $("$bin" token create --carrier viettel --data-dir "$dir/data" --note bench)")
admin=$("$bin" token create --admin --data-dir "$dir/data" --note bench)
upload=$(timed POST "/api/v1/measurements" -H "Authorization: Bearer $admin" -H "Content-Type: text/csv" --data-binary "@$dir/drive.csv")
stats=$(timed GET "/api/v1/measurements/stats")
calibrate=$(timed POST "/api/v1/admin/calibrations" -H "Authorization: Bearer $admin")
end_rss=$(hwm)
stop_serve
printf 'map_answer_s=%.1f rss_at_map_mb=%s h3_res8_s=%.1f hexagons=%s h3_res8_again_s=%.2f h3_res9_csv_s=%.1f reports=%s reports_s=%.1f review_queue_s=%.2f measurements_upload_s=%.1f measurement_stats_s=%.2f calibrate_s=%.2f rss_end_mb=%s %s\n' \
  "$(echo "$map - $start" | bc)" "$map_rss" "$h3_8" "$hexes" "$h3_8_again" "$h3_9" "$(wc -l <"$dir/reports.txt")" "$reports_s" \
  "$disputes" "$upload" "$stats" "$calibrate" "$end_rss" "$(run_figures "$dir")"
