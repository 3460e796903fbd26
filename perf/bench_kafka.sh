#!/usr/bin/env bash
# Throughput of `strix run` through Kafka, end to end (JSON messages in, complex events out),
# against librdkafka's mock cluster (test/kafka_fixture, in-process brokers on loopback: no
# network, no disk, so this measures strix and librdkafka, not a Kafka deployment).
# Cases: 1 and 2 members, at least once (no --state) and exactly once (--state: one
# transaction per checkpoint, state records per partition).
# Before timing, the complex events of each case are checked against a file run (by id).
# The clock starts when every member holds its partitions (group joins excluded) and stops when
# the consumer of the output has read every complex event.
# The mock keeps at most 100,000 messages or 5 MiB per partition (older ones are dropped), so
# EVENTS / PARTITIONS stays at or below 50,000 here.
# Usage: perf/bench_kafka.sh BUILD_DIR [EVENTS] [PARTITIONS] [CHECKPOINT_EVERY]
set -u
build=${1:-build}
events=${2:-200000}
partitions=${3:-8}
every=${4:-1s}
if [ $((events / partitions)) -gt 50000 ]; then
  echo "bench_kafka: at most 50000 events per partition (the mock cluster drops older messages)" >&2
  exit 2
fi
strix=$build/strix
fixture=$build/kafka_fixture
tmp=$(mktemp -d)
mkfifo "$tmp/ctl"
topics=""
for c in alo1 alo2 eos1 eos2; do topics="$topics in_$c:$partitions out_$c:4 $c.strix-state:1"; done
# shellcheck disable=SC2086
"$fixture" cluster $topics < "$tmp/ctl" > "$tmp/cluster" 2> /dev/null &
exec 3> "$tmp/ctl"
trap 'exec 3>&-; kill $(jobs -p) 2> /dev/null; wait 2> /dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do grep -q bootstrap "$tmp/cluster" && break; sleep 0.1; done
b=$(awk '/bootstrap/{print $2}' "$tmp/cluster")

cat > "$tmp/r.strix" << 'RULES'
rule big on pay where amount > 990 emit { a: amount }
rule twice on sequence by user within 50ms a: login b: pay where amount > 900 emit { a: b.amount }
RULES
python3 - "$tmp/e.jsonl" "$events" << 'GEN'
import json, random, sys
random.seed(3)
with open(sys.argv[1], 'w') as f:
    for i in range(int(sys.argv[2])):
        f.write(json.dumps({'type': random.choice(['login', 'pay', 'pay']),
                            'user': 'u%d' % random.randint(0, 9999), 'ts': i,
                            'amount': random.randint(1, 1000), 'id': 'e%d' % i}) + '\n')
GEN
ids() { python3 -c '
import json, sys
for l in sys.stdin: print(json.loads(l)["id"])' | sort; }
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" --output-events ids 2> /dev/null | ids > "$tmp/want"
want=$(wc -l < "$tmp/want")
echo "strix $("$strix" --version 2>&1 | head -1); $events events, $partitions partitions, $want complex events; checkpoints every $every"
echo "case                 members  seconds  events/s  correct"

run_case() {  # NAME MEMBERS [options...]
  local name=$1 members=$2
  shift 2
  "$fixture" produce "$b" "in_$name" user < "$tmp/e.jsonl" 2> /dev/null
  local pids=()
  for m in $(seq "$members"); do
    "$strix" run "$tmp/r.strix" -i "kafka://$b/in_$name" -o "kafka://$b/out_$name" \
      --group "$name" --output-events ids --checkpoint-every "$every" "$@" 2> "$tmp/err.$name.$m" &
    pids+=($!)
  done
  # Started once every member holds partitions (a member that joins later moves them again).
  for _ in $(seq 600); do
    local n=0
    for m in $(seq "$members"); do grep -q 'Kafka: assigned' "$tmp/err.$name.$m" && n=$((n + 1)); done
    [ "$n" -eq "$members" ] && break
    sleep 0.05
  done
  local t0
  t0=$(date +%s.%N)
  "$fixture" consume "$b" "out_$name" "$want" 120 | ids > "$tmp/got.$name"
  local t1
  t1=$(date +%s.%N)
  kill -TERM "${pids[@]}" 2> /dev/null
  wait "${pids[@]}" 2> /dev/null
  local ok=no
  cmp -s "$tmp/want" "$tmp/got.$name" && ok=yes
  python3 -c "
s = $t1 - $t0
print('%-20s %7d %8.2f %9.0f  %s' % ('$name', $members, s, $events / s, '$ok'))"
}
run_case alo1 1
run_case eos1 1 --state "$tmp/unused"
run_case alo2 2
run_case eos2 2 --state "$tmp/unused"
