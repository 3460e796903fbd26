#!/usr/bin/env bash
# The pub/sub workloads end to end: `strix run` (JSON in, complex-event ids out) on the rules and
# events bench_pubsub writes, after bench_pubsub has checked them against a brute-force count and
# timed the library. Prints events/s of `strix run --threads 1` and `--threads 2` (median of 3).
# Usage: perf/bench_pubsub.sh BUILD_DIR [bx1 bx2 bx3]
set -u
build=${1:-build}
shift
loads=${*:-bx1 bx2 bx3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/bench_pubsub" --write "$tmp" $loads || exit 1
echo "load  threads  events/s(strix run, median of 3)  complex_events"
for l in $loads; do
  n=$(wc -l < "$tmp/$l.jsonl")
  for t in 1 2; do
    rates=()
    for _ in 1 2 3; do
      s=$(date +%s.%N)
      "$build/strix" run "$tmp/$l.strix" -i "$tmp/$l.jsonl" --threads "$t" --output-events ids \
        -o "$tmp/out" 2> /dev/null
      e=$(date +%s.%N)
      rates+=("$(python3 -c "print(int($n / ($e - $s)))")")
    done
    med=$(printf '%s\n' "${rates[@]}" | sort -n | sed -n 2p)
    echo "$l  $t  $med  $(wc -l < "$tmp/out")"
  done
done
