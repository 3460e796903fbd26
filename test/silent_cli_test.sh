#!/usr/bin/env bash
# CLI regression tests for "nothing silent": every bad option, bad input file, failed output
# and interrupted run gives a clear answer and the documented exit status; nothing is dropped
# quietly. Usage: silent_cli_test.sh STRIX
set -u
strix=$1
source "$(dirname "$0")/cli_lib.sh"

printf 'rule r on e emit { v: v }\n' > "$tmp/r.strix"
printf '{"type":"e","v":1,"ts":0}\n{"type":"e","v":2,"ts":1}\n' > "$tmp/e.jsonl"

# Options that do not fit or contradict each other: exit 2, naming the option.
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" --type-field ts --time-field ts > /dev/null 2> "$tmp/err"
expect "same field twice exit" 2 $?
expect "same field twice named" 1 "$(grep -c -- '--type-field and --time-field' "$tmp/err")"
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" --time-field "" > /dev/null 2>&1; expect "empty time field exit" 2 $?
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" --id-field "a..b" > /dev/null 2>&1; expect "empty segment exit" 2 $?
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" --max-line 18446744073709551615 > /dev/null 2>&1; expect "huge max-line exit" 2 $?
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" --max-delay 110000000000d > /dev/null 2>&1; expect "huge max-delay exit" 2 $?
printf 'rule s on e by v suppress 110000000000d\n' > "$tmp/sup.strix"
"$strix" check "$tmp/sup.strix" > /dev/null 2> "$tmp/err"; expect "huge suppress is an error" 1 $?
expect "huge suppress message" 1 "$(grep -c 'duration of at most 9e15 ms' "$tmp/err")"

# One value per -i: the rules after it stay the rules.
"$strix" run -i "$tmp/e.jsonl" "$tmp/r.strix" > "$tmp/out" 2>&1; expect "-i before rules exit" 0 $?
expect "-i before rules output" 2 "$(wc -l < "$tmp/out")"
"$strix" --version > "$tmp/out"; expect "version exit" 0 $?
expect "version text" 1 "$(grep -c '^strix [0-9]' "$tmp/out")"
"$strix" rnu "$tmp/r.strix" 2> "$tmp/err"; expect "unknown command exit" 2 $?
expect "did you mean run" 1 "$(grep -c "did you mean 'run'" "$tmp/err")"

"$strix" run "$tmp/r.strix" --max-dealy 5s < /dev/null 2> "$tmp/err"; expect "misspelt option exit" 2 $?
expect "did you mean --max-delay" 1 "$(grep -c "did you mean '--max-delay'" "$tmp/err")"

# A folder of rules means its *.strix files; a folder without any, and a test run with no test
# blocks, say so.
mkdir -p "$tmp/rules" "$tmp/empty"
cp "$tmp/r.strix" "$tmp/rules/a.strix"
printf 'rule q on e\ntest "q fires"\n  given\n    {"type":"e"}\n  expect q\n' > "$tmp/rules/b.strix"
"$strix" check "$tmp/rules" > "$tmp/out" 2>&1; expect "folder check exit" 0 $?
expect "folder check summary" "2 rules, 0 errors, 0 warnings" "$(cat "$tmp/out")"
"$strix" test "$tmp/rules" > "$tmp/out" 2>&1; expect "folder test exit" 0 $?
expect "folder test line" "1 passed, 0 failed" "$(tail -1 "$tmp/out")"
"$strix" check "$tmp/empty" > /dev/null 2> "$tmp/err"; expect "empty folder exit" 2 $?
expect "empty folder message" 1 "$(grep -c 'holds no \*.strix files' "$tmp/err")"
"$strix" test "$tmp/r.strix" > /dev/null 2> "$tmp/err"; expect "no tests exit" 1 $?
expect "no tests message" 1 "$(grep -c 'no test blocks' "$tmp/err")"
: > "$tmp/blank.strix"
"$strix" check "$tmp/blank.strix" > /dev/null 2> "$tmp/err"
expect "no rules warning" 1 "$(grep -c 'no rules' "$tmp/err")"

