#!/usr/bin/env bash
# Time from `phusong serve` start to its first map answer (the any-carrier 4G coverage the map
# loads first, zoom 9) and to a warm cache (the same answer again, from memory), with peak RSS
# and the CPU time (user + sys) of the whole run (start, first answers, 3 s of warm-up).
#
#   bash bench/national/serve.sh BINARY [COMMUNES SITES]     (no files: the embedded demo)
#
# STARTS=2 starts the server again on the same data directory (or database): the second start
# finds the first one's results stored (serve --regions) and assembles them instead of computing.
# DB=postgres://… serves from that PostgreSQL database (emptied first: every table dropped)
# instead of a new data directory's SQLite file. DIR=path uses (and keeps) that directory: a
# second call with the same DIR starts on the first call's stored results; the log of the last
# start is DIR/log. EXTRA="--pprof-addr 127.0.0.1:6060" adds flags to serve. WARM=60 keeps each
# start serving 60 s (instead of 3) after its first answers: its warm-up finishes (and stores).
set -euo pipefail
# shellcheck source=bench/national/lib.sh
source "$(dirname "$0")/lib.sh"
bin=$1; communes=${2:-}; sites=${3:-}
dir=${DIR:-$(mktemp -d)}
mkdir -p "$dir"
args=(serve --data-dir "$dir/data")
[ -n "${DB:-}" ] && args+=(--db "$DB")
[ -n "$communes" ] && args+=(--communes "$communes" --sites "$sites")
# shellcheck disable=SC2206
[ -n "${EXTRA:-}" ] && args+=(${EXTRA})
if [ -n "${DB:-}" ]; then
  psql -q "$DB" -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null
fi
for start_no in $(seq 1 "${STARTS:-1}"); do
  path="/api/v1/coverage?tech=4G&carrier=any&zoom=9"
  start=$(date +%s.%N)
  start_serve "$dir" "$path" "$bin" "${args[@]}"
  first=$(date +%s.%N)
  curl -sf -o /dev/null "$base$path"
  second=$(date +%s.%N)
  sleep "${WARM:-3}"
  stop_serve
  printf 'start=%d first_answer_s=%.2f second_answer_ms=%.0f %s\n' "$start_no" "$(echo "$first - $start" | bc)" \
    "$(echo "($second - $first) * 1000" | bc)" "$(run_figures "$dir")"
  grep -E "coverage assembled|results stored" "$dir/log" | sed 's/^/  /' || true
done
[ -n "${DIR:-}" ] || rm -rf "$dir"
