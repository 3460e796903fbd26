#!/usr/bin/env bash
# CLI tests: exit codes, check's summary line, dead letters, gzip input, explain, --help,
# and `run` over the shipped example. Usage: cli_test.sh STRIX REPO_ROOT
set -u
strix=$1
root=$2
source "$(dirname "$0")/cli_lib.sh"

printf 'rule r on tx where amount > 5\nrule q on tx where\n' > "$tmp/bad.strix"
"$strix" check "$tmp/bad.strix" > "$tmp/out" 2> "$tmp/err"; expect "check bad exit" 1 $?
expect "check summary" "1 rule, 1 error, 0 warnings" "$(cat "$tmp/out")"
expect "check caret" 1 "$(grep -c 'bad.strix:3:1: error: expected expression, found end of file' "$tmp/err")"

printf 'rule r on tx where amount > 5 emit { a: amount }\nrule w on tx where false\n' > "$tmp/ok.strix"
"$strix" check "$tmp/ok.strix" > "$tmp/out" 2>/dev/null; expect "check ok exit" 0 $?
expect "check ok summary" "2 rules, 0 errors, 1 warning" "$(cat "$tmp/out")"

"$strix" run "$tmp/ok.strix" -i /nonexistent.jsonl 2> "$tmp/err"; expect "missing input exit" 2 $?
expect "missing input named" 1 "$(grep -c '/nonexistent.jsonl' "$tmp/err")"
"$strix" run "$tmp/missing.strix" < /dev/null 2>/dev/null; expect "missing rules exit" 2 $?
"$strix" run "$tmp/ok.strix" --bogus < /dev/null 2>/dev/null; expect "bad option exit" 2 $?
"$strix" run --help > /dev/null; expect "help exit" 0 $?
"$strix" check --help > /dev/null; expect "check help exit" 0 $?
"$strix" explain --help > /dev/null; expect "explain help exit" 0 $?

printf '{"type":"tx","amount":9,"id":"e1","ts":0}\nnot json\n{"type":"tx","amount":1,"ts":1}\n{"type":"tx","amount":7,"ts":2}\n' > "$tmp/ev.jsonl"
"$strix" run "$tmp/ok.strix" -i - --output-events ids --dead-letter "$tmp/dead.jsonl" < "$tmp/ev.jsonl" > "$tmp/out"
expect "run exit" 0 $?
expect "run output lines" 2 "$(wc -l < "$tmp/out")"
expect "run first" '{"rule":"r","time":"1970-01-01T00:00:00.000Z","key":null,"id":' "$(head -1 "$tmp/out" | cut -c1-62)"
expect "run stdin identity" 1 "$(grep -c '"id":"-:4"' "$tmp/out")"
expect "dead letter" '{"reason":"bad json","source":"-","line":2,"input":"not json"}' "$(cat "$tmp/dead.jsonl")"
gzip -c "$tmp/ev.jsonl" > "$tmp/ev.jsonl.gz"
"$strix" run "$tmp/ok.strix" -i "$tmp/ev.jsonl.gz" > "$tmp/out.gz.txt" 2>/dev/null
expect "gzip same ids" "$(cut -d, -f4 "$tmp/out" | head -1)" "$(cut -d, -f4 "$tmp/out.gz.txt" | head -1)"
"$strix" run "$tmp/ok.strix" -i "$tmp/ev.jsonl" > "$tmp/out2" 2>/dev/null
"$strix" run "$tmp/ok.strix" -i "$tmp/ev.jsonl" > "$tmp/out3" 2>/dev/null
expect "deterministic ids" "$(md5sum < "$tmp/out2")" "$(md5sum < "$tmp/out3")"

# Standard input that pauses: after a second of nothing the run gets a tick (it flushes,
# takes reloads and publishes metrics); the lines after it are read as usual.
mkfifo "$tmp/pause"
"$strix" run "$tmp/ok.strix" -i - --output-events ids --stats < "$tmp/pause" > "$tmp/out" 2> "$tmp/err" &
pid=$!
exec 4> "$tmp/pause"
echo '{"type":"tx","amount":9,"ts":0}' >&4
sleep 1.6
expect "paused input: the first event is out before the input goes on" 1 "$(wc -l < "$tmp/out")"
echo '{"type":"tx","amount":8,"ts":1}' >&4
exec 4>&-
wait "$pid"
expect "paused input: both events matched" 2 "$(wc -l < "$tmp/out")"
expect "paused input: both counted" 1 "$(grep -c '^events in: 2,' "$tmp/err")"

