#!/usr/bin/env bash
# Time from `phusong serve` start to its first map answer (the any-carrier 4G coverage the map
# loads first, zoom 9) and to a warm cache (the same answer again, from memory), with peak RSS
# and the CPU time (user + sys) of the whole run (start, first answers, 3 s of warm-up).
#
#   bash bench/national/serve.sh BINARY [COMMUNES SITES]     (no files: the embedded demo)
set -euo pipefail
bin=$1; communes=${2:-}; sites=${3:-}
dir=$(mktemp -d); port=$((20000 + RANDOM % 20000))
args=(serve --addr 127.0.0.1:$port --data-dir "$dir/data")
[ -n "$communes" ] && args+=(--communes "$communes" --sites "$sites")
url="http://127.0.0.1:$port/api/v1/coverage?tech=4G&carrier=any&zoom=9"
start=$(date +%s.%N)
GOMAXPROCS=2 /usr/bin/time -v -o "$dir/time" "$bin" "${args[@]}" >"$dir/log" 2>&1 &
pid=$!
until curl -sf -o /dev/null "$url"; do sleep 0.05; done
first=$(date +%s.%N)
curl -sf -o /dev/null "$url"
second=$(date +%s.%N)
sleep 3
kill -INT $(pgrep -P $pid) 2>/dev/null || true
wait $pid || true
printf 'first_answer_s=%.2f second_answer_ms=%.0f peak_rss_mb=%s cpu_s=%s\n' "$(echo "$first - $start" | bc)" \
  "$(echo "($second - $first) * 1000" | bc)" "$(awk '/Maximum resident/{printf "%.0f", $NF/1024}' "$dir/time")" \
  "$(awk '/User time/{u=$NF} /System time/{s=$NF} END{printf "%.1f", u+s}' "$dir/time")"
rm -rf "$dir"
