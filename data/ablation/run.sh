#!/usr/bin/env bash
# Reproduces data/ablation/: trains the five rows of the ablation one after another and keeps
# each run's config.json and log.jsonl here (checkpoints stay in runs/ablation/).
# Usage: data/ablation/run.sh [variant ...]   (default: all five)
set -euo pipefail
cd "$(dirname "$0")/../.."
variants=("$@")
if [ ${#variants[@]} -eq 0 ]; then
  variants=(1_hourglass 2_mss 3_mss_msr 4_mss_msr_sa 5_mss_msr_sa_mask)
fi
for v in "${variants[@]}"; do
  deno task train --config "configs/ablation/$v.json" --out "runs/ablation/$v" --overwrite | tee "runs/ablation-$v.txt"
  mkdir -p "data/ablation/$v"
  cp "runs/ablation/$v/config.json" "runs/ablation/$v/log.jsonl" "data/ablation/$v/"
  grep -A3 "^validation" "runs/ablation-$v.txt" > "data/ablation/$v/final.txt" || true
done
