#!/usr/bin/env bash
# Checkpoints end to end (issue 10): `strix run --threads 1`, JSON in, JSON out to a file, over
# N events of 100k users (rule `flow`: login, pay+, logout by user within 1h; ~130k live
# partial matches at 3M events), without --state and with a checkpoint every second,
# interleaved ROUNDS times. Checked first: both outputs byte-identical. Per round: wall s of
# each, the end-of-input checkpoint (a one-off at shutdown the run waits for; from --stats),
# the throughput ratio (wall of the checkpointed run less its end-of-input checkpoint, over the
# plain run's wall) and the wall ratio. The medians of both ratios at the end.
# Usage: perf/bench_checkpoint_run.sh BUILD_DIR [N] [ROUNDS] [EVERY]
set -u
build=${1:-build}
n=${2:-3000000}
rounds=${3:-7}
every=${4:-1s}
strix="$build/strix"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -c '
import random, sys
random.seed(3)
w = sys.stdout.write
for t in range(1, int(sys.argv[1]) + 1):
    u = random.randint(0, 99999)
    typ = random.choice(["login", "pay", "pay", "logout", "view", "view"])
    w("{\"type\":\"%s\",\"user\":\"u%d\",\"ts\":%d,\"amount\":%d}\n" % (typ, u, t, random.randint(1, 500)))
' "$n" > "$tmp/e.jsonl"
printf 'rule flow on sequence by user within 1h a: login b: pay+ where amount > 0 c: logout emit { n: count(b) }\n' > "$tmp/r.strix"
plain() { "$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" -o "$tmp/plain.jsonl" --threads 1; }
checkpointed() {
  rm -rf "$tmp/st"
  "$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" -o "$tmp/ck.jsonl" --threads 1 --state "$tmp/st" \
    --checkpoint-every "$every" --stats 2> "$tmp/stats"
}
plain && checkpointed || exit 1
cmp -s "$tmp/plain.jsonl" "$tmp/ck.jsonl" || { echo "outputs differ" >&2; exit 1; }
echo "# $n events, checkpoint every $every; $(grep '^checkpoints' "$tmp/stats")"
echo "# round plain_s checkpointed_s end_of_input_checkpoint_s throughput_ratio wall_ratio"
for r in $(seq "$rounds"); do
  t0=$(date +%s.%N); plain; t1=$(date +%s.%N)
  checkpointed; t2=$(date +%s.%N)
  last=$(grep -o '[0-9.]* s for the last' "$tmp/stats" | cut -d' ' -f1)
  python3 -c "
import sys
r, t0, t1, t2, last = sys.argv[1], *map(float, sys.argv[2:])
p, c = t1 - t0, t2 - t1
print('%s %.2f %.2f %.3f %.3f %.3f' % (r, p, c, last, (c - last) / p, c / p))" "$r" "$t0" "$t1" "$t2" "$last"
done | tee "$tmp/rounds"
python3 - "$tmp/rounds" << 'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
tp = statistics.median(float(r[4]) for r in rows)
wall = statistics.median(float(r[5]) for r in rows)
print("# median throughput cost %+.1f%% (end-of-input checkpoint left out), wall %+.1f%%" % ((tp - 1) * 100, (wall - 1) * 100))
PY
