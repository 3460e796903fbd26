#!/usr/bin/env bash
# Reload latency and pause (CLI.md "Live operation"): a running `strix run` with N standing
# searches (single-event rules on user and amount) and one sequence rule holding partial
# matches gets SIGHUP after one single-event rule changed; measured: wall time from the signal to the
# "rules reloaded" message (compiling happens beside the run) and the take-over pause strix
# reports (the run standing still to move its state). Events keep coming all the while.
# Usage: perf/bench_reload.sh BUILD_DIR [N...]
set -u
build=${1:-build}
shift
sizes=${*:-1000 10000 100000}
strix=$build/strix
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2> /dev/null; rm -rf "$tmp"' EXIT
rules() {  # N THRESHOLD
  python3 - "$1" "$2" << 'PY'
import random, sys
n, t = int(sys.argv[1]), int(sys.argv[2])
random.seed(1)
print('rule seq on sequence by user within 10s a: login b: pay where amount > 500 emit { a: b.amount }')
print('rule changed on pay where amount > %d' % t)
for i in range(n):
    lo = random.randint(0, 990)
    print('rule r%d on pay where user == "u%d" and amount >= %d and amount < %d' % (i, random.randint(0, 9999), lo, lo + 10))
PY
}
echo "rules  reload_ms(signal->live)  pause_us  partial_matches_kept"
for n in $sizes; do
  rules "$n" 500 > "$tmp/r.strix"
  rm -f "$tmp/in"
  mkfifo "$tmp/in"
  "$strix" run "$tmp/r.strix" -i - --output-events none --threads 1 --metrics 127.0.0.1:0 \
    < "$tmp/in" > /dev/null 2> "$tmp/err" &
  pid=$!
  python3 -c '
import json, random, sys, time
random.seed(2)
out = open(sys.argv[1], "w")
i = 0
while True:
    try:
        out.write("".join(json.dumps({"type": random.choice(["login", "pay"]), "user": "u%d" % random.randint(0, 9999), "ts": i + k, "amount": random.randint(1, 1000)}) + "\n" for k in range(100)))
        out.flush()
    except BrokenPipeError:
        break
    i += 100
    time.sleep(0.001)' "$tmp/in" &
  feeder=$!
  # Compiled and matching ("metrics at" is said once the rules are compiled and inputs open).
  for _ in $(seq 600); do grep -q 'metrics at' "$tmp/err" && break; sleep 0.1; done
  sleep 1
  rules "$n" 501 > "$tmp/r.strix"
  t0=$(date +%s.%N)
  kill -HUP "$pid"
  for _ in $(seq 1200); do grep -q 'rules reloaded' "$tmp/err" && break; sleep 0.01; done
  t1=$(date +%s.%N)
  line=$(grep 'rules reloaded' "$tmp/err")
  pause=$(echo "$line" | grep -o '([0-9]* us)' | tr -dc 0-9)
  kept=$(echo "$line" | grep -o '[0-9]* partial matches kept' | awk '{print $1}')
  python3 -c "print('%6d  %23.0f  %8s  %s' % ($n, ($t1 - $t0) * 1000, '$pause', '$kept'))"
  kill "$feeder" 2> /dev/null
  kill -TERM "$pid" 2> /dev/null
  wait "$pid" 2> /dev/null
done
