#!/usr/bin/env bash
# Replicas starting together on one empty PostgreSQL database: REPLICAS (default 2) `phusong
# serve` processes started at the same moment, each timed (GOMAXPROCS=2, /usr/bin/time -v) until
# its first map answer (the any-carrier 4G coverage at zoom 9, as serve.sh), then 3 s of
# serving (WARM=…), then all stopped. REPLICAS=1 is one replica alone, for comparison.
#
#   DB=postgres://… bash bench/national/replicas.sh BINARY [COMMUNES SITES]   (no files: the demo)
#
# The database is emptied first (every table dropped). Per replica it prints the first answer
# (seconds from the common start), the regions it computed, those it took from the others'
# partial results, CPU (user + sys), peak RSS and the load average; logs in a temporary
# directory (DIR=path keeps them).
set -euo pipefail
# shellcheck source=bench/national/lib.sh
source "$(dirname "$0")/lib.sh"
bin=$1; communes=${2:-}; sites=${3:-}
: "${DB:?DB=postgres://… is needed}"
n=${REPLICAS:-2}
dir=${DIR:-$(mktemp -d)}
mkdir -p "$dir"
psql -q "$DB" -c "SET client_min_messages = warning" -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null
path="/api/v1/coverage?tech=4G&carrier=any&zoom=9"
load=$(cut -d' ' -f1 /proc/loadavg)
start=$(date +%s.%N)
pids=() bases=() firsts=()
for r in $(seq 1 "$n"); do
  mkdir -p "$dir/r$r"
  args=(serve --data-dir "$dir/r$r/data" --db "$DB")
  [ -n "$communes" ] && args+=(--communes "$communes" --sites "$sites")
  # shellcheck disable=SC2206
  [ -n "${EXTRA:-}" ] && args+=(${EXTRA})
  port=$((20000 + RANDOM % 20000))
  bases+=("http://127.0.0.1:$port")
  GOMAXPROCS=2 /usr/bin/time -v -o "$dir/r$r/time" "$bin" "${args[@]}" --addr 127.0.0.1:$port >"$dir/r$r/log" 2>&1 &
  pids+=($!)
  firsts+=("")
done
left=$n
while [ "$left" -gt 0 ]; do
  for r in $(seq 1 "$n"); do
    i=$((r - 1))
    [ -n "${firsts[$i]}" ] && continue
    if curl -sf -o /dev/null "${bases[$i]}$path"; then
      firsts[i]=$(echo "$(date +%s.%N) - $start" | bc)
      left=$((left - 1))
    elif ! kill -0 "${pids[$i]}" 2>/dev/null; then
      cat "$dir/r$r/log" >&2
      exit 1
    fi
  done
  sleep 0.05
done
sleep "${WARM:-3}"
for r in $(seq 1 "$n"); do
  pid=${pids[$((r - 1))]}
  stop_serve
done
for r in $(seq 1 "$n"); do
  line=$(grep -E "coverage assembled" "$dir/r$r/log" | head -1)
  computed=$(sed -n 's/.*computed_here=\([0-9]*\).*/\1/p' <<<"$line")
  others=$(sed -n 's/.*from_other_replicas=\([0-9]*\).*/\1/p' <<<"$line")
  printf 'replicas=%d replica=%d first_answer_s=%.2f computed=%s from_others=%s %s load_at_start=%s\n' "$n" "$r" "${firsts[$((r - 1))]}" \
    "$computed" "$others" "$(run_figures "$dir/r$r")" "$load"
done
[ -n "${DIR:-}" ] || rm -rf "$dir"
