#!/usr/bin/env bash
# Moves the second lane's finished runs into the main plan's root, so that lane 1 skips them:
#   data/ablation/standard-2x64/merge_lane.sh [<worktree>] [<lane root>] [<main root>]
# Defaults: /work/wt/abl-std64, runs/abl-std64-seed3, runs/abl-std64 (roots relative to the
# worktree). Lane 1 reads its runs' states only when it starts, so it must not be running: stop
# it first (Ctrl-C or kill -INT: it saves a checkpoint), merge, then start it again with run.sh.
# A run is moved only when it is finished (its last.json names the plan's final step, 30,000)
# and the main root has no folder for it; partial runs stay where lane 2 resumes them.
set -euo pipefail
wt=${1:-/work/wt/abl-std64}
lane=${2:-runs/abl-std64-seed3}
main=${3:-runs/abl-std64}
final_step=30000
cd "$wt"
if pgrep -f -- "--out ${main}( |$)" >/dev/null; then
  echo "lane 1 (--out ${main}) is running: stop it first (kill -INT), then merge" >&2
  exit 1
fi
moved=0
for last in "$lane"/*/seed-*/last.json; do
  [ -e "$last" ] || continue
  run=${last%/last.json}
  rel=${run#"$lane"/}
  step=$(sed -n 's/.*"step": *\([0-9]*\).*/\1/p' "$last")
  if [ "$step" != "$final_step" ]; then
    echo "kept $rel: at step ${step:-?} of $final_step"
    continue
  fi
  if [ -e "$main/$rel" ]; then
    echo "kept $rel: $main/$rel already exists" >&2
    continue
  fi
  mkdir -p "$(dirname "$main/$rel")"
  mv "$run" "$main/$rel"
  echo "moved $rel -> $main/$rel"
  moved=$((moved + 1))
done
echo "$moved run(s) moved"
