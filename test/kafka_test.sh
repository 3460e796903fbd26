#!/usr/bin/env bash
# Kafka input and output against a real Kafka protocol broker: librdkafka's mock cluster, hosted
# by test/kafka_fixture (no Kafka install). One member consumes a 4-partition topic and
# produces complex events keyed by their key; then two members of one group share the
# partitions. The complex events must be those of a run over the same events from a file,
# each once; a message that is not JSON is a dead letter naming TOPIC/PARTITION:OFFSET.
# Usage: kafka_test.sh STRIX KAFKA_FIXTURE
set -u
strix=$1
fixture=$2
source "$(dirname "$0")/cli_lib.sh"

mkfifo "$tmp/hold"
sleep 600 > "$tmp/hold" &
holder=$!
"$fixture" cluster events:4 alerts:2 alerts2:2 dead:1 events2:4 lag:2 reload:2 ralerts:1 \
  tevents:4 talerts:1 < "$tmp/hold" > "$tmp/cluster" 2> /dev/null &
cluster=$!
cleanup_kafka() { kill "$holder" "$cluster" 2> /dev/null; }
trap 'cleanup_kafka; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do grep -q bootstrap "$tmp/cluster" && break; sleep 0.1; done
b=$(awk '/bootstrap/{print $2}' "$tmp/cluster")
expect "mock cluster up" yes "$([ -n "$b" ] && echo yes)"

cat > "$tmp/r.strix" <<'RULES'
rule big on pay where amount > 900 emit { a: amount }
rule twice on sequence by user within 50ms a: login b: pay where amount > 500 emit { a: b.amount }
RULES
python3 - "$tmp/e.jsonl" <<'GEN'
import json, random, sys
random.seed(5)
with open(sys.argv[1], 'w') as f:
    for i in range(3000):
        ev = {'type': random.choice(['login', 'pay', 'pay']), 'user': 'u%d' % random.randint(0, 40),
              'ts': i, 'amount': random.randint(1, 1000), 'id': 'e%d' % i}
        f.write(json.dumps(ev) + '\n')
GEN
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" --output-events ids 2> /dev/null | python3 -c '
import json, sys
for l in sys.stdin:
    print(json.loads(l)["id"])' | sort > "$tmp/want.ids"
want=$(wc -l < "$tmp/want.ids")
expect "file run has complex events" yes "$([ "$want" -gt 50 ] && echo yes)"

ids_of() {  # the ids of complex events (JSON lines) on standard input, sorted
  python3 -c '
import json, sys
for l in sys.stdin:
    print(json.loads(l)["id"])' | sort
}

# Unknown topics and bad addresses: exit 2 at start, saying what.
"$strix" run "$tmp/r.strix" -i "kafka://$b/nosuch" < /dev/null 2> "$tmp/err"
expect "unknown input topic exit" 2 $?
expect "unknown input topic said" 1 "$(grep -c "topic 'nosuch' does not exist" "$tmp/err")"
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" -o "kafka://$b/nosuch" 2> "$tmp/err"
expect "unknown output topic exit" 2 $?
"$strix" run "$tmp/r.strix" -i "kafka://$b" < /dev/null 2> "$tmp/err"
expect "bad kafka address exit" 2 $?
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" --kafka nonsense 2> "$tmp/err"
expect "bad --kafka exit" 2 $?

# One member: produce, consume, compare by id.
one_member() {  # RULES IN OUT WANT GOT ERR [options...]: a member until WANT complex events came
  local rules=$1 in=$2 out=$3 n=$4 got=$5 err=$6
  shift 6
  "$strix" run "$rules" -i "kafka://$b/$in" -o "kafka://$b/$out" --output-events ids \
    --idle-timeout 2s "$@" 2> "$err" &
  local pid=$!
  "$fixture" consume "$b" "$out" "$n" 60 | ids_of > "$got"
  sleep 1
  kill -TERM "$pid"
  wait "$pid"
}
"$fixture" produce "$b" events user < "$tmp/e.jsonl" 2> /dev/null
printf 'not json\n' | "$fixture" produce "$b" events user 2> /dev/null
one_member "$tmp/r.strix" events alerts "$want" "$tmp/got1.ids" "$tmp/err1" --group one \
  --dead-letter "kafka://$b/dead"
expect "one member exit" 0 $?
expect "one member: the file run's complex events" same "$(cmp -s "$tmp/want.ids" "$tmp/got1.ids" && echo same)"
"$fixture" consume "$b" alerts $((want + 1)) 3 | ids_of > "$tmp/all1.ids"
expect "one member: each once" "$want" "$(wc -l < "$tmp/all1.ids")"
"$fixture" consume "$b" dead 1 20 > "$tmp/dead1"
expect "poison message dead-lettered with its partition and offset" 1 \
  "$(grep -c '"reason":"bad json","source":"events/[0-3]","line":[0-9]*,"input":"not json"' "$tmp/dead1")"