# strix rules: one line per rule (text), or a JSON array; a file with errors lists nothing.
"$strix" rules "$root/rules/examples/security.strix" > "$tmp/rules.txt"; expect "rules exit" 0 $?
expect "rules: one line per rule" 4 "$(wc -l < "$tmp/rules.txt")"
expect "rules: a sequence described" 1 \
  "$(grep -cE '^brute_force +sequence +login_failed,login_ok +by user +within 10m +- +.*security.strix:7$' "$tmp/rules.txt")"
"$strix" rules "$root/rules/examples/" --format json > "$tmp/rules.json"; expect "rules json exit" 0 $?
expect "rules json" "velocity sequence ['tx'] ['card'] 300000 3600000 24" "$(python3 -c '
import json, sys
for r in json.load(open(sys.argv[1])):
    if r["name"] == "velocity":
        print(r["name"], r["kind"], r["types"], r["key"], r["window_ms"], r["suppress_ms"], r["line"])
' "$tmp/rules.json")"
expect "rules json: every rule" "$(cat "$root"/rules/examples/*.strix | grep -c "^rule ")" "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$tmp/rules.json")"
"$strix" rules "$tmp/bad.strix" > "$tmp/out" 2> "$tmp/err"; expect "rules of a bad file exit" 1 $?
expect "rules of a bad file: the diagnostic" 1 "$(grep -c 'bad.strix:3:1: error' "$tmp/err")"
"$strix" --version > "$tmp/out"; expect "version exit" 0 $?
expect "version" 1 "$(grep -cE '^strix [0-9]+\.[0-9]+\.[0-9]+' "$tmp/out")"

"$strix" explain "$tmp/ok.strix" --rule r > "$tmp/explain"; expect "explain exit" 0 $?
expect "explain range" 1 "$(grep -c 'range      amount in (5, +inf)' "$tmp/explain")"
"$strix" explain "$tmp/ok.strix" --format dot | head -1 > "$tmp/dot"
expect "explain dot" "digraph strix {" "$(cat "$tmp/dot")"

if [ -f "$root/rules/examples/search.strix" ]; then
  "$strix" run "$root/rules/examples/search.strix" -i "$root/rules/examples/events.jsonl" > "$tmp/ex" 2>/dev/null
  expect "example exit" 0 $?
  expect "example output" "$(cat "$root/rules/examples/search.expected.jsonl")" "$(cat "$tmp/ex")"
fi

# strix test: exit 0 when every test passes, 1 with the failure shown and the closing line.
printf 'rule big on tx where amount > 10 emit { a: amount }\ntest "t"\n  given\n    {"type":"tx","amount":11,"ts":0}\n  expect big { a: 11 }\n' > "$tmp/t.strix"
"$strix" test "$tmp/t.strix" > "$tmp/out"; expect "test pass exit" 0 $?
expect "test pass line" "1 passed, 0 failed" "$(tail -1 "$tmp/out")"
sed 's/a: 11 }/a: 12 }/' "$tmp/t.strix" > "$tmp/t2.strix"
"$strix" test "$tmp/t2.strix" > "$tmp/out"; expect "test fail exit" 1 $?
expect "test fail line" "0 passed, 1 failed" "$(tail -1 "$tmp/out")"
expect "test fail shows expected" 1 "$(grep -cx '    expect big { a: 12 }' "$tmp/out")"
expect "test fail shows actual" 1 "$(grep -c '^    {"rule":"big",.*"fields":{"a":11}' "$tmp/out")"
"$strix" test --help > /dev/null; expect "test help exit" 0 $?

