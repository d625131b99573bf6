#!/usr/bin/env bash
# Peak RSS and CPU time of `phusong serve` answering the dead-zone pockets of many communes: the
# server starts (on a new data directory, or DIR's), answers its first map request, then
# /api/v1/pockets?tech=4G&min_people=0&commune=CODE is asked for every STEP-th commune of the
# communes file (STEP=10 by default), one after another; prints the wall time to the first
# pockets answer and of all of them, and the run's peak RSS and CPU (user + sys).
#
#   bash bench/national/pockets.sh BINARY COMMUNES SITES
#
# EXTRA="--regions off" serves from a whole engine instead (the default, auto, computes a
# multi-province file region by region). DIR=path keeps the data directory between calls.
set -euo pipefail
# shellcheck source=bench/national/lib.sh
source "$(dirname "$0")/lib.sh"
bin=$1; communes=$2; sites=$3
dir=${DIR:-$(mktemp -d)}
mkdir -p "$dir"
# shellcheck disable=SC2206
args=(serve --data-dir "$dir/data" --communes "$communes" --sites "$sites" ${EXTRA:-})
mapfile -t codes < <(python3 -c 'import json,sys
fs=json.load(open(sys.argv[1]))["features"]
for f in fs[::int(sys.argv[2])]: print(f["properties"]["code"])' "$communes" "${STEP:-10}")
start=$(date +%s.%N)
start_serve "$dir" "/api/v1/coverage?tech=4G&carrier=any&zoom=9" "$bin" "${args[@]}"
map=$(date +%s.%N)
pockets=0
for n in "${!codes[@]}"; do
  out=$(curl -s -o "$dir/body" -w '%{http_code}' "$base/api/v1/pockets?tech=4G&min_people=0&commune=${codes[$n]}")
  [ "$out" = 200 ] || { echo "commune ${codes[$n]}: HTTP $out $(head -c 300 "$dir/body")" >&2; stop_serve; exit 1; }
  pockets=$((pockets + $(grep -o '"rank":' "$dir/body" | wc -l || true)))
  if [ "$n" = 0 ]; then first=$(date +%s.%N); fi
done
done=$(date +%s.%N)
stop_serve
printf 'communes=%d pockets=%d map_answer_s=%.1f first_pockets_s=%.1f all_pockets_s=%.1f %s\n' \
  "${#codes[@]}" "$pockets" "$(echo "$map - $start" | bc)" "$(echo "$first - $map" | bc)" "$(echo "$done - $map" | bc)" "$(run_figures "$dir")"
[ -n "${DIR:-}" ] || rm -rf "$dir"