# A truncated .gz is an error naming the file, not a quiet end of input.
awk 'BEGIN { for (i = 0; i < 50000; i++) printf "{\"type\":\"e\",\"v\":%d,\"ts\":%d}\n", i, i }' > "$tmp/many.jsonl"
gzip -c "$tmp/many.jsonl" > "$tmp/many.jsonl.gz"
head -c 30000 "$tmp/many.jsonl.gz" > "$tmp/trunc.jsonl.gz"
"$strix" run "$tmp/r.strix" -i "$tmp/trunc.jsonl.gz" > /dev/null 2> "$tmp/err"; expect "truncated gz exit" 2 $?
expect "truncated gz named" 1 "$(grep -c "error reading '$tmp/trunc.jsonl.gz': unexpected end of file" "$tmp/err")"
"$strix" run "$tmp/r.strix" -i "$tmp/many.jsonl.gz" > "$tmp/out" 2>&1; expect "whole gz exit" 0 $?
expect "whole gz lines" 50000 "$(wc -l < "$tmp/out")"

# A failed output is exit 2, the dead letters included.
printf 'not json\n' > "$tmp/bad.jsonl"
"$strix" run "$tmp/r.strix" -i "$tmp/bad.jsonl" --dead-letter /dev/full > /dev/null 2> "$tmp/err"
expect "dead letters to a full disk exit" 2 $?
expect "dead letters lost said" 1 "$(grep -c 'dead letters lost' "$tmp/err")"
"$strix" run "$tmp/r.strix" -i "$tmp/many.jsonl" -o /dev/full 2> /dev/null; expect "output to a full disk exit" 2 $?

# replay --update writes the golden file only after a complete, successful run.
printf 'old golden\n' > "$tmp/golden.jsonl"
"$strix" replay "$tmp/r.strix" -i "$tmp/many.jsonl" --expect "$tmp/golden.jsonl" --update -o /dev/full > /dev/null 2>&1
expect "failed replay keeps golden" "old golden" "$(cat "$tmp/golden.jsonl")"
expect "no temp file left" 0 "$(ls "$tmp" | grep -c 'golden.jsonl.tmp')"
"$strix" replay "$tmp/r.strix" -i "$tmp/e.jsonl" --expect "$tmp/golden.jsonl" --update > /dev/null 2>&1
expect "replay update exit" 0 $?
expect "replay update wrote" 2 "$(wc -l < "$tmp/golden.jsonl")"

# Paced replay writes a complex event when it is due (not at the end) and a signal ends a long
# wait at once.
printf '{"type":"e","v":"first","ts":0}\n{"type":"e","v":"later","ts":100000000}\n' > "$tmp/gap.jsonl"
"$strix" replay "$tmp/r.strix" -i "$tmp/gap.jsonl" --speed 1 --output-events none -o "$tmp/paced.out" 2>/dev/null &
pid=$!
for i in $(seq 1 30); do [ -s "$tmp/paced.out" ] && break; sleep 0.1; done
expect "paced output when due" 1 "$(grep -c '"v":"first"' "$tmp/paced.out")"
kill -INT $pid
t0=$(date +%s)
wait $pid; expect "paced replay exit after SIGINT" 0 $?
expect "paced replay wakes at once" 1 "$([ $(( $(date +%s) - t0 )) -le 2 ] && echo 1)"

# --stats and the dead-letter summary count rejected lines alike (late ones included).
printf '{"type":"e","ts":10}\n{"type":"e","ts":5}\nbad\n' > "$tmp/late.jsonl"
"$strix" run "$tmp/r.strix" -i "$tmp/late.jsonl" --stats > /dev/null 2> "$tmp/err"
expect "stats rejected includes late" 1 "$(grep -c 'late: 1, rejected: 2' "$tmp/err")"
expect "summary rejected" 1 "$(grep -c '2 input lines rejected (bad json: 1, late: 1)' "$tmp/err")"

# --max-state: one hot key under `every` with A+ holds the state to the limit, says so once on
# standard error and counts the drops; a size that is not one is exit 2.
printf 'rule h on sequence by k every a: A+ b: B\n' > "$tmp/hot.strix"
for i in $(seq 0 199); do printf '{"type":"A","k":1,"ts":%d}\n' "$i"; done > "$tmp/hot.jsonl"
printf '{"type":"B","k":1,"ts":500}\n' >> "$tmp/hot.jsonl"
"$strix" run "$tmp/hot.strix" -i "$tmp/hot.jsonl" --threads 1 --max-state 256KB --stats > "$tmp/out" 2> "$tmp/err"
expect "max-state exit" 0 $?
expect "max-state warning once" 1 "$(grep -c 'warning: --max-state 262144 bytes reached' "$tmp/err")"
expect "max-state counted" 1 "$(grep -c 'by --max-state: [1-9]' "$tmp/err")"
expect "max-state newest still match" 1 "$(grep -c '"events":\[{"as":"a","event":{"type":"A","k":1,"ts":199}}' "$tmp/out")"
expect "max-state oldest gone" 0 "$(grep -c '"events":\[{"as":"a","event":{"type":"A","k":1,"ts":0}}' "$tmp/out")"
"$strix" run "$tmp/hot.strix" -i "$tmp/hot.jsonl" --threads 1 --stats > /dev/null 2> "$tmp/err"
expect "default max-state not reached" 0 "$(grep -c 'warning: --max-state' "$tmp/err")"
"$strix" run "$tmp/hot.strix" -i "$tmp/hot.jsonl" --max-state lots > /dev/null 2>&1; expect "bad max-state exit" 2 $?

