#!/usr/bin/env bash
# Tables (LANGUAGE.md 7) end to end: `strix run` over M events (tx of 100k users, whose profiles
# are preloaded with --table, a share of the events user_profile changelog events), with rules that look the profile up, at --threads 1 and
# 2, against the same rules with the lookups replaced by fields the tx events carry (drawn the
# same way, so that about as many complex events come out: what the join costs). events/s, median of 3; the outputs of 1 and 2 threads are compared first.
# Usage: perf/bench_tables.sh BUILD_DIR [M] [CHANGELOG_PERCENT]
set -u
build=${1:-build}
m=${2:-1000000}
pct=${3:-2}
strix=$build/strix
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$m" "$pct" "$tmp" << 'PY'
import json, random, sys
m, pct, d = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
random.seed(3)
countries = ['GB', 'FR', 'DE', 'US', 'NG', 'BR']
with open(d + '/profiles.jsonl', 'w') as f:  # every user has a row from the start (--table)
    for u in range(100000):
        f.write(json.dumps({'user_id': 'u%d' % u, 'tier': random.choice(['gold', 'silver']),
                            'home': random.choice(countries), 'limit': random.randrange(100, 5000)},
                           separators=(',', ':')) + '\n')
with open(d + '/ev.jsonl', 'w') as f:
    for i in range(m):
        u = 'u%d' % random.randrange(100000)
        if random.random() * 100 < pct:
            e = {'type': 'user_profile', 'ts': i, 'user_id': u, 'tier': random.choice(['gold', 'silver']),
                 'home': random.choice(countries), 'limit': random.randrange(100, 5000)}
        else:
            e = {'type': 'tx', 'ts': i, 'id': 'e%d' % i, 'user': u, 'country': random.choice(countries),
                 'amount': random.randrange(1, 6000), 'tier': random.choice(['gold', 'silver']),
                 'home': random.choice(countries), 'limit': random.randrange(100, 5000)}
        f.write(json.dumps(e, separators=(',', ':')) + '\n')
rules = ['rule foreign_gold on tx where T.tier == "gold" and country != T.home',
         'rule over_limit on tx where amount > T.limit emit { user: user, limit: T.limit }',
         'rule silver_big on tx where T.tier == "silver" and amount > 4000']
with open(d + '/lookup.strix', 'w') as f:
    f.write('table profile by user_id from user_profile\n')
    for r in rules: f.write(r.replace('T.', 'profile[user].') + '\n')
with open(d + '/plain.strix', 'w') as f:
    for r in rules: f.write(r.replace('T.', '') + '\n')
PY
table=(--table "profile=$tmp/profiles.jsonl")
"$strix" run "$tmp/lookup.strix" -i "$tmp/ev.jsonl" "${table[@]}" --output-events ids --threads 1 -o "$tmp/o1" 2> /dev/null
"$strix" run "$tmp/lookup.strix" -i "$tmp/ev.jsonl" "${table[@]}" --output-events ids --threads 2 -o "$tmp/o2" 2> /dev/null
cmp -s "$tmp/o1" "$tmp/o2" || { echo "threads 1 and 2 differ"; exit 1; }
echo "rules   threads  events/s(median of 3)  complex_events"
for r in lookup plain; do
  extra=()
  [ "$r" = lookup ] && extra=("${table[@]}")
  for t in 1 2; do
    rates=()
    for _ in 1 2 3; do
      rates+=("$("$strix" run "$tmp/$r.strix" -i "$tmp/ev.jsonl" "${extra[@]}" --output-events ids --threads "$t" \
        -o "$tmp/out" --stats 2>&1 | grep -o 'events/s: [0-9]*' | grep -o '[0-9]*')")
    done
    echo "$r  $t  $(printf '%s\n' "${rates[@]}" | sort -n | sed -n 2p)  $(wc -l < "$tmp/out")"
  done
done
