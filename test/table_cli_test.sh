#!/usr/bin/env bash
# Tables from the command line (LANGUAGE.md 7): --table NAME=FILE preloads (rows counted on
# standard error, bad lines dead-lettered with the file's name, unknown tables and unreadable
# files refused with exit 2), changelog events without a key said at the end, and a run with
# tables killed with SIGKILL and started again with --state ending byte-identical to one
# uninterrupted run (rows come back from the checkpoint, the preload file is not read again).
# Usage: table_cli_test.sh STRIX
set -u
strix=$1
source "$(dirname "$0")/cli_lib.sh"

cat > "$tmp/r.strix" <<'RULES'
table profile by user_id from user_profile delete on user_deleted
rule foreign on pay where profile[user].home != country and profile[user].tier == "gold" emit { u: user, home: profile[user].home }
rule unknown on pay where profile[user] is null and amount > 900
rule burst on sequence by user within 2s a: pay b: pay where amount > profile[user].limit emit { limit: profile[b.user].limit }
RULES
python3 - "$tmp" <<'GEN'
import json, random, sys
d = sys.argv[1]
random.seed(11)
c = ['GB', 'FR', 'DE']
with open(d + '/profiles.jsonl', 'w') as f:
    for u in range(0, 300, 2):
        f.write(json.dumps({'user_id': 'u%d' % u, 'tier': random.choice(['gold', 'silver']),
                            'home': random.choice(c), 'limit': random.randint(100, 900)}) + '\n')
    f.write('not json\n{"tier":"gold"}\n')
with open(d + '/e.jsonl', 'w') as f:
    t = 0
    for i in range(60000):
        t += random.randint(0, 10)
        u = 'u%d' % random.randint(0, 300)
        r = random.random()
        if r < 0.03:
            ev = {'type': 'user_profile', 'user_id': u, 'tier': random.choice(['gold', 'silver']),
                  'home': random.choice(c), 'limit': random.randint(100, 900)}
        elif r < 0.035:
            ev = {'type': 'user_deleted', 'user_id': u}
        elif r < 0.036:
            ev = {'type': 'user_profile', 'tier': 'gold'}  # no key: changes nothing
        else:
            ev = {'type': 'pay', 'user': u, 'country': random.choice(c), 'amount': random.randint(1, 1000)}
        ev['ts'] = t
        ev['id'] = 'e%d' % i
        f.write(json.dumps(ev) + '\n')
GEN

# Preloading.
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" --table "profile=$tmp/profiles.jsonl" -o "$tmp/ref.out" \
  --dead-letter "$tmp/ref.dead" 2> "$tmp/err"
expect "preload exit" 0 $?
expect "preload said" 1 "$(grep -c "table profile: 150 rows from $tmp/profiles.jsonl (2 rejected)" "$tmp/err")"
expect "preload bad line dead-lettered" 1 "$(grep -c "\"reason\":\"bad json\",\"source\":\"$tmp/profiles.jsonl\",\"line\":151" "$tmp/ref.dead")"
expect "preload row without key" 1 "$(grep -c "\"reason\":\"no table key\",\"source\":\"$tmp/profiles.jsonl\",\"line\":152" "$tmp/ref.dead")"
expect "keyless changelog said" 1 "$(grep -c "table profile: [1-9][0-9]* changelog events without a key changed nothing" "$tmp/err")"
expect "lookups fired" yes "$([ "$(grep -c '"rule":"foreign"' "$tmp/ref.out")" -gt 10 ] && echo yes)"
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" --table "profile=$tmp/profiles.jsonl" -o "$tmp/t2.out" \
  --threads 2 2> /dev/null
expect "2 threads identical" same "$(cmp -s "$tmp/ref.out" "$tmp/t2.out" && echo same)"
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" --table "nope=$tmp/profiles.jsonl" 2> "$tmp/err"
expect "unknown table exit" 2 $?
expect "unknown table named" 1 "$(grep -c "the rules have no table 'nope'" "$tmp/err")"
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" --table "profile=$tmp/missing.jsonl" 2> "$tmp/err"
expect "unreadable file exit" 2 $?
"$strix" run "$tmp/r.strix" -i "$tmp/e.jsonl" --table profile 2> "$tmp/err"
expect "bad --table exit" 2 $?

# SIGKILL and restart with --state: the same bytes as the uninterrupted run.
restored=0
for k in 0.05 0.15 0.3; do
  rm -rf "$tmp/state"
  common=(run "$tmp/r.strix" -i "$tmp/e.jsonl" --table "profile=$tmp/profiles.jsonl" -o "$tmp/got.out"
    --dead-letter "$tmp/got.dead" --state "$tmp/state")
  "$strix" "${common[@]}" --checkpoint-every 5ms 2> /dev/null &
  pid=$!
  sleep "$k"
  kill -9 "$pid" 2> /dev/null
  wait "$pid" 2> /dev/null
  "$strix" "${common[@]}" 2> "$tmp/err"
  expect "kill@$k exit" 0 $?
  if grep -q 'state: restored' "$tmp/err"; then
    restored=$((restored + 1))
    expect "kill@$k no second preload" 0 "$(grep -c 'rows from' "$tmp/err")"
  fi
  expect "kill@$k output identical" same "$(cmp -s "$tmp/ref.out" "$tmp/got.out" && echo same)"
done
expect "some restarts restored state" yes "$([ "$restored" -ge 1 ] && echo yes)"
finish