# --max-future: a far-future event is dead-lettered as `future`, the events after it are not late.
printf '{"type":"e","ts":1000}\n{"type":"e","ts":"9999-12-31T00:00:00Z"}\n{"type":"e","ts":2000}\n' > "$tmp/fut.jsonl"
"$strix" run "$tmp/r.strix" -i "$tmp/fut.jsonl" --max-future 1d --dead-letter "$tmp/fut.dead" > "$tmp/out" 2>&1
expect "max-future exit" 0 $?
expect "max-future output" 2 "$(wc -l < "$tmp/out")"
expect "max-future dead letter" 1 "$(grep -c '"reason":"future","source":".*","line":2' "$tmp/fut.dead")"
"$strix" run "$tmp/r.strix" -i "$tmp/fut.jsonl" --max-future soon > /dev/null 2>&1; expect "bad max-future exit" 2 $?

# Several inputs are read at once: a TCP listener first does not keep the file after it from
# being read, and the listener's lines count too. SIGTERM processes what was read, exit 0.
for attempt in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 20000))
  "$strix" run "$tmp/r.strix" -i "tcp://127.0.0.1:$port" -i "$tmp/many.jsonl" --output-events none > "$tmp/mixed.out" 2> "$tmp/mixed.err" &
  pid=$!
  sleep 0.3
  kill -0 $pid 2>/dev/null && break
done
for i in $(seq 1 100); do [ "$(wc -l < "$tmp/mixed.out")" -ge 50000 ] && break; sleep 0.1; done
expect "file after a listener is read" 50000 "$(wc -l < "$tmp/mixed.out")"
( for i in $(seq 1 10); do printf '{"type":"e","v":"tcp%d","ts":60000}\n' $i; done > /dev/tcp/127.0.0.1/$port )
for i in $(seq 1 50); do [ "$(wc -l < "$tmp/mixed.out")" -ge 50010 ] && break; sleep 0.1; done
kill -TERM $pid; wait $pid; expect "mixed inputs exit after SIGTERM" 0 $?
expect "listener lines after the file" 10 "$(grep -c '"v":"tcp' "$tmp/mixed.out")"

# TCP output at least once: while the collector is down strix holds the input (and says so),
# when it comes up every complex event arrives; SIGTERM while it is down exits 2 at once,
# saying what was not delivered.
port=$((20000 + RANDOM % 20000))
"$strix" run "$tmp/r.strix" -i "$tmp/many.jsonl" --output-events none -o "tcp://127.0.0.1:$port" 2> "$tmp/tcpout.err" &
pid=$!
sleep 1
expect "collector down said" 1 "$(grep -c "output 'tcp://127.0.0.1:$port': down" "$tmp/tcpout.err")"
python3 - "$port" "$tmp/collected" <<'PY' &
import socket, sys
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1]))); srv.listen(1); srv.settimeout(30)
conn, _ = srv.accept(); conn.settimeout(30)
with open(sys.argv[2], "wb") as out:
    while True:
        b = conn.recv(65536)
        if not b: break
        out.write(b)
PY
collector=$!
wait $pid; expect "collector back: exit" 0 $?
wait $collector
expect "collector back: all delivered" 50000 "$(sort -u "$tmp/collected" | grep -c '"rule":"r"')"
expect "collector back said" 1 "$(grep -c 'back up after' "$tmp/tcpout.err")"
"$strix" run "$tmp/r.strix" -i "$tmp/many.jsonl" -o "tcp://127.0.0.1:$port" 2> "$tmp/tcpout.err" &
pid=$!
sleep 0.5
kill -TERM $pid
t0=$(date +%s)
wait $pid; expect "SIGTERM while the collector is down: exit" 2 $?
expect "SIGTERM acts at once" 1 "$([ $(( $(date +%s) - t0 )) -le 2 ] && echo 1)"
expect "undelivered output said" 1 "$(grep -c 'not delivered' "$tmp/tcpout.err")"

finish
