#!/usr/bin/env bash
# Metrics (CLI.md "Live operation"): `strix run --metrics 127.0.0.1:0` serves Prometheus text
# at /metrics and "ok" at /healthz; the series scraped while the run waits for input equal the
# --stats counters it prints at the end; per-rule series exist only for rules that matched;
# dead letters are counted by reason; a taken port is exit 2 at start, said.
# Usage: metrics_test.sh STRIX
set -u
strix=$1
source "$(dirname "$0")/cli_lib.sh"

cat > "$tmp/r.strix" << 'RULES'
rule big on pay where amount > 900 emit { a: amount }
rule twice on sequence by user within 50ms a: login b: pay where amount > 500 emit { a: b.amount }
rule never on pay where amount > 5000
rule quiet on pay by user where amount > 800 suppress 200ms
rule open on sequence by user within 10s a: login b: pay where amount > 2000
table last_pay by user from pay
RULES
python3 - "$tmp/e.jsonl" << 'GEN'
import json, random, sys
random.seed(5)
with open(sys.argv[1], 'w') as f:
    for i in range(3000):
        f.write(json.dumps({'type': random.choice(['login', 'pay', 'pay']),
                            'user': 'u%d' % random.randint(0, 40), 'ts': i,
                            'amount': random.randint(1, 1000)}) + '\n')
    f.write('not json\n')
    f.write(json.dumps({'type': 'pay', 'user': 'u1', 'ts': 5, 'amount': 1}) + '\n')  # late
GEN
mkfifo "$tmp/in"
"$strix" run "$tmp/r.strix" -i - --metrics 127.0.0.1:0 --stats --output-events ids \
  < "$tmp/in" > "$tmp/out" 2> "$tmp/err" &
pid=$!
exec 3> "$tmp/in"
cat "$tmp/e.jsonl" >&3
for _ in $(seq 100); do grep -q 'metrics at' "$tmp/err" && break; sleep 0.1; done
url=$(grep -o 'http://[^ ]*/metrics' "$tmp/err")
expect "metrics address said" yes "$([ -n "$url" ] && echo yes)"
base=${url%/metrics}
scrape() {  # the series as "name{labels} value" lines
  python3 -c '
import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"
}
# The run is idle once every event is read: the numbers are final then.
for _ in $(seq 100); do
  scrape "$url" > "$tmp/m" 2> /dev/null
  grep -q '^strix_events_received_total 3000$' "$tmp/m" && break
  sleep 0.1
done
expect "healthz" ok "$(scrape "$base/healthz")"
value() { grep -F "$1 " "$tmp/m" | grep -v '^#' | awk '{print $NF}'; }
exec 3>&-
wait "$pid"
expect "run exit" 0 $?
stats=$(grep '^events in:' "$tmp/err")
field() { echo "$stats" | grep -o "$1: [0-9]*" | awk '{print $NF}'; }
expect "events received = --stats events in" "$(field 'events in')" "$(value strix_events_received_total)"
expect "late = --stats late" "$(field late)" "$(value strix_events_late_total)"
expect "late counted" 1 "$(value strix_events_late_total)"
expect "complex events = --stats emitted" "$(field emitted)" "$(value strix_complex_events_total)"
expect "complex events = lines written" "$(wc -l < "$tmp/out")" "$(value strix_complex_events_total)"
big=$(value 'strix_rule_complex_events_total{rule="big"}')
twice=$(value 'strix_rule_complex_events_total{rule="twice"}')
quiet=$(value 'strix_rule_complex_events_total{rule="quiet"}')
expect "per rule sums to the total" "$(value strix_complex_events_total)" "$((big + twice + quiet))"
expect "no series for a rule that never matched" 0 "$(grep -c 'rule="never"' "$tmp/m")"
# Suppressed by rule: only `quiet` suppresses; the series sums to --stats "suppressed".
expect "suppressed = --stats suppressed" "$(field suppressed)" \
  "$(value strix_complex_events_suppressed_total)"
expect "suppressed by rule = the total" "$(value strix_complex_events_suppressed_total)" \
  "$(value 'strix_rule_complex_events_suppressed_total{rule="quiet"}')"
expect "suppression happened" yes "$([ "$(field suppressed)" -gt 0 ] && echo yes)"
# Partial matches by rule: `open` never completes (amount > 2000 never comes) and its window
# outlasts the stream, so every login started one that is still there; `twice` holds a few.
open_pm=$(value 'strix_rule_partial_matches{rule="open"}')
twice_pm=$(value 'strix_rule_partial_matches{rule="twice"}')
expect "partial matches by rule sum to the gauge" "$(value strix_partial_matches)" \
  "$((open_pm + ${twice_pm:-0}))"
expect "open rule holds one per login" "$(grep -c '"type": "login"' "$tmp/e.jsonl")" "$open_pm"
expect "rejected by reason" 1 "$(value 'strix_events_rejected_total{reason="bad json"}')"
expect "table rows: one per user who paid" \
  "$(head -3000 "$tmp/e.jsonl" | grep '"type": "pay"' | grep -o '"user": "u[0-9]*"' | sort -u | wc -l)" \
  "$(value 'strix_table_rows{table="last_pay"}')"
expect "partial matches gauge" yes "$(grep -qE '^strix_partial_matches [0-9]+' "$tmp/m" && echo yes)"
expect "latency histogram" yes \
  "$(grep -qE '^strix_processing_latency_seconds_count [1-9]' "$tmp/m" && echo yes)"

# A taken port: exit 2 at start, with the reason.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(10)' > "$tmp/port" &
holder=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" --metrics "127.0.0.1:$(cat "$tmp/port")" \
  > /dev/null 2> "$tmp/err2"
expect "port taken: exit 2" 2 $?
expect "port taken: said" 1 "$(grep -c 'cannot listen there' "$tmp/err2")"
kill "$holder" 2> /dev/null
finish
