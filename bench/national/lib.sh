# Shared by serve.sh and pockets.sh (sourced, not run).

# start_serve DIR PATH BIN ARG…: starts BIN ARG… --addr 127.0.0.1:PORT on a random loopback port
# (GOMAXPROCS=2, /usr/bin/time -v into DIR/time, its log in DIR/log) and waits until PATH answers
# 200; sets pid and base (http://127.0.0.1:PORT). Exits with the log if the server stops first.
start_serve() {
  local dir=$1 path=$2; shift 2
  local port=$((20000 + RANDOM % 20000))
  base="http://127.0.0.1:$port"
  GOMAXPROCS=2 /usr/bin/time -v -o "$dir/time" "$@" --addr 127.0.0.1:$port >"$dir/log" 2>&1 &
  pid=$!
  until curl -sf -o /dev/null "$base$path"; do
    kill -0 $pid 2>/dev/null || { cat "$dir/log" >&2; exit 1; }
    sleep 0.05
  done
}

# stop_serve: interrupts the server start_serve started and waits for it.
stop_serve() {
  kill -INT $(pgrep -P $pid) 2>/dev/null || true
  wait $pid || true
}

# run_figures DIR: "peak_rss_mb=… cpu_s=… load=…" of the run timed into DIR/time.
run_figures() {
  printf 'peak_rss_mb=%s cpu_s=%s load=%s' "$(awk '/Maximum resident/{printf "%.0f", $NF/1024}' "$1/time")" \
    "$(awk '/User time/{u=$NF} /System time/{s=$NF} END{printf "%.1f", u+s}' "$1/time")" "$(cut -d' ' -f1 /proc/loadavg)"
}
