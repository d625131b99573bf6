#!/usr/bin/env bash
# National benchmark: `phusong report` wall time and peak RSS (GNU time -v) on the demo (1×)
# and on the SYNTHETIC national data set (demo-data --national): 3 provinces (≈ 10× the demo's
# sites), 14 provinces (≈ 50×) and all 34 (≈ Vietnam), at 50 m, on 2 cores.
#
#   bash bench/national/run.sh [BINARY] [SIZES]     e.g. bash bench/national/run.sh /tmp/phusong "1 3 14 34"
#
# Each size runs alone (the big ones take gigabytes: check `free -g` first). Prints one line per
# run: size, sites, wall seconds, user+sys seconds, peak RSS in MB.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-}
sizes=${2:-"1 3 14 34"}
extra=${EXTRA:-}
if [ -z "$bin" ]; then
  bin=$(mktemp -d)/phusong
  go build -o "$bin" ./cmd/phusong
fi
data=${NATIONAL_DATA:-/tmp/phusong-national}
gen=${GEN:-$bin}   # the binary that generates the data (one with demo-data --national)
for n in $sizes; do
  args=()
  if [ "$n" != 1 ]; then
    dir=$data/p$n
    if [ ! -s "$dir/sites.csv" ]; then
      prov=$n; [ "$n" = 34 ] && prov=0
      "$gen" demo-data --national --provinces "$prov" --out "$dir" >/dev/null
    fi
    args=(--communes "$dir/communes.geojson" --sites "$dir/sites.csv")
  fi
  log=$(mktemp)
  GOMAXPROCS=2 /usr/bin/time -v "$bin" report "${args[@]}" --format csv $extra >/dev/null 2>"$log" || { tail -5 "$log"; continue; }
  wall=$(grep 'Elapsed (wall' "$log" | awk '{print $NF}')
  cpu=$(awk '/User time/{u=$NF} /System time/{s=$NF} END{printf "%.1f", u+s}' "$log")
  rss=$(awk '/Maximum resident/{printf "%.0f", $NF/1024}' "$log")
  sites=$( [ "$n" = 1 ] && echo 1250 || cut -d, -f2 "$dir/sites.csv" | tail -n +2 | sort -u | wc -l)
  echo "size=$n sites=$sites wall=$wall cpu_s=$cpu peak_rss_mb=$rss $extra"
  rm -f "$log"
done
