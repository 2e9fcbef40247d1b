#!/usr/bin/env bash
# cpu-per-request.sh LIB CELL [benchhttp flags...]
# Runs one benchhttp cell (8 s, no warm-up) and prints the CPU time
# (utime+stime from /proc) that the Go server (the harness process), its
# redis-server and wrk each spent per response. Example:
#   bash cpu-per-request.sh ours-redis many-write
set -euo pipefail
cd "$(dirname "$0")"
lib=$1 cell=$2; shift 2
bin=$(mktemp -d)/benchhttp
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/benchhttp
out=$(dirname "$bin")/out
"$bin" -libs "$lib" -cells "$cell" -d 8s -warmup 0 "$@" >"$out" 2>&1 &
pid=$!
declare -A ticks
while kill -0 $pid 2>/dev/null; do
  for p in $pid $(pgrep -f 'redis-server.*:18479' || true) $(pgrep -x wrk || true); do
    v=$(awk '{print $14+$15}' /proc/$p/stat 2>/dev/null || true)
    name=$(cat /proc/$p/comm 2>/dev/null || true)
    [ -n "$v" ] && [ -n "$name" ] && ticks[$name]=$v
  done
  sleep 0.2
done
wait $pid || { cat "$out"; exit 1; }
line=$(grep -E "^\| $cell +\|" "$out")
rps=$(echo "$line" | awk -F'|' '{gsub(/ /, "", $4); print $4}')
hz=$(getconf CLK_TCK)
printf '%s %s: %s req/s' "$cell" "$lib" "$rps"
for k in benchhttp redis-server wrk; do
  awk -v t="${ticks[$k]:-0}" -v hz="$hz" -v r="$rps" -v k="$k" 'BEGIN { printf "  %s %.0f µs", k, t / hz * 1e6 / (r * 8) }'
done
echo
