#!/usr/bin/env bash
# Issue 8 on a GPU: `deno task bench` through Deno's WebGPU beside PyTorch on CUDA for the
# paper's 8-stack 256-feature hourglass (batch 16, 256x256), a 2-stack 64-feature one, the
# slowest WebGPU kernels (--profile: tfjs's GPU timer), and a short `deno task train`.
#
# On a lent device machine, after `bash bench/gpu_prepare.sh` here (bench/RESULTS.md, "GPU"):
#   run(command="bash bench/gpu_run.sh", carry=["runs/gpu-carry"], timeout_s=600)
# On a GPU box with Deno and network, from the repository root: `bash bench/gpu_run.sh`.
#
# Everything goes to $OUT (the device tool brings it back) or runs/gpu-<date>/: machine.txt,
# adapter.txt, one JSON line per benchmark (*.json) with its log (*.log), train.log.
# KIT_GPU_SMOKE=1 runs tiny shapes instead (to check the script on a machine without a GPU).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-runs/gpu-$(date -u +%Y%m%d-%H%M)}
mkdir -p "$out"
carry=runs/gpu-carry

# Deno and the bundles, when carried (no network, no Deno on the device).
deno=deno
bench=(deno run -A --v8-flags=--max-old-space-size=16384 bench/bench.ts)
train=(deno run -A --v8-flags=--max-old-space-size=16384 lib/cli/train.ts)
if [ -f "$carry/deno.gz" ]; then
  mkdir -p /tmp/kit && gunzip -c "$carry/deno.gz" >/tmp/kit/deno && chmod +x /tmp/kit/deno
  deno=/tmp/kit/deno
  # Bundles sit beside the files they stand for: they find bench/torch_hourglass.py (and the
  # configs) relative to their own location.
  trap 'rm -f bench/_bundle_bench.js lib/cli/_bundle_train.js' EXIT
  gunzip -c "$carry/bench.js.gz" >bench/_bundle_bench.js
  gunzip -c "$carry/train.js.gz" >lib/cli/_bundle_train.js
  bench=("$deno" run -A --v8-flags=--max-old-space-size=16384 bench/_bundle_bench.js)
  train=("$deno" run -A --v8-flags=--max-old-space-size=16384 lib/cli/_bundle_train.js)
fi
# Only on a GPU machine: the packages unpack into /.
if [ -d "$carry/debs" ] && command -v nvidia-smi >/dev/null && ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in "$carry"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
fi

{
  date -u
  uname -a
  nproc
  uptime
  nvidia-smi 2>&1 | head -15
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())' 2>&1
  "$deno" --version
} >"$out/machine.txt" 2>&1
"$deno" eval 'const a = await navigator.gpu?.requestAdapter();
  const i = a?.info;
  console.log(a ? JSON.stringify({ vendor: i.vendor, architecture: i.architecture, device: i.device,
    description: i.description, fallback: a.isFallbackAdapter }) : "no WebGPU adapter")' \
  >"$out/adapter.txt" 2>&1
cat "$out/machine.txt" "$out/adapter.txt"

export KIT_TORCH_PYTHON=${KIT_TORCH_PYTHON:-python3}
device=cuda
python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null || device=cpu

# name | flags; the paper's network last-but-one, the small one first (fast feedback).
if [ "${KIT_GPU_SMOKE:-}" = 1 ]; then
  runs=("smoke|--stacks 1 --features 8 --batch 2 --size 64 --steps 2 --warmup 1")
else
  runs=(
    "hg2x64_b4_128|--stacks 2 --features 64 --batch 4 --size 128 --steps 10 --warmup 3"
    "hg8x256_b16_256|--stacks 8 --features 256 --batch 16 --size 256 --steps 10 --warmup 3"
    "mss8x256_b16_256|--model mss --stacks 8 --features 256 --batch 16 --size 256 --steps 5 --warmup 2"
  )
fi
for r in "${runs[@]}"; do
  name=${r%%|*}
  # shellcheck disable=SC2086
  timeout 240 "${bench[@]}" --backend webgpu ${r#*|} --torch --torch-device "$device" --profile \
    --json >"$out/$name.json" 2>"$out/$name.log"
  echo "$name: exit $?"
  tail -25 "$out/$name.log"
done

# A short training run of the paper's network on SynthPose (no workers: the bundle has none).
steps=${KIT_GPU_TRAIN_STEPS:-30}
size=256 stacks=8 features=256 batch=16 depth=4 val=200
[ "${KIT_GPU_SMOKE:-}" = 1 ] && size=64 stacks=1 features=8 batch=2 depth=3 steps=3 val=4
timeout 240 "${train[@]}" --backend webgpu --out /tmp/kit-train \
  --set data.inputSize=$size --set model.inputSize=$size --set model.stacks=$stacks \
  --set model.features=$features --set model.depth=$depth --set schedule.batchSize=$batch \
  --set eval.batchSize=$batch --set schedule.stepsPerEpoch="$steps" --set data.workers=0 \
  --set data.synth.valSize=$val --set optimizer.lr=2.5e-4 \
  --set 'schedule.stages=[{"name":"main","epochs":1}]' --set 'schedule.lr={"kind":"constant"}' \
  >"$out/train.log" 2>&1
echo "train: exit $?"
tail -30 "$out/train.log"
