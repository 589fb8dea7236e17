#!/usr/bin/env bash
# One seed's lane of the easy-level seeded ablation: the five rows in order, each trained to the
# end of its schedule; a killed run continues with --resume, a finished one is skipped.
# Usage: runs/abl-easy/lane.sh <seed>
set -uo pipefail
cd "$(dirname "$0")/../.."
seed=$1
export KIT_NATIVE_THREADS=1 KIT_WASM_THREADS=1
for row in hourglass mss msr structure masking; do
  dir=runs/abl-easy/$row/seed-$seed
  total=$(python3 -c "import json;c=json.load(open('runs/abl-easy/configs/$row.json'));print(sum(s['epochs'] for s in c['schedule']['stages'])*c['schedule']['stepsPerEpoch'])")
  if [ -f "$dir/last.json" ] && [ "$(python3 -c "import json;print(json.load(open('$dir/last.json'))['step'])")" = "$total" ]; then
    echo "$row seed $seed: finished"; continue
  fi
  mkdir -p runs/abl-easy/logs
  if [ -f "$dir/last.json" ]; then
    nice -n 5 deno task train --resume "$dir" >> "runs/abl-easy/logs/$row-seed-$seed.log" 2>&1
  else
    nice -n 5 deno task train --config "runs/abl-easy/configs/$row.json" --set seed=$seed --out "$dir" --overwrite >> "runs/abl-easy/logs/$row-seed-$seed.log" 2>&1
  fi
done
