#!/usr/bin/env bash
# The sequence queries Q1-Q3 and Q10 end to end: `strix run` (JSON in, complex events with
# event ids out, to a file) on the stream and rules bench_cep writes, after bench_cep has
# checked the engine against the literal reference and a brute-force count and timed the
# library. Prints events/s of `strix run --threads 1` (median of ROUNDS) and checks that the
# output has the brute-force number of complex events.
# Usage: perf/bench_cep.sh BUILD_DIR [EVENTS] [ROUNDS] [Q1 Q2 Q3 Q10]
set -u
build=${1:-build}
events=${2:-1000000}
rounds=${3:-3}
shift $(($# < 3 ? $# : 3))
queries=${*:-Q1 Q2 Q3 Q10}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "# library (bench_cep: decode + match, complex events counted)"
"$build/bench_cep" --write "$tmp" "$events" $queries || exit 1
echo "# end to end: strix run --output-events ids -o FILE, median of $rounds"
echo "query  events/s  complex_events"
for q in $queries; do
  rates=()
  for _ in $(seq "$rounds"); do
    rm -f "$tmp/out"  # not timed: truncating the last round's output costs the kernel ~0.1 s
    s=$(date +%s.%N)
    "$build/strix" run "$tmp/$q.strix" -i "$tmp/events.jsonl" --output-events ids \
      -o "$tmp/out" 2> /dev/null || exit 1
    e=$(date +%s.%N)
    rates+=("$(python3 -c "print(int($events / ($e - $s)))")")
  done
  got=$(wc -l < "$tmp/out")
  want=$(cat "$tmp/$q.count")
  if [ "$got" != "$want" ]; then
    echo "$q: strix run wrote $got complex events, brute force $want" >&2
    exit 1
  fi
  med=$(printf '%s\n' "${rates[@]}" | sort -n | sed -n "$(((rounds + 1) / 2))p")
  echo "$q  $med  $got"
done
