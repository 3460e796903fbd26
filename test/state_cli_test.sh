#!/usr/bin/env bash
# Checkpoint and restart tests of `strix run --state` (CLI.md "State: checkpoints and
# restarts"): a run killed with SIGKILL at several moments and started again with the same
# command ends with file outputs (complex events and dead letters) byte-identical to one
# uninterrupted run, with 1 and 2 threads, with and without --max-delay, plain and .gz input;
# a damaged newest checkpoint gives way to the previous one; a run with other options is
# refused naming the option; --state-reset starts afresh. Usage: state_cli_test.sh STRIX
set -u
strix=$1
source "$(dirname "$0")/cli_lib.sh"

cat > "$tmp/r.strix" <<'RULES'
rule big on pay where amount > 900 suppress 2s emit { a: amount }
rule seq on sequence by user within 3s a: login b: pay+ where amount > 100 c: logout having count(b) >= 2 emit { n: count(b), s: sum(b.amount) }
rule gone on sequence by user within 2s a: login not logout
rule rise on sequence by user every within 1s a: pay b: pay where amount > a.amount
RULES
python3 - "$tmp/e.jsonl" <<'GEN'
import json, random, sys
random.seed(7)
with open(sys.argv[1], 'w') as f:
    t = 0
    for i in range(100000):
        t += random.randint(0, 20)
        typ = random.choice(['login', 'pay', 'pay', 'pay', 'logout'])
        ev = {'type': typ, 'ts': t, 'user': 'u%d' % random.randint(0, 3000), 'id': 'e%d' % i}
        if typ == 'pay':
            ev['amount'] = random.randint(1, 1000)
        if random.random() < 0.001:
            f.write('not json\n')
            continue
        if random.random() < 0.0005:
            f.write('{"type":"pay","ts":%d,"user":"long","pad":"%s"}\n' % (t, 'x' * 3000))
            continue
        f.write(json.dumps(ev) + '\n')
GEN
gzip -kf "$tmp/e.jsonl"

# Kills at several moments (some before the first checkpoint, some after many), then the same
# command again; the restarted run must end with the uninterrupted run's bytes.
crash_case() {  # name input threads delay
  local name=$1 input=$2 threads=$3 delay=$4
  local common=(run "$tmp/r.strix" -i "$input" --threads "$threads" --max-delay "$delay" --max-line 2048)
  "$strix" "${common[@]}" -o "$tmp/ref.out" --dead-letter "$tmp/ref.dead" 2> /dev/null
  local restored=0
  for k in 0.03 0.12 0.25; do
    rm -rf "$tmp/state"
    "$strix" "${common[@]}" -o "$tmp/got.out" --dead-letter "$tmp/got.dead" --state "$tmp/state" \
      --checkpoint-every 5ms 2> /dev/null &
    local pid=$!
    sleep "$k"
    kill -9 "$pid" 2> /dev/null
    wait "$pid" 2> /dev/null
    "$strix" "${common[@]}" -o "$tmp/got.out" --dead-letter "$tmp/got.dead" --state "$tmp/state" \
      2> "$tmp/err"
    expect "$name kill@$k exit" 0 $?
    grep -q 'state: restored' "$tmp/err" && restored=$((restored + 1))
    expect "$name kill@$k output identical" same "$(cmp -s "$tmp/ref.out" "$tmp/got.out" && echo same)"
    expect "$name kill@$k dead letters identical" same "$(cmp -s "$tmp/ref.dead" "$tmp/got.dead" && echo same)"
  done
  # At least one kill landed after a checkpoint (else the test proves nothing).
  expect "$name some restarts restored state" yes "$([ "$restored" -ge 1 ] && echo yes)"
}
crash_case "1 thread" "$tmp/e.jsonl" 1 0s
crash_case "2 threads" "$tmp/e.jsonl" 2 0s
crash_case "1 thread delay" "$tmp/e.jsonl" 1 2s
crash_case "2 threads delay" "$tmp/e.jsonl" 2 2s
crash_case "gz" "$tmp/e.jsonl.gz" 1 0s

