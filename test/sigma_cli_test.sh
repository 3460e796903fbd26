#!/usr/bin/env bash
# strix import sigma from the command line: the shipped example translates to the rules of
# rules/examples/sigma_windows.strix; bad files are skipped one line each with the reason and
# counted; the output passes `strix check`; exit codes. Usage: sigma_cli_test.sh STRIX REPO_ROOT
set -u
strix=$1
root=$2
source "$(dirname "$0")/cli_lib.sh"

# The example: the rule text of sigma_windows.strix is the import's output, unedited.
(cd "$root" && "$strix" import sigma rules/examples/sigma -o "$tmp/ex.strix" 2> "$tmp/err")
expect "example exit" 0 $?
expect "example count" "3 rules translated, 0 skipped" "$(tail -1 "$tmp/err")"
tail -n +3 "$tmp/ex.strix" > "$tmp/ex.rules"
sed -n '5,/^test /p' "$root/rules/examples/sigma_windows.strix" | sed '$d' | sed '$d' > "$tmp/shipped.rules"
expect "example is the import" "" "$(diff "$tmp/ex.rules" "$tmp/shipped.rules")"

# A folder with good, bad and nested files.
mkdir -p "$tmp/in/sub"
cp "$root"/rules/examples/sigma/*.yml "$tmp/in/"
cp "$root/rules/examples/sigma/certutil_download.yml" "$tmp/in/sub/"
printf 'title: [unclosed\n' > "$tmp/in/broken.yml"
printf 'title: k\nlogsource:\n  category: p\ndetection:\n  keywords:\n    - evil\n  condition: keywords\n' > "$tmp/in/keywords.yml"
printf 'title: m\nlogsource:\n  category: p\ndetection:\n  sel:\n    A|frob: x\n  condition: sel\n' > "$tmp/in/modifier.yml"
printf 'not: a rule\n' > "$tmp/in/ignored.yaml"
"$strix" import sigma "$tmp/in" > "$tmp/out.strix" 2> "$tmp/err"
expect "folder exit" 0 $?
expect "folder count" "4 rules translated, 3 skipped" "$(tail -1 "$tmp/err")"
expect "broken named" 1 "$(grep -c "in/broken.yml: skipped: not YAML" "$tmp/err")"
expect "keywords named" 1 "$(grep -c "in/keywords.yml: skipped: search 'keywords' is a keyword search" "$tmp/err")"
expect "modifier named" 1 "$(grep -c "in/modifier.yml: skipped: the modifier 'frob' is not supported" "$tmp/err")"
expect "duplicate name noted" 1 "$(grep -c "sub/certutil_download.yml: note: named 'certutil_download_2'" "$tmp/err")"
expect "rules written" 4 "$(grep -c '^rule ' "$tmp/out.strix")"
"$strix" check "$tmp/out.strix" > "$tmp/check" 2>&1
expect "output checks" 0 $?
expect "check summary" "4 rules, 0 errors, 0 warnings" "$(tail -1 "$tmp/check")"

# Nothing translated: exit 1; a path that does not exist: exit 2.
"$strix" import sigma "$tmp/in/broken.yml" > /dev/null 2> "$tmp/err"
expect "none translated exit" 1 $?
expect "none count" "0 rules translated, 1 skipped" "$(tail -1 "$tmp/err")"
"$strix" import sigma "$tmp/nope" 2> "$tmp/err"
expect "missing path exit" 2 $?
expect "missing path named" 1 "$(grep -c "nope" "$tmp/err")"
"$strix" import sigma "$tmp/in/modifier.yml" "$tmp/in/sub" -o /nonexistent/dir/x.strix 2> "$tmp/err"
expect "unwritable output exit" 2 $?
finish
