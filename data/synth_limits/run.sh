#!/usr/bin/env bash
# The runs of data/README.md's "What limits a small network", one at a time:
#   data/synth_limits/run.sh NAME [--set key=value ...]      (base: data/synth_limits/base.json)
#   BASE=data/synth_limits/long.json data/synth_limits/run.sh L1_easy64_3000
#   BASE=data/synth_limits/S1_standard_2x32_10000.json data/synth_limits/run.sh S1_standard_2x32_10000
#     (S1 ran with the default threads: wasm + oneDNN, 2 threads)
#   KIT_NATIVE_THREADS=1 BASE=data/synth_limits/S2_standard_2x64_64px_10000.json data/synth_limits/run.sh S2_standard_2x64_64px_10000
#   KIT_NATIVE_THREADS=1 BASE=data/synth_limits/H1_hard_2x32_10000.json data/synth_limits/run.sh H1_hard_2x32_10000
# They ran with KIT_WASM_THREADS=1 on a shared 2-core machine; times in the logs are that machine's.
cd "$(dirname "$0")/../.."
name=$1; shift
KIT_WASM_THREADS=${KIT_WASM_THREADS:-1} deno task train --config "${BASE:-data/synth_limits/base.json}" \
  --out "runs/synth_limits/$name" "$@" 2>&1 | grep -v "^train  \[\|^validate  \["
