#!/usr/bin/env bash
# Fibre reach of `phusong serve` on a national set: the server starts on a new data directory
# with FIBRE (a fibre GeoJSON; default: the SYNTHETIC network bench/national/fibre_gen.py
# writes over the communes), answers its first map request, then the operators' reach figures
# (/api/v1/fibre), the reach layer at zoom 9 (/api/v1/fibre/reach) and one fibre upload (the
# cable-TV operator adds an access point: the reach measured again over the whole area);
# prints the wall time of each, and the run's peak RSS and CPU (user + sys).
#
#   bash bench/national/fibre.sh BINARY COMMUNES SITES
#
# EXTRA="--regions off" serves from a whole engine instead (the default, auto, computes a
# multi-province file region by region). FIBRE=demo keeps serve's default network (the demo's).
set -euo pipefail
# shellcheck source=bench/national/lib.sh
source "$(dirname "$0")/lib.sh"
bin=$1; communes=$2; sites=$3
dir=$(mktemp -d)
fibre=()
case "${FIBRE:-}" in
  demo) ;;
  "") /usr/bin/python3 "$(dirname "$0")/fibre_gen.py" "$communes" "$dir/fibre.geojson"; fibre=(--fibre "$dir/fibre.geojson") ;;
  *) fibre=(--fibre "$FIBRE") ;;
esac
# shellcheck disable=SC2206
args=(serve --data-dir "$dir/data" --communes "$communes" --sites "$sites" "${fibre[@]}" ${EXTRA:-})
start=$(date +%s.%N)
start_serve "$dir" "/api/v1/coverage?tech=4G&carrier=any&zoom=9" "$bin" "${args[@]}"
map=$(date +%s.%N)
# timed GET|POST PATH [curl args…]: the wall seconds of one request answering 200
timed() {
  local t0 code; t0=$(date +%s.%N)
  code=$(curl -sS -o "$dir/body" -w '%{http_code}' -X "$1" "$base$2" "${@:3}")
  [ "$code" = 200 ] || { echo "$1 $2: HTTP $code $(head -c 300 "$dir/body")" >&2; stop_serve; exit 1; }
  echo "$(date +%s.%N) - $t0" | bc
}
figures=$(timed GET /api/v1/fibre)
households=$(/usr/bin/python3 -c 'import json,sys; print(round(sum(o["households_in_reach"] for o in json.load(open(sys.argv[1]))["operators"])))' "$dir/body" 2>/dev/null || echo "?")
layer=$(timed GET "/api/v1/fibre/reach?zoom=9")
token=$("$bin" token create --carrier tvcable --data-dir "$dir/data" --note bench)
ap=$(/usr/bin/python3 -c 'import json,sys
from shapely.geometry import shape
f=json.load(open(sys.argv[1]))["features"][0]; p=shape(f["geometry"]).representative_point()
print(json.dumps({"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[round(p.x,6),round(p.y,6)]},"properties":{"id":"BENCH-AP","ports":64}}]}))' "$communes")
upload=$(timed POST "/api/v1/operators/tvcable/fibre?mode=upsert" -H "Authorization: Bearer $token" -H "Content-Type: application/geo+json" --data-binary "$ap")
stop_serve
printf 'map_answer_s=%.1f fibre_figures_s=%.2f households_in_reach_sum=%s reach_layer_s=%.2f fibre_upload_s=%.1f %s\n' \
  "$(echo "$map - $start" | bc)" "$figures" "$households" "$layer" "$upload" "$(run_figures "$dir")"
rm -rf "$dir"
