# Shared by the CLI test scripts (sourced): a scratch folder removed at exit, expect() to
# compare a wanted value with what came out, and finish() to print the closing line
# "N passed, N failed" and return the status.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
expect() {  # name, wanted, got
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1: want [$2] got [$3]"; fi
}
finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}