# strix replay over the recorded example stream against its golden file.
if [ -f "$root/rules/examples/recorded.jsonl" ]; then
  R="$root/rules/examples/fraud.strix $root/rules/examples/security.strix $root/rules/examples/ops.strix"
  G="$root/rules/examples/recorded.expected.jsonl"
  "$strix" replay $R --input "$root/rules/examples/recorded.jsonl" --expect "$G" > "$tmp/out"
  expect "replay golden exit" 0 $?
  expect "replay golden equal" 1 "$(grep -c 'all equal' "$tmp/out")"
  "$strix" replay $R --input "$root/rules/examples/recorded.jsonl" --expect "$G" --threads 2 --speed 100000 > "$tmp/out"
  expect "replay golden 2 threads paced" 0 $?
  sed -e '2d' -e 's/"fields":{"card":"cv0","total":[0-9]*/"fields":{"card":"cv0","total":1/' "$G" > "$tmp/g2.jsonl"
  "$strix" replay $R --input "$root/rules/examples/recorded.jsonl" --expect "$tmp/g2.jsonl" > "$tmp/out"
  expect "replay mismatch exit" 1 $?
  expect "replay appeared" 1 "$(grep -c '^  + appeared: ' "$tmp/out")"
  expect "replay changed" 1 "$(grep -c '^  ~ changed: .*"total":1,.* -> .*"card":"cv0"' "$tmp/out")"
  "$strix" replay $R --input "$root/rules/examples/recorded.jsonl" --expect "$tmp/g3.jsonl" --update > /dev/null
  expect "replay update exit" 0 $?
  expect "replay update wrote" "$(md5sum < "$G")" "$(md5sum < "$tmp/g3.jsonl")"
  echo 'not json' > "$tmp/g4.jsonl"
  "$strix" replay $R --input "$root/rules/examples/recorded.jsonl" --expect "$tmp/g4.jsonl" > /dev/null 2> "$tmp/err"
  expect "replay bad golden exit" 2 $?
  expect "replay bad golden message" 1 "$(grep -c 'golden file line 1 is not a complex event' "$tmp/err")"
  "$strix" replay $R --input "$root/rules/examples/recorded.jsonl" --expect "$tmp/missing.jsonl" > /dev/null 2>&1
  expect "replay missing golden exit" 2 $?
  "$strix" replay $R > /dev/null 2>&1; expect "replay needs input" 2 $?
  "$strix" replay $R --input "$root/rules/examples/recorded.jsonl" --speed fast > /dev/null 2>&1
  expect "replay bad speed" 2 $?
  "$strix" replay $R --input "$root/rules/examples/recorded.jsonl" --progress > /dev/null 2> "$tmp/err"
  expect "replay progress bar" 1 "$(grep -c '\[##############################\] 100% .* events, .* events/s' "$tmp/err")"
  "$strix" replay --help > /dev/null; expect "replay help exit" 0 $?
fi

# TCP: three concurrent clients into `run -i tcp://...`, then SIGTERM: every event matched,
# exit 0. (Ports are picked at random; a taken port is retried.)
printf 'rule big on tx where amount > 10 emit { a: amount }\n' > "$tmp/tcp.strix"
for attempt in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 20000))
  "$strix" run "$tmp/tcp.strix" -i "tcp://127.0.0.1:$port" --output-events ids > "$tmp/tcp.out" 2> "$tmp/tcp.err" &
  pid=$!
  sleep 0.3
  kill -0 $pid 2>/dev/null && break
done
for c in 1 2 3; do
  ( for i in $(seq 1 200); do printf '{"type":"tx","amount":%d}\n' $((i % 20)); done > /dev/tcp/127.0.0.1/$port ) &
done
wait_clients() { for j in $(jobs -p); do [ "$j" = "$pid" ] || wait "$j"; done; }
wait_clients
for i in $(seq 1 50); do [ "$(wc -l < "$tmp/tcp.out")" -ge 270 ] && break; sleep 0.1; done
kill -TERM $pid; wait $pid; expect "tcp run exit after SIGTERM" 0 $?
expect "tcp nothing lost" 270 "$(wc -l < "$tmp/tcp.out")"
expect "tcp identities are peer:line" 270 "$(grep -c '"id":"127.0.0.1:[0-9]*:[0-9]*"' "$tmp/tcp.out")"
expect "tcp three peers" 3 "$(grep -o '"id":"127.0.0.1:[0-9]*' "$tmp/tcp.out" | sort -u | wc -l)"