# A finished run started again writes the same bytes (from the end-of-input checkpoint).
rm -rf "$tmp/state"
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" -o "$tmp/got.out" --state "$tmp/state" --stats 2> "$tmp/err"
expect "stats count checkpoints" 1 "$(grep -c '^checkpoints: [1-9][0-9]* written, last [1-9][0-9]* bytes' "$tmp/err")"
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" -o "$tmp/ref.out" 2> /dev/null
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" -o "$tmp/got.out" --state "$tmp/state" 2> /dev/null
expect "finished run again identical" same "$(cmp -s "$tmp/ref.out" "$tmp/got.out" && echo same)"

# Other options than the checkpoint's: exit 2 naming the option; --state-reset starts afresh.
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" -o "$tmp/got.out" --state "$tmp/state" --time-field t 2> "$tmp/err"
expect "other time field exit" 2 $?
expect "other time field named" 1 "$(grep -c "made with --time-field 'ts' where this run has --time-field 't'" "$tmp/err")"
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl.gz" -o "$tmp/got.out" --state "$tmp/state" 2> "$tmp/err"
expect "other input exit" 2 $?
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" -o "$tmp/got.out" --state "$tmp/state" --time-field t --state-reset 2> "$tmp/err"
expect "state reset exit" 0 $?
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" --state-reset < /dev/null 2> "$tmp/err"
expect "state reset without state exit" 2 $?

# A damaged newest checkpoint: the previous one is used, and that is said.
rm -rf "$tmp/state"
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" -o "$tmp/got.out" --state "$tmp/state" --checkpoint-every 20ms 2> /dev/null
newest=$(ls "$tmp/state"/checkpoint-* | sort | tail -1)
printf 'torn' | dd of="$newest" bs=1 seek=100 conv=notrunc 2> /dev/null
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" -o "$tmp/got.out" --state "$tmp/state" 2> "$tmp/err"
expect "damaged newest exit" 0 $?
expect "damaged newest said" 1 "$(grep -c 'damaged.*using the one before it' "$tmp/err")"
expect "damaged newest output identical" same "$(cmp -s "$tmp/ref.out" "$tmp/got.out" && echo same)"
# Every checkpoint damaged: refused, not started empty.
for f in "$tmp/state"/checkpoint-*; do printf 'junk' > "$f"; done
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" -o "$tmp/got.out" --state "$tmp/state" 2> "$tmp/err"
expect "all damaged exit" 2 $?
expect "all damaged says reset" 1 "$(grep -c -- '--state-reset' "$tmp/err")"
# An output shortened outside strix cannot be continued exactly: refused.
rm -rf "$tmp/state"
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" -o "$tmp/got.out" --state "$tmp/state" 2> /dev/null
: > "$tmp/got.out"
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" -o "$tmp/got.out" --state "$tmp/state" 2> "$tmp/err"
expect "shortened output exit" 2 $?
expect "shortened output said" 1 "$(grep -c 'changed outside strix' "$tmp/err")"

# A checkpoint that cannot be written (here: past a file-size limit, as a full disk would) is
# reported; the run goes on and ends normally, its outputs whole.
# (State large, output small: every login waits for a `never` that does not come.)
rm -rf "$tmp/state"
printf 'rule big on pay where amount > 990\nrule open on sequence by user within 1h a: login b: never\n' > "$tmp/open.strix"
"$strix" run "$tmp/open.strix" -i "$tmp/e.jsonl" -o "$tmp/ref.out" 2> /dev/null
(ulimit -f 256; "$strix" run "$tmp/open.strix" -i "$tmp/e.jsonl" -o "$tmp/got.out" --state "$tmp/state" 2> "$tmp/err")
expect "checkpoint write fails exit" 0 $?
expect "checkpoint write fails said" 1 "$(grep -c 'cannot write checkpoint.*the previous checkpoint stays' "$tmp/err")"
expect "checkpoint write fails output whole" same "$(cmp -s "$tmp/ref.out" "$tmp/got.out" && echo same)"
expect "no checkpoint left behind" 0 "$(ls "$tmp/state" | grep -c checkpoint)"

finish
