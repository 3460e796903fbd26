#!/usr/bin/env bash
# Live reload (CLI.md "Live operation"): `strix run` reads events from a feeder that never
# pauses while the rule file changes 100 times (SIGHUP after each change). One single-event
# rule changes its threshold each time; a sequence rule stays unchanged and must keep its
# partial matches across every reload. The complex events must be those of the stream split at
# the reload points (strix says after how many events each took over), each part run with its
# rule set, plus the unchanged sequence rule over the whole stream: none lost, none twice.
# Then: a broken file leaves the running rules in place (said, counted); --watch reloads on a
# change without a signal; --reload-requires-tests refuses rules whose tests fail.
# Usage: reload_test.sh STRIX [RELOADS]
set -u
strix=$1
reloads=${2:-100}
source "$(dirname "$0")/cli_lib.sh"

version() {  # N: the rule file of version N
  cat << RULES
rule big on pay where amount > $((500 + $1 * 4)) emit { a: amount }
rule twice on sequence by user within 40ms a: login b: pay where amount > 500 emit { a: b.amount }
RULES
}
# The feeder: events of 50 users, time going up by 1 ms per event, 40 lines every 2 ms until
# the stop file appears; every event it wrote is kept in feed.jsonl (the stream as read).
cat > "$tmp/feeder.py" << 'PY'
import json, os, random, sys, time
random.seed(11)
out = open(sys.argv[1], 'w')
log = open(sys.argv[2], 'w')
i = 0
while not os.path.exists(sys.argv[3]):
    chunk = []
    for _ in range(40):
        chunk.append(json.dumps({'type': random.choice(['login', 'pay', 'pay']),
                                 'user': 'u%d' % random.randint(0, 49), 'ts': i,
                                 'amount': random.randint(1, 1000), 'id': 'e%d' % i}) + '\n')
        i += 1
    out.write(''.join(chunk)); out.flush()
    log.write(''.join(chunk)); log.flush()
    time.sleep(0.002)
out.close()
PY

version 0 > "$tmp/rules.strix"
mkfifo "$tmp/in"
"$strix" run "$tmp/rules.strix" -i - --output-events ids --threads 2 < "$tmp/in" \
  > "$tmp/out.jsonl" 2> "$tmp/err" &
