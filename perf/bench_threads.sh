#!/usr/bin/env bash
# `strix run --threads 1` against `--threads 2` (and more) end to end on the workloads of perf/:
# the CEP queries Q1-Q3 and Q10 (bench_cep), the fraud mix at 100k keys (bench_sequences),
# pub/sub bx1 (bench_pubsub) and one single-event rule over the CEP stream. Each workload's
# benchmark checks its engine against a reference or brute force before writing the files; here
# every thread count must write the same bytes as one thread. Rounds are interleaved, in turn
# forwards and backwards (1 2, 2 1, 1 2, ...: this VM's speed drifts within seconds), and the
# median wall time of each count is printed with its ratio to one thread (x > 1: faster).
# Usage: perf/bench_threads.sh BUILD_DIR [ROUNDS] [THREADS...]   (default 3 rounds, threads 2)
set -u
build=${1:-build}
rounds=${2:-3}
shift $(($# < 2 ? $# : 2))
counts=(1 ${*:-2})
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/bench_cep" --write "$tmp" 1000000 Q1 Q2 Q3 Q10 > /dev/null || exit 1
"$build/bench_sequences" --write "$tmp" 1000000 100000 || exit 1
"$build/bench_pubsub" --write "$tmp" bx1 > /dev/null || exit 1
echo 'rule pick on A where x < 10 emit { id: id }' > "$tmp/single.strix"
loads=("Q1 Q1.strix events.jsonl" "Q2 Q2.strix events.jsonl" "Q3 Q3.strix events.jsonl"
  "Q10 Q10.strix events.jsonl" "fraud fraud.strix fraud.jsonl" "bx1 bx1.strix bx1.jsonl"
  "single single.strix events.jsonl")
echo "# seconds: median of $rounds (strix run --output-events ids -o FILE); x = t1 / tN"
printf '%-7s' workload
for t in "${counts[@]}"; do printf ' %8s' "t$t"; done
for t in "${counts[@]:1}"; do printf ' %7s' "x$t"; done
echo
for load in "${loads[@]}"; do
  set -- $load
  declare -A times=()
  for r in $(seq "$rounds"); do
    order=("${counts[@]}")
    if ((r % 2 == 0)); then order=($(printf '%s\n' "${counts[@]}" | tac)); fi
    for t in "${order[@]}"; do
      rm -f "$tmp/out$t"
      s=$(date +%s.%N)
      "$build/strix" run "$tmp/$2" -i "$tmp/$3" --output-events ids -o "$tmp/out$t" \
        --threads "$t" 2> /dev/null || exit 1
      e=$(date +%s.%N)
      times[$t]="${times[$t]:-} $(python3 -c "print($e - $s)")"
    done
  done
  for t in "${counts[@]:1}"; do
    if ! cmp -s "$tmp/out1" "$tmp/out$t"; then
      echo "$1: --threads $t wrote other bytes than --threads 1" >&2
      exit 1
    fi
  done
  printf '%-7s' "$1"
  declare -A med=()
  for t in "${counts[@]}"; do
    med[$t]=$(printf '%s\n' ${times[$t]} | sort -g | sed -n "$(((rounds + 1) / 2))p")
    printf ' %8.3f' "${med[$t]}"
  done
  for t in "${counts[@]:1}"; do printf ' %7.2f' "$(python3 -c "print(${med[1]} / ${med[$t]})")"; done
  echo
  unset times med
done
