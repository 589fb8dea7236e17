#!/usr/bin/env bash
# Prepares what bench/gpu_run.sh needs on a GPU machine that has no network and no Deno (the
# device machines lent to sessions: CUDA, PyTorch and python3, nothing else, nothing reachable).
# Run it here, in the repository root, on a machine with network access:
#
#   bash bench/gpu_prepare.sh
#
# It writes runs/gpu-carry/ (ignored by git, ~47 MB, under the 64 MiB a run may carry):
#   deno.gz       this machine's Deno binary, gzipped
#   bench.js.gz   `deno bundle` of bench/bench.ts (npm packages inlined: nothing to fetch there)
#   train.js.gz   `deno bundle` of lib/cli/train.ts
#   debs/         the Vulkan loader (libvulkan1) and GL libraries, unpacked there with dpkg -x
#
# Then on the device: run with carry ["runs/gpu-carry"] and the command `bash bench/gpu_run.sh`
# (see bench/RESULTS.md, "GPU").
set -euo pipefail
cd "$(dirname "$0")/.."
dir=runs/gpu-carry
rm -rf "$dir"
mkdir -p "$dir/debs"

gzip -c "$(readlink -f "$(command -v deno)")" >"$dir/deno.gz"
deno bundle --platform deno -o "$dir/bench.js" bench/bench.ts
deno bundle --platform deno -o "$dir/train.js" lib/cli/train.ts
gzip -f "$dir/bench.js" "$dir/train.js"

# Debian's amd64 packages whatever this machine's architecture (the device is x86-64).
lists=/tmp/gpu-carry-apt
mkdir -p "$lists/partial"
apt_opts=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
apt-get "${apt_opts[@]}" update >/dev/null
(cd "$dir/debs" && apt-get "${apt_opts[@]}" download libvulkan1 libegl1 libglvnd0 libgl1 libglx0)

du -sh "$dir" "$dir"/*
total=$(du -sb "$dir" | cut -f1)
if [ "$total" -gt $((60 * 1024 * 1024)) ]; then
  echo "warning: $dir is $total bytes; a run carries at most 64 MiB with the working tree" >&2
fi
