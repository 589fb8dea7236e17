#!/usr/bin/env bash
# The standard-level seeded ablation, re-based on a 2x64 hourglass (configs/ablation_standard/base.json
# at the pinned commit: 2x64, 64 px, 30,000 steps, RMSprop 2e-3, rate x0.2 after step 25,000),
# trained in a worktree pinned at the commit given as $1 so that every run of the plan, across
# sessions, uses the same code:
#   data/ablation/standard-2x64/run.sh <commit> [<worktree>] [<seeds> <out>]
# A second lane on the other core trains some seeds into their own root, e.g.
#   data/ablation/standard-2x64/run.sh 23276a0 /work/wt/abl-std64 3 runs/abl-std64-seed3
# and its finished run folders are moved into runs/abl-std64/<row>/seed-3 (their checkpoint
# pointers are relative) before the main lane reaches that seed.
# A stopped plan continues where it stopped (--resume); finished runs are skipped. The runs are
# ordered seed by seed, so the first one (hourglass, seed 1) is the calibration: it must reach
# PCKh@0.5 >= 75 for the plan to be the one issue #12 item 5 asks for.
set -euo pipefail
commit=$1
wt=${2:-/work/wt/abl-std64}
seeds=${3:-1,2,3}
out=${4:-runs/abl-std64}
if [ ! -d "$wt" ]; then git worktree add --detach "$wt" "$commit"; fi
cd "$wt"
test "$(git rev-parse HEAD)" = "$(git rev-parse "$commit")" || { echo "$wt is not at $commit" >&2; exit 1; }
export KIT_NATIVE_THREADS=1 KIT_WASM_THREADS=1
resume=""
if [ -d "$out" ]; then resume="--resume"; fi
exec nice -n 10 deno task ablation --base configs/ablation_standard/base.json --seeds "$seeds" \
  --out "$out" $resume