# --table under Kafka input (LANGUAGE.md 7, CLI.md "Kafka"): every partition starts with the
# preloaded rows, its changelog events (keyed by user like the rest) update its own; the complex
# events are those of a file run with the same --table. A bad row is dead-lettered once.
cat > "$tmp/t.strix" <<'RULES'
table acct by user from acct_update
rule blocked_pay on pay where acct[user].status == "blocked" emit { s: acct[user].status }
rule unknown_pay on pay where acct[user] is null and amount > 950
RULES
python3 - "$tmp/te.jsonl" "$tmp/rows.jsonl" <<'GEN'
import json, random, sys
random.seed(11)
with open(sys.argv[2], 'w') as f:  # rows for u0..u29: u0..u9 blocked
    for u in range(30):
        f.write(json.dumps({'user': 'u%d' % u, 'status': 'blocked' if u < 10 else 'ok'}) + '\n')
    f.write('{"status": "no key"}\n')
with open(sys.argv[1], 'w') as f:
    for i in range(3000):
        u = 'u%d' % random.randint(0, 40)
        if random.random() < 0.05:
            ev = {'type': 'acct_update', 'user': u, 'ts': i, 'id': 't%d' % i,
                  'status': random.choice(['blocked', 'ok'])}
        else:
            ev = {'type': 'pay', 'user': u, 'ts': i, 'amount': random.randint(1, 1000), 'id': 't%d' % i}
        f.write(json.dumps(ev) + '\n')
GEN
"$strix" run "$tmp/t.strix" -i "$tmp/te.jsonl" --table "acct=$tmp/rows.jsonl" --output-events ids \
  2> /dev/null | ids_of > "$tmp/wantT.ids"
wantT=$(wc -l < "$tmp/wantT.ids")
expect "table file run has complex events" yes "$([ "$wantT" -gt 100 ] && echo yes)"
"$fixture" produce "$b" tevents user < "$tmp/te.jsonl" 2> /dev/null
one_member "$tmp/t.strix" tevents talerts "$wantT" "$tmp/gotT.ids" "$tmp/errT" --group tbl \
  --table "acct=$tmp/rows.jsonl" --dead-letter "$tmp/deadT"
expect "table under Kafka: exit" 0 $?
expect "table under Kafka: the file run's complex events" same \
  "$(cmp -s "$tmp/wantT.ids" "$tmp/gotT.ids" && echo same)"
expect "table under Kafka: rows said once" 1 \
  "$(grep -c 'table acct: 30 rows from .*rows.jsonl (1 rejected) (each Kafka partition starts with them)' "$tmp/errT")"
expect "table under Kafka: the keyless row dead-lettered once" 1 \
  "$(grep -c '"reason":"no table key"' "$tmp/deadT")"

# Limits are said under Kafka input too (its partitions have engines of their own).
"$strix" run "$tmp/r.strix" -i "kafka://$b/events" -o /dev/null --group limits --max-state 1KB \
  --stats 2> "$tmp/errL" &
limited=$!
for _ in $(seq 300); do grep -q 'warning: --max-state' "$tmp/errL" && break; sleep 0.1; done
kill -TERM "$limited"
wait "$limited"
expect "max-state reached under Kafka: warned once" 1 "$(grep -c 'warning: --max-state' "$tmp/errL")"
expect "max-state reached under Kafka: counted" 1 \
  "$(grep -cE 'by --max-state: [1-9]' "$tmp/errL")"

# Two members of one group share the partitions (both joined before the events come), with a
# short --idle-timeout: a partition that goes quiet and wakes up again is judged by its own
# watermark, so nothing is late (STRIX_KAFKA_DEBUG=1 prints the members' counters).
"$strix" run "$tmp/r.strix" -i "kafka://$b/events2" -o "kafka://$b/alerts2" --group two \
  --output-events ids --idle-timeout 2s --kafka session.timeout.ms=6000 --stats 2> "$tmp/errA" &
a=$!
"$strix" run "$tmp/r.strix" -i "kafka://$b/events2" -o "kafka://$b/alerts2" --group two \
  --output-events ids --idle-timeout 2s --kafka session.timeout.ms=6000 --stats 2> "$tmp/errB" &
bb=$!
# Both hold partitions before the events come (rebalances in the middle, with state, are
# test/kafka_state_test.sh's). The short session timeout matters: the mock broker's rebalance
# waits for the session timeout less one second for members to rejoin (44 s by default), which
# under load outlasted the 30 s wait below.
for _ in $(seq 300); do
  grep -q 'Kafka: assigned' "$tmp/errA" && grep -q 'Kafka: assigned' "$tmp/errB" && break
  sleep 0.1
done
expect "both members assigned partitions" yes \
  "$(grep -q 'Kafka: assigned' "$tmp/errA" && grep -q 'Kafka: assigned' "$tmp/errB" && echo yes)"
if ! grep -q 'Kafka: assigned' "$tmp/errA" || ! grep -q 'Kafka: assigned' "$tmp/errB"; then
  tail -5 "$tmp/errA" "$tmp/errB"  # what the members said while waiting