pid=$!
python3 "$tmp/feeder.py" "$tmp/in" "$tmp/feed.jsonl" "$tmp/stop" &
feeder=$!
said() {
  local c
  c=$(grep -c "$1" "$tmp/err" 2> /dev/null)
  echo "${c:-0}"
}
for _ in $(seq 100); do [ -s "$tmp/feed.jsonl" ] && [ -s "$tmp/out.jsonl" ] && break; sleep 0.1; done
wait_count() {  # PATTERN N: waits (up to 20 s) until stderr has N lines matching
  for _ in $(seq 200); do
    [ "$(said "$1")" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
ok=yes
for k in $(seq "$reloads"); do
  version "$k" > "$tmp/rules.strix"
  kill -HUP "$pid"
  wait_count 'rules reloaded after' "$k" || { ok=no; break; }
done
expect "$reloads reloads under load, each said" yes "$ok"
touch "$tmp/stop"
wait "$feeder"
wait "$pid"
expect "run exit" 0 $?

# The reference: part k of the stream (between reload points) with version k's `big`, and
# `twice` over the whole stream.
grep -o 'rules reloaded after [0-9]*' "$tmp/err" | awk '{print $4}' > "$tmp/points"
expect "reload points rise" yes "$(sort -n -c "$tmp/points" 2> /dev/null && echo yes)"
total=$(wc -l < "$tmp/feed.jsonl")
echo 0 | cat - "$tmp/points" > "$tmp/starts"
echo "$total" | cat "$tmp/points" - > "$tmp/ends"
k=0
paste "$tmp/starts" "$tmp/ends" | while read -r from to; do
  sed -n "$((from + 1)),${to}p" "$tmp/feed.jsonl" > "$tmp/part"
  version "$k" | grep '^rule big' > "$tmp/big.strix"
  [ -s "$tmp/part" ] && "$strix" run "$tmp/big.strix" -i "$tmp/part" --output-events ids 2> /dev/null
  k=$((k + 1))
done > "$tmp/want.jsonl"
version 0 | grep '^rule twice' > "$tmp/twice.strix"
"$strix" run "$tmp/twice.strix" -i "$tmp/feed.jsonl" --output-events ids >> "$tmp/want.jsonl" 2> /dev/null
ids() { python3 -c '
import json, sys
for l in sys.stdin: print(json.loads(l)["id"])' | sort; }
ids < "$tmp/want.jsonl" > "$tmp/want.ids"
ids < "$tmp/out.jsonl" > "$tmp/got.ids"
expect "the stream was long enough" yes "$([ "$total" -gt 2000 ] && echo yes)"
expect "complex events: those of the stream split at the reload points" same \
  "$(cmp -s "$tmp/want.ids" "$tmp/got.ids" && echo same)"
expect "the unchanged sequence rule kept partial matches" yes \
  "$(grep -q 'rules reloaded after [0-9]* events: 2 rules, [1-9][0-9]* partial matches kept' "$tmp/err" && echo yes)"

# A broken file, a changed sequence rule, --watch and --reload-requires-tests, on a steady
# input: events go in through a FIFO held open by this script.
mkfifo "$tmp/in2"
tested() {  # WINDOW: a sequence rule with a test block that passes
  cat << RULES
rule twice on sequence by user within $1 a: login b: pay emit { u: a.user }
test "login then pay"
  given
    {"type":"login","user":"t","ts":0}
    {"type":"pay","user":"t","ts":1}
  expect twice { u: "t" }
RULES
}
tested 1h > "$tmp/w.strix"
"$strix" run "$tmp/w.strix" -i - --output-events ids --watch --reload-requires-tests --stats \
  < "$tmp/in2" > "$tmp/out2" 2> "$tmp/err2" &
pid=$!
exec 3> "$tmp/in2"
n=0
send() {  # TYPE USER
  printf '{"type":"%s","user":"%s","ts":%d,"id":"w%d"}\n' "$1" "$2" "$n" "$n" >&3
  n=$((n + 1))
}
send login u1
send pay u1
# Once its complex event is out, the run (and the watch on the files) is going.
for _ in $(seq 200); do [ -s "$tmp/out2" ] && break; sleep 0.1; done
printf 'rule twice on sequence by user within\n' > "$tmp/w.strix"  # broken (and watched)
wait_count2() { for _ in $(seq 100); do [ "$(grep -c "$1" "$tmp/err2")" -ge "$2" ] && return 0; sleep 0.1; done; return 1; }
expect "broken file: reload refused, said" yes "$(wait_count2 'reload failed, the running rules stay' 1 && echo yes)"
expect "broken file: the diagnostic names file and line" 1 \
  "$(grep -c 'w.strix:[0-9]*:[0-9]*: error' "$tmp/err2")"
# Rules whose own test fails are refused too.
cat > "$tmp/w.strix" << 'RULES'
rule twice on sequence by user within 1h a: login b: pay emit { u: a.user }
test "wrong on purpose"
  given
    {"type":"login","user":"t","ts":0}
  expect twice { u: "t" }
RULES
send login u2
expect "failing tests: reload refused" yes "$(wait_count2 'reload failed, the running rules stay' 2 && echo yes)"
expect "failing tests: named" 1 "$(grep -c 'tests failed: .*wrong on purpose' "$tmp/err2")"
send pay u2  # still the first rules: u2's sequence completes
# A changed sequence rule starts empty: its partial matches are dropped and counted.
send login u3
tested 2h > "$tmp/w.strix"
# Events of another user until the new rules have taken over (between two of them).
reloaded=no
for _ in $(seq 100); do
  send pay u4
  grep -q 'rules reloaded after' "$tmp/err2" && reloaded=yes && break
  sleep 0.1
done
expect "watched change: reloaded" yes "$reloaded"
expect "changed rule: its partial matches dropped and counted" 1 \
  "$(grep -c 'partial matches kept, 1 dropped with 1 changed or removed rules' "$tmp/err2")"
send pay u3  # u3's login went with the old rule: no complex event
send login u5
send pay u5
exec 3>&-
wait "$pid"
expect "watch run exit" 0 $?
expect "complex events across the reloads" "w1 w3 w$((n - 1))" \
  "$(python3 -c '
import json, sys
print(" ".join(sorted((json.loads(l)["events"][1]["id"] for l in open(sys.argv[1])), key=lambda i: int(i[1:]))))' "$tmp/out2")"
expect "stats count reloads" 1 "$(grep -c '^reloads: 1, failed: 2' "$tmp/err2")"

finish