# Sequences on 1, 2 and 3 worker threads (parallel decode, sharded partitions, merged output)
# must write the same bytes, with and without a reorder delay.
cat > "$tmp/seq.strix" <<'RULES'
rule brute on sequence by user within 2s f: login_failed{3,} s: login_ok emit { n: count(f) }
rule quiet on sequence by user within 1s p: payment not shipment
rule spend on sequence by user within 1s t: tx+ having sum(t.amount) > 900 suppress 500ms
rule pick on tx where amount > 290
RULES
awk 'BEGIN { srand(7); split("login_failed login_ok payment shipment tx", ty, " ");
  for (i = 0; i < 20000; i++) {
    printf "{\"type\":\"%s\",\"ts\":%d,\"user\":\"u%d\",\"amount\":%d}\n",
      ty[1 + int(rand() * 5)], int(i / 4) - int(rand() * 30), int(rand() * 300), int(rand() * 300) }
}' > "$tmp/seq.jsonl"
for delay in 0s 20ms; do
  "$strix" run "$tmp/seq.strix" -i "$tmp/seq.jsonl" --max-delay $delay --threads 1 --dead-letter "$tmp/d1" > "$tmp/s1" 2>/dev/null
  expect "threads 1 delay $delay exit" 0 $?
  expect "threads 1 delay $delay has output" 1 "$([ "$(wc -l < "$tmp/s1")" -gt 100 ] && echo 1)"
  for t in 2 3 100; do
    "$strix" run "$tmp/seq.strix" -i "$tmp/seq.jsonl" --max-delay $delay --threads $t --dead-letter "$tmp/d$t" > "$tmp/s$t" 2>/dev/null
    expect "threads $t delay $delay same output" "$(md5sum < "$tmp/s1")" "$(md5sum < "$tmp/s$t")"
    expect "threads $t delay $delay same dead letters" "$(md5sum < "$tmp/d1")" "$(md5sum < "$tmp/d$t")"
  done
done
# With little state the first trial of one thread comes at the 4th batch of 4096 lines: the
# state moves to one thread's matcher (and maybe back), and the output is still the same.
"$strix" run "$tmp/seq.strix" -i "$tmp/seq.jsonl" --max-delay 0s --threads 1 > "$tmp/s1m" 2>/dev/null
"$strix" run "$tmp/seq.strix" -i "$tmp/seq.jsonl" --max-delay 0s --threads 2 --stats > "$tmp/s2m" \
  2> "$tmp/e2m"
expect "threads 2 moved: same output" "$(md5sum < "$tmp/s1m")" "$(md5sum < "$tmp/s2m")"
expect "threads 2 moved: batches on one thread" 1 \
  "$(grep -cE 'batches: [0-9]+ on the worker threads, [1-9][0-9]* on one thread' "$tmp/e2m")"
# Rules without a `by` key give the workers nothing to share out: one thread, and it is said.
cat > "$tmp/nokey.strix" <<'RULES'
rule pick on tx where amount > 290
rule pair on sequence within 1s every a: payment b: shipment where user == a.user
RULES
"$strix" run "$tmp/nokey.strix" -i "$tmp/seq.jsonl" --threads 1 > "$tmp/n1" 2> "$tmp/e1"
"$strix" run "$tmp/nokey.strix" -i "$tmp/seq.jsonl" --threads 2 > "$tmp/n2" 2> "$tmp/e2"
expect "no key: threads 2 same output" "$(md5sum < "$tmp/n1")" "$(md5sum < "$tmp/n2")"
expect "no key: one thread said" 1 "$(grep -c -- '--threads 2: matching on one thread' "$tmp/e2")"
expect "no key: nothing said with --threads 1" 0 "$(grep -c 'matching on one thread' "$tmp/e1")"
expect "keyed: nothing said" 0 "$("$strix" run "$tmp/seq.strix" -i "$tmp/seq.jsonl" --threads 2 2>&1 > /dev/null | grep -c 'matching on one thread')"

finish
