#!/usr/bin/env bash
# Tables at scale (issue 15, item 6): a table of R rows preloaded with --table, N standing
# searches of which 10% look the table up (`amount > profile[user].limit`), over M tx events;
# against the same searches reading `limit` from the event (drawn like the rows). Prints the
# preload time, memory per row (peak resident memory with and without the rows, over no
# events), and events/s of matching for each rule set (JSON in, ids out; start-up and preload
# taken off). Each tx reaches about 10 lookup rules through the index on merchant; the
# lookups of one event share a key, so the store is searched about once per event.
# Usage: perf/bench_tables_scale.sh BUILD_DIR [ROWS] [RULES] [EVENTS]
set -u
build=${1:-build}
rows=${2:-1000000}
nrules=${3:-100000}
m=${4:-200000}
strix=$build/strix
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$rows" "$nrules" "$m" "$tmp" << 'PY'
import json, random, sys
rows, nrules, m, d = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
random.seed(9)
with open(d + '/rows.jsonl', 'w') as f:
    for u in range(rows):
        f.write('{"user_id":"u%d","limit":%d,"tier":"%s"}\n' % (u, random.randrange(100, 5000), random.choice(['gold', 'silver'])))
with open(d + '/ev.jsonl', 'w') as f:
    for i in range(m):
        f.write('{"type":"tx","ts":%d,"id":"e%d","user":"u%d","merchant":"m%d","amount":%d,"limit":%d}\n' % (
            i, i, random.randrange(rows), random.randrange(1000), random.randrange(1, 6000), random.randrange(100, 5000)))
with open(d + '/lookup.strix', 'w') as lk, open(d + '/plain.strix', 'w') as pl:
    lk.write('table profile by user_id from profile_set\n')
    for r in range(nrules):
        if r % 10 == 0:
            mer = 'm%d' % random.randrange(1000)
            lk.write('rule r%d on tx where merchant == "%s" and amount > profile[user].limit\n' % (r, mer))
            pl.write('rule r%d on tx where merchant == "%s" and amount > limit\n' % (r, mer))
        else:
            line = 'rule r%d on tx where user == "u%d" and amount > %d\n' % (r, random.randrange(rows), random.randrange(6000))
            lk.write(line)
            pl.write(line)
PY
rss() { /usr/bin/time -f %M "$strix" run "$@" -i /dev/null -o /dev/null 2>&1 > /dev/null | tail -1; }
s=$(date +%s.%N)
with=$(rss "$tmp/lookup.strix" --table "profile=$tmp/rows.jsonl")
e=$(date +%s.%N)
without=$(rss "$tmp/lookup.strix")
s2=$(date +%s.%N)
rss "$tmp/lookup.strix" > /dev/null
e2=$(date +%s.%N)
echo "rows $rows: preload $(python3 -c "print(round(($e - $s) - ($e2 - $s2), 2))") s, $(python3 -c "print(int(($with - $without) * 1024 / $rows))") bytes per row"
run() {  # rules [options]: events/s of matching (median of 3; the wall time of the same run
         # over no events, which is loading, compiling and preloading, taken off) and outputs
  local rates=() s e s0 e0
  for _ in 1 2 3; do
    s0=$(date +%s.%N)
    "$strix" run "$@" -i /dev/null -o /dev/null 2> /dev/null
    e0=$(date +%s.%N)
    s=$(date +%s.%N)
    "$strix" run "$@" -i "$tmp/ev.jsonl" --output-events ids -o "$tmp/out" 2> /dev/null
    e=$(date +%s.%N)
    rates+=("$(python3 -c "print(int($m / max(1e-9, ($e - $s) - ($e0 - $s0))))")")
  done
  echo "$(printf '%s\n' "${rates[@]}" | sort -n | sed -n 2p) events/s, $(wc -l < "$tmp/out") complex events"
}
echo "lookup rules ($nrules, 10% with a lookup): $(run "$tmp/lookup.strix" --table "profile=$tmp/rows.jsonl")"
echo "plain rules  ($nrules, the limit on the event): $(run "$tmp/plain.strix")"
