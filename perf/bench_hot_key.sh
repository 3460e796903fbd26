#!/usr/bin/env bash
# `every` on one hot key (issue 9): `strix run --threads 1` over N events {"type":"A","k":1},
# rule `every a: A+ b: B` at the default --max-partial-matches (10,000), so that past the ~14th
# event every event extends all 10,000 live partial matches. First the output with one B after
# the As (one complex event per live match, `count(a)` and `first(a).ts` emitted, events left
# out) is checked: the live matches must be the 10,000 latest starts, each with every A since
# (that run's wall time is shown: completing 10,000 matches of 5,000 events on average).
# Then events/s of the As alone (strix's --stats; 3 runs) and peak RSS. With BASE_BUILD, the
# same for that build over N_BASE events (one by one it is too slow for N), alternating.
# N and N_BASE must be past 10,100: the live matches are then the 10,000 latest starts.
# Usage: perf/bench_hot_key.sh BUILD_DIR [N] [BASE_BUILD_DIR] [N_BASE]
set -u
build=${1:-build}
n=${2:-200000}
base=${3:-}
nbase=${4:-12000}
m=10000
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'rule hot on sequence by k every a: A+ b: B emit { n: count(a), f: first(a).ts }\n' > "$tmp/hot.strix"
gen() {  # gen N FILE: N As (FILE.a), the same then one B (FILE)
  python3 -c "
import sys
n = int(sys.argv[1])
with open(sys.argv[2] + '.a', 'w') as out:
    for i in range(n): out.write('{\"type\":\"A\",\"k\":1,\"ts\":%d}\n' % i)
" "$1" "$2"
  cp "$2.a" "$2"
  printf '{"type":"B","k":1,"ts":%d}\n' "$1" >> "$2"
}
gen "$n" "$tmp/ev.jsonl"
[ -n "$base" ] && gen "$nbase" "$tmp/ev_base.jsonl"
check() {  # check NAME STRIX EVENTS N: the output is right
  local t0 t1
  t0=$(date +%s.%N)
  "$2" run -i "$3" "$tmp/hot.strix" --threads 1 --output-events none 2> /dev/null > "$tmp/out.jsonl"
  t1=$(date +%s.%N)
  python3 - "$tmp/out.jsonl" "$4" "$m" << 'PY' || exit 1
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
n, m = int(sys.argv[2]), int(sys.argv[3])
assert len(lines) == m, (len(lines), m)
for j, ce in enumerate(lines):  # in the order of their first events
    first = n - m + j
    assert ce['fields'] == {'n': n - first, 'f': first}, (j, ce['fields'])
PY
  echo "$1: $4 As then a B, output checked (the $m latest starts, each with every A since): $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s"
}
check this "$build/strix" "$tmp/ev.jsonl" "$n"
[ -n "$base" ] && check base "$base/strix" "$tmp/ev_base.jsonl" "$nbase"
one() {  # one STRIX EVENTS: "events/s peak_rss_kb"
  /usr/bin/time -f "%M" -o "$tmp/rss" "$1" run -i "$2" "$tmp/hot.strix" --threads 1 \
    --output-events none --stats 2> "$tmp/err" > /dev/null
  echo "$(grep -o 'events/s: [0-9]*' "$tmp/err" | cut -d' ' -f2) $(cat "$tmp/rss")"
}
printf '%-6s %8s %10s %12s\n' build events events/s peak_rss_kb
for r in 1 2 3; do
  read -r eps rss <<< "$(one "$build/strix" "$tmp/ev.jsonl.a")"
  printf '%-6s %8s %10s %12s\n' this "$n" "$eps" "$rss"
  if [ -n "$base" ]; then
    read -r eps rss <<< "$(one "$base/strix" "$tmp/ev_base.jsonl.a")"
    printf '%-6s %8s %10s %12s\n' base "$nbase" "$eps" "$rss"
  fi
done