fi
"$fixture" produce "$b" events2 user < "$tmp/e.jsonl" 2> /dev/null
"$fixture" consume "$b" alerts2 "$want" 60 | ids_of > "$tmp/got2.ids"
sleep 1
kill -TERM "$a" "$bb"
wait "$a"
expect "member A exit" 0 $?
wait "$bb"
expect "member B exit" 0 $?
expect "two members: the file run's complex events" same "$(cmp -s "$tmp/want.ids" "$tmp/got2.ids" && echo same)"
[ "${STRIX_KAFKA_DEBUG:-0}" = 1 ] && grep -h 'events in\|Kafka: assigned\|late' "$tmp/errA" "$tmp/errB"
"$fixture" consume "$b" alerts2 $((want + 1)) 3 | ids_of > "$tmp/all2.ids"
expect "two members: each once" "$want" "$(wc -l < "$tmp/all2.ids")"

# Kafka lag per partition (metrics): asked at every scrape, so a run that a slow output holds
# still shows how far behind it is; once all is read it is 0 for every assigned partition.
scrape() {
  python3 -c '
import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1" 2> /dev/null
}
lag_sum() { scrape "$1" | awk '/^strix_kafka_consumer_lag\{/{s += $NF; n++} END{print n + 0, s + 0}'; }
echo 'rule every_pay on pay emit { user: user, amount: amount, padding: "................................................................................................" }' > "$tmp/lag.strix"
mkfifo "$tmp/slow"
cat "$tmp/slow" > /dev/null &
reader=$!
"$strix" run "$tmp/lag.strix" -i "kafka://$b/lag" -o "$tmp/slow" --group lag \
  --metrics 127.0.0.1:0 2> "$tmp/errLag" &
lagrun=$!
for _ in $(seq 300); do grep -q 'Kafka: assigned' "$tmp/errLag" && break; sleep 0.1; done
murl=$(grep -o 'http://[^ ]*/metrics' "$tmp/errLag")
kill -STOP "$reader"  # the output stops being read: the run stalls once the pipe is full
"$fixture" produce "$b" lag user < "$tmp/e.jsonl" 2> /dev/null
behind="0 0"
for _ in $(seq 100); do
  behind=$(lag_sum "$murl")
  [ "${behind#* }" -gt 0 ] && break
  sleep 0.1
done
expect "lag shown while an output holds the run" yes "$([ "${behind#* }" -gt 100 ] && echo yes)"
kill -CONT "$reader"
for _ in $(seq 100); do
  behind=$(lag_sum "$murl")
  [ "$behind" = "2 0" ] && break
  sleep 0.1
done
expect "lag 0 on both partitions once all is read" "2 0" "$behind"
kill -TERM "$lagrun"
wait "$lagrun"
expect "lag run exit" 0 $?
kill "$reader" 2> /dev/null

# A reload under Kafka input (CLI.md "Live operation"): the sequence rule is unchanged and keeps
# its partial matches across the SIGHUP, the new single-event rule sees only what comes after.
# Want: `twice` over all events (as a file run) and `big` over the second half alone.
head -1500 "$tmp/e.jsonl" > "$tmp/e1.jsonl"
tail -n +1501 "$tmp/e.jsonl" > "$tmp/e2.jsonl"
grep twice "$tmp/r.strix" > "$tmp/r1.strix"
grep big "$tmp/r.strix" > "$tmp/big.strix"
{
  "$strix" run "$tmp/r1.strix" -i "$tmp/e.jsonl" --output-events ids 2> /dev/null
  "$strix" run "$tmp/big.strix" -i "$tmp/e2.jsonl" --output-events ids 2> /dev/null
} | ids_of > "$tmp/wantR.ids"
cp "$tmp/r1.strix" "$tmp/live.strix"
"$strix" run "$tmp/live.strix" -i "kafka://$b/reload" -o "kafka://$b/ralerts" --group rl \
  --output-events ids --metrics 127.0.0.1:0 --stats 2> "$tmp/errR" &
rl=$!
for _ in $(seq 300); do grep -q 'Kafka: assigned' "$tmp/errR" && break; sleep 0.1; done
rurl=$(grep -o 'http://[^ ]*/metrics' "$tmp/errR")
"$fixture" produce "$b" reload user < "$tmp/e1.jsonl" 2> /dev/null
for _ in $(seq 300); do  # the first half read and matched
  scrape "$rurl" | grep -q '^strix_events_received_total 1500$' && break
  sleep 0.1
done
cp "$tmp/r.strix" "$tmp/live.strix"
kill -HUP "$rl"
for _ in $(seq 300); do grep -q 'rules reloaded' "$tmp/errR" && break; sleep 0.1; done
expect "Kafka reload: said, the sequence rule's partial matches kept" 1 \
  "$(grep -cE 'rules reloaded after 1500 events: 2 rules, [1-9][0-9]* partial matches kept' "$tmp/errR")"
"$fixture" produce "$b" reload user < "$tmp/e2.jsonl" 2> /dev/null
"$fixture" consume "$b" ralerts "$(wc -l < "$tmp/wantR.ids")" 60 | ids_of > "$tmp/gotR.ids"
kill -TERM "$rl"
wait "$rl"
expect "Kafka reload: run exit" 0 $?
expect "Kafka reload: complex events as the split file runs" same \
  "$(cmp -s "$tmp/wantR.ids" "$tmp/gotR.ids" && echo same)"

finish
