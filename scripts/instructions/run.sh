#!/bin/sh
# Instructions of a first poll (parse, then record) for a tree, with callgrind:
#   scripts/instructions/run.sh [TREE] [--split] [--feeds N]
# TREE: a folder holding a `watchtower` package (default: this checkout; for an
# older commit, `git archive REV | tar -x -C /tmp/old`). Prints the instructions
# of each phase for the feeds measured (300 by default): divide by the feeds.
# Needs valgrind (`apt-get install valgrind`) and gcc. docs/polling.md, "Session 12".
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tree=${1:-$root}
[ $# -gt 0 ] && shift
[ -f "$here/cgmark.so" ] || gcc -shared -fPIC -O2 -o "$here/cgmark.so" "$here/cgmark.c"
out=$(mktemp -d /tmp/wt-instructions-XXXXXX)
cd /tmp
PYTHONHASHSEED=0 valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no \
  --callgrind-out-file="$out/cg.%p" "$root/.venv/bin/python" -P "$here/driver.py" \
  --tree "$tree" "$@" 2>"$out/driver.log"
for f in "$out"/cg.*; do
  printf '%s %s\n' "$(grep -m1 '^desc: Trigger' "$f" | sed 's/.*Client Request: //')" \
    "$(grep -m1 '^summary:' "$f" | cut -d' ' -f2)"
done
grep '^feeds=' "$out/driver.log" || true
echo "callgrind files and the driver's log: $out"
