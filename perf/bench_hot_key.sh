#!/usr/bin/env bash
# `every` on one hot key (issue 9): `strix run --threads 1` over N events {"type":"A","k":1}
# then one B, rule `every a: A+ b: B` at the default --max-partial-matches (10,000), so that
# past the ~14th event every event extends all 10,000 live partial matches. The output (one
# complex event per live match, `count(a)` and `first(a).ts` emitted, events left out) is
# checked first: the live matches must be the 10,000 latest starts, each with every A since.
# Then events/s (strix's --stats, median of 3) and peak RSS. With BASE_BUILD, the same for
# that build over N_BASE events (one by one it is too slow for N), alternating with this one.
# Usage: perf/bench_hot_key.sh BUILD_DIR [N] [BASE_BUILD_DIR] [N_BASE]
set -u
build=${1:-build}
n=${2:-200000}
base=${3:-}
nbase=${4:-5000}
m=10000
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'rule hot on sequence by k every a: A+ b: B emit { n: count(a), f: first(a).ts }\n' > "$tmp/hot.strix"
gen() {  # gen N FILE
  python3 -c "
import sys
n = int(sys.argv[1])
out = sys.stdout
for i in range(n): out.write('{\"type\":\"A\",\"k\":1,\"ts\":%d}\n' % i)
out.write('{\"type\":\"B\",\"k\":1,\"ts\":%d}\n' % n)" "$1" > "$2"
}
gen "$n" "$tmp/ev.jsonl"
[ -n "$base" ] && gen "$nbase" "$tmp/ev_base.jsonl"
check() {  # check STRIX EVENTS N: the output is right
  "$1" run -i "$2" "$tmp/hot.strix" --threads 1 --output-events none 2>/dev/null > "$tmp/out.jsonl"
  python3 - "$tmp/out.jsonl" "$3" "$m" << 'PY' || exit 1
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
n, m = int(sys.argv[2]), int(sys.argv[3])
live = min(n, m)
assert len(lines) == live, (len(lines), live)
for j, ce in enumerate(lines):  # in the order of their first events
    first = n - live + j
    assert ce['fields'] == {'n': n - first, 'f': first}, (j, ce['fields'])
PY
}
check "$build/strix" "$tmp/ev.jsonl" "$n"
[ -n "$base" ] && check "$base/strix" "$tmp/ev_base.jsonl" "$nbase"
echo "outputs checked: the $m latest starts, each with every A since"
one() {  # one STRIX EVENTS: "events/s peak_rss_kb"
  /usr/bin/time -f "%M" -o "$tmp/rss" "$1" run -i "$2" "$tmp/hot.strix" --threads 1 \
    --output-events none --stats 2> "$tmp/err" > /dev/null
  echo "$(grep -o 'events/s: [0-9]*' "$tmp/err" | cut -d' ' -f2) $(cat "$tmp/rss")"
}
printf '%-6s %8s %10s %12s\n' build events events/s peak_rss_kb
for r in 1 2 3; do
  read -r eps rss <<< "$(one "$build/strix" "$tmp/ev.jsonl")"
  printf '%-6s %8s %10s %12s\n' this "$n" "$eps" "$rss"
  if [ -n "$base" ]; then
    read -r eps rss <<< "$(one "$base/strix" "$tmp/ev_base.jsonl")"
    printf '%-6s %8s %10s %12s\n' base "$nbase" "$eps" "$rss"
  fi
done
