#!/usr/bin/env bash
# Sigma rules end to end (issue 14, item 5): N generated process-creation rules in Sigma YAML
# (perf/gen_sigma.py: image-suffix lists, command-line keyword lists with |all and |windash,
# parent filters) go through `strix import sigma`; measured: import time, compile time
# (a run over no events), bytes per rule (peak resident memory of a run over no events, less
# that of a one-rule run), and `strix run --threads 1`
# events/s over M Sysmon-like ~1.1 KB events, JSON in and complex-event ids out (median of 3).
# Extra arguments are folders of real Sigma rules (for example a local SigmaHQ checkout's
# rules/windows/process_creation), measured the same way over the same events.
# Usage: perf/bench_sigma.sh BUILD_DIR [N] [M] [SIGMA_FOLDER...]
set -u
build=${1:-build}
n=${2:-1500}
m=${3:-200000}
shift $(( $# < 3 ? $# : 3 ))
strix=$build/strix
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$(dirname "$0")/gen_sigma.py" rules "$n" "$tmp/generated"
python3 "$(dirname "$0")/gen_sigma.py" events "$m" "$tmp/events.jsonl"
printf 'rule one on process_creation where Image == "x"\n' > "$tmp/one.strix"
base_rss=$(/usr/bin/time -f %M "$strix" run "$tmp/one.strix" -i /dev/null 2>&1 > /dev/null | tail -1)
echo "rule set  rules  import_s  compile_s  bytes/rule  events/s(median of 3)  alerts"
for src in "$tmp/generated" "$@"; do
  s=$(date +%s.%N)
  "$strix" import sigma "$src" -o "$tmp/r.strix" 2> "$tmp/import.err" || { cat "$tmp/import.err"; exit 1; }
  e=$(date +%s.%N)
  import_s=$(python3 -c "print(round($e - $s, 3))")
  rules=$(grep -c '^rule ' "$tmp/r.strix")
  "$strix" check "$tmp/r.strix" > /dev/null 2>&1 || { echo "check failed on $src"; exit 1; }
  # Compile time: a run over no events (parse, check, compile, index build). Bytes per rule: its
  # peak resident memory less that of a one-rule run.
  s=$(date +%s.%N)
  rss=$(/usr/bin/time -f %M "$strix" run "$tmp/r.strix" -i /dev/null 2>&1 > /dev/null | tail -1)
  e=$(date +%s.%N)
  compile_s=$(python3 -c "print(round($e - $s, 3))")
  per_rule=$(python3 -c "print(int(($rss - $base_rss) * 1024 / $rules))")
  rates=()
  for _ in 1 2 3; do
    rates+=("$("$strix" run "$tmp/r.strix" -i "$tmp/events.jsonl" --threads 1 --output-events ids \
      -o "$tmp/out" --stats 2>&1 | grep -o 'events/s: [0-9]*' | grep -o '[0-9]*')")
  done
  med=$(printf '%s\n' "${rates[@]}" | sort -n | sed -n 2p)
  echo "$(basename "$src")  $rules  $import_s  $compile_s  $per_rule  $med  $(wc -l < "$tmp/out")"
done
