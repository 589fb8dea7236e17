#!/usr/bin/env python3
"""PyTorch twin of the kit's networks, timed as the reference for `deno task bench --torch`.

Builds the same network as lib/models (specified layer by layer in lib/models/README.md):
Newell's stacked hourglass, MSS-net (heads at 1/2, 1/4, 1/8 inside every hourglass), MSS-net +
MSR-net, and MSSH (pre-processing trunk dispatched into the stacks), with bottleneck or
inception-resnet-A modules, in NCHW. Times one training step (forward, loss, backward, RMSprop
lr 2.5e-4) and one inference pass, each the median of --steps runs after --warmup runs, and
prints one JSON line:

  {"model": "hourglass", "backend": "torch-cpu", "torch": "1.13.0", "threads": 2,
   "params": 545248, "trainStepMs": ..., "inferMs": ..., "batch": 4, "size": 128, ...}

The loss is Eq. 1 (squared error summed over pixels, averaged over joints and the batch) on
every output for every kind: the kit's structure-aware and adaptive terms add a few small ops
on the heatmaps, nothing the step time notices.

Times are medians of wall-clock time; *MinMs the fastest run; *CpuMs the median process CPU
time (all threads); load the 1-minute load average before and after (the machine may be
shared). `deno task bench --torch` passes the kit's resolved model config with --config; the
flags below build the same defaults on their own.

Run with a python3 that has torch (Debian's python3-torch: /usr/bin/python3):

  /usr/bin/python3 bench/torch_hourglass.py --model hourglass --stacks 2 --features 64 \
      --batch 4 --size 128 [--threads 2] [--device cpu|cuda]
"""

import argparse
import resource
import json
import math
import os
import statistics
import sys
import time

import torch
from torch import nn

STEM_CHANNELS = 64


def bn_relu(c):
    return nn.Sequential(nn.BatchNorm2d(c), nn.ReLU())


class Residual(nn.Module):
    """Bottleneck, pre-activation: BN-ReLU-conv1x1(in->out/2)-BN-ReLU-conv3x3-BN-ReLU-conv1x1."""

    def __init__(self, inc, outc):
        super().__init__()
        mid = outc // 2
        self.pre1, self.conv1 = bn_relu(inc), nn.Conv2d(inc, mid, 1)
        self.pre2, self.conv2 = bn_relu(mid), nn.Conv2d(mid, mid, 3, padding=1)
        self.pre3, self.conv3 = bn_relu(mid), nn.Conv2d(mid, outc, 1)
        # Only when the channels change (lib/models counts no unused skip).
        self.skip = None if inc == outc else nn.Conv2d(inc, outc, 1)

    def forward(self, x):
        h = self.conv1(self.pre1(x))
        h = self.conv2(self.pre2(h))
        h = self.conv3(self.pre3(h))
        return h + (x if self.skip is None else self.skip(x))


class InceptionResNetA(nn.Module):
    """MSSH Fig. 4a as lib/models reads it: two branches (1x1-3x3, 1x1-3x3-3x3), m = out/4."""

    def __init__(self, inc, outc):
        super().__init__()
        m = outc // 4
        self.pre = bn_relu(inc)
        self.a1, self.a_pre, self.a2 = nn.Conv2d(inc, m, 1), bn_relu(m), nn.Conv2d(m, m, 3, padding=1)
        self.b1, self.b_pre1 = nn.Conv2d(inc, m, 1), bn_relu(m)
        self.b2, self.b_pre2 = nn.Conv2d(m, m, 3, padding=1), bn_relu(m)
        self.b3 = nn.Conv2d(m, m, 3, padding=1)
        self.cat_pre, self.proj = bn_relu(2 * m), nn.Conv2d(2 * m, outc, 1)
        self.skip = None if inc == outc else nn.Conv2d(inc, outc, 1)

    def forward(self, x):
        h = self.pre(x)
        a = self.a2(self.a_pre(self.a1(h)))
        b = self.b3(self.b_pre2(self.b2(self.b_pre1(self.b1(h)))))
        y = self.proj(self.cat_pre(torch.cat([a, b], 1)))
        return y + (x if self.skip is None else self.skip(x))


def make_block(kind, inc, outc):
    return Residual(inc, outc) if kind == "bottleneck" else InceptionResNetA(inc, outc)


def chain(kind, n, inc, outc):
    return nn.Sequential(*[make_block(kind, inc if i == 0 else outc, outc) for i in range(n)])


class Hourglass(nn.Module):
    """Returns the output and the outputs of the inner hourglasses, coarsest first."""

    def __init__(self, n, f, residuals, block):
        super().__init__()
        self.up1 = chain(block, residuals, f, f)
        self.pool = nn.MaxPool2d(2, 2)
        self.low1 = chain(block, residuals, f, f)
        self.low2 = Hourglass(n - 1, f, residuals, block) if n > 1 else chain(block, residuals, f, f)
        self.low3 = chain(block, residuals, f, f)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")

    def forward(self, x):
        up1 = self.up1(x)
        low1 = self.low1(self.pool(x))
        if isinstance(self.low2, Hourglass):
            low2, inner = self.low2(low1)
            levels = inner + [low2]
        else:
            low2, levels = self.low2(low1), []
        return up1 + self.up(self.low3(low2)), levels


class Stem(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.conv = nn.Conv2d(3, STEM_CHANNELS, 7, stride=2, padding=3)
        self.post = bn_relu(STEM_CHANNELS)
        self.res1 = Residual(STEM_CHANNELS, 128)
        self.pool = nn.MaxPool2d(2, 2)
        self.res2 = Residual(128, 128)
        self.res3 = Residual(128, f)

    def forward(self, x):
        early = self.post(self.conv(x))
        return early, self.res3(self.res2(self.pool(self.res1(early))))


class Stack(nn.Module):
    def __init__(self, f, joints, depth, residuals, block, factors):
        super().__init__()
        self.factors = factors
        self.hg = Hourglass(depth, f, residuals, block)
        self.res = make_block(block, f, f)
        self.feat = nn.Sequential(nn.Conv2d(f, f, 1), nn.BatchNorm2d(f), nn.ReLU())
        self.heads = nn.ModuleList([nn.Conv2d(f, joints, 1) for _ in factors])

    def forward(self, x):
        out, levels = self.hg(x)
        feat = self.feat(self.res(out))
        maps = []
        for factor, head in zip(self.factors, self.heads):
            # levels are coarsest first: factor 2^k is levels[-k].
            maps.append(head(feat if factor == 1 else levels[len(levels) - int(math.log2(factor))]))
        return feat, maps


class Msr(nn.Module):
    def __init__(self, cfg, stack_factors, joints, f, block):
        super().__init__()
        self.stack_factors = stack_factors
        self.with_features = cfg["withFeatures"]
        inc = joints * len(stack_factors) + (f if self.with_features else 0)
        m = cfg["features"]
        self.inp = nn.Sequential(nn.Conv2d(inc, m, 1), nn.BatchNorm2d(m), nn.ReLU())
        self.stack = Stack(m, joints, cfg["depth"], cfg["residuals"], block, cfg["factors"])

    def forward(self, maps, feat):
        parts = [h if fct == 1 else nn.functional.interpolate(h, scale_factor=fct, mode="nearest")
                 for fct, h in zip(self.stack_factors, maps)]
        if self.with_features:
            parts.append(feat)
        return self.stack(self.inp(torch.cat(parts, 1)))[1]


class PreProcessing(nn.Module):
    """MSSH trunk from the stem's S/2 features; returns features at S/4, coarsest first."""

    def __init__(self, scales, f, block):
        super().__init__()
        self.blocks = nn.ModuleList(
            [make_block(block, STEM_CHANNELS if k == 0 else f, f) for k in range(scales)])
        self.scales = scales

    def forward(self, early):
        out, h = [], early
        for k in range(self.scales):
            if k > 0:
                h = nn.functional.max_pool2d(h, 2, 2)
            h = self.blocks[k](h)
            if k == 0:
                out.append(nn.functional.max_pool2d(h, 2, 2))
            elif k == 1:
                out.append(h)
            else:
                out.append(nn.functional.interpolate(h, scale_factor=2 ** (k - 1), mode="nearest"))
        return out[::-1]


def dispatch_stacks(scales, stacks):
    """lib/models dispatchStacks (JavaScript's Math.round: halves go up)."""
    if scales == 1:
        return [0]
    return [math.floor(c * (stacks - 1) / (scales - 1) + 0.5) for c in range(scales)]


class Network(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        kind, f, joints = cfg["kind"], cfg["features"], cfg["joints"]
        block = cfg["block"]
        self.factors = cfg["factors"] if kind in ("mss", "mss-msr") else [1]
        self.stem = Stem(f)
        self.pre = PreProcessing(cfg["scales"], f, block) if kind == "mssh" else None
        self.dispatch = dispatch_stacks(cfg["scales"], cfg["stacks"]) if kind == "mssh" else []
        self.stacks = nn.ModuleList([
            Stack(f, joints, cfg["depth"], cfg["residuals"], block, self.factors)
            for _ in range(cfg["stacks"])])
        self.merge_feat = nn.ModuleList([nn.Conv2d(f, f, 1) for _ in range(cfg["stacks"] - 1)])
        self.merge_pred = nn.ModuleList([nn.Conv2d(joints, f, 1) for _ in range(cfg["stacks"] - 1)])
        self.msr = Msr(cfg["msr"], self.factors, joints, f, block) if kind == "mss-msr" else None

    def forward(self, images):
        """Every output: each stack's maps (factors finest first), then the MSR-net's."""
        early, x = self.stem(images)
        dispatched = {}
        if self.pre is not None:
            for c, feature in enumerate(self.pre(early)):
                dispatched[self.dispatch[c]] = feature
        outputs, feat, maps = [], None, None
        for i, stack in enumerate(self.stacks):
            if i in dispatched:
                x = x + dispatched[i]
            feat, maps = stack(x)
            outputs.extend(maps)
            if i < len(self.stacks) - 1:
                x = x + self.merge_feat[i](feat) + self.merge_pred[i](maps[0])
        if self.msr is not None:
            outputs.extend(self.msr(maps, feat))
        return outputs


def kit_defaults(kind):
    """lib/models modelDefaults(kind) (keep in step with lib/models/config.ts)."""
    cfg = {"kind": kind, "inputSize": 256, "joints": 16, "stacks": 8, "features": 256, "depth": 4,
           "residuals": 1, "block": "bottleneck"}
    if kind in ("mss", "mss-msr"):
        cfg["factors"] = [1, 2, 4, 8]
    if kind == "mss-msr":
        cfg["msr"] = {"features": 128, "depth": 4, "residuals": 1, "factors": [1, 2, 4, 8],
                      "withFeatures": False}
    if kind == "mssh":
        cfg.update(block="inception-resnet-a", scales=3)
    return cfg


def resident_bytes():
    """The process's resident set now (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def time_ms(fn, warmup, steps, sync):
    """Median and minimum wall time, and median process CPU time (all threads), in ms."""
    for _ in range(warmup):
        fn()
    sync()
    wall, cpu = [], []
    for _ in range(steps):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        sync()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return statistics.median(wall), min(wall), statistics.median(cpu)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="hourglass", choices=["hourglass", "mss", "mss-msr", "mssh"])
    p.add_argument("--stacks", type=int, default=2)
    p.add_argument("--features", type=int, default=64)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--config", help="the kit's resolved model config as JSON (overrides the above)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--count-only", action="store_true",
                   help="print the parameter and output counts without timing anything")
    a = p.parse_args(argv)
    for name in ("stacks", "features", "batch", "size", "threads", "steps"):
        if getattr(a, name) < 1:
            p.error(f"--{name} must be at least 1, got {getattr(a, name)}")
    if a.config:
        cfg = json.loads(a.config)
    else:
        cfg = kit_defaults(a.model)
        cfg.update(stacks=a.stacks, features=a.features, inputSize=a.size)
        if a.model == "mssh":
            cfg["scales"] = min(3, a.stacks)
    size = cfg["inputSize"]
    if size % (4 * 2 ** cfg["depth"]) != 0:
        p.error(f"input size {size} must be a multiple of {4 * 2 ** cfg['depth']}")
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        p.error("--device cuda: this torch has no CUDA device (torch.cuda.is_available() is False)")

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    device = torch.device(a.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        sync = torch.cuda.synchronize
        device_name = torch.cuda.get_device_name(device)
    else:
        sync = lambda: None  # noqa: E731
        device_name = "cpu"
    load_start = os.getloadavg()[0]
    model = Network(cfg).to(device)
    params = sum(t.numel() for t in model.parameters())
    # The kit's default optimizer: RMSprop lr 2.5e-4, decay (alpha) 0.99, eps 1e-8.
    opt = torch.optim.RMSprop(model.parameters(), lr=2.5e-4, alpha=0.99, eps=1e-8)
    x = torch.rand(a.batch, 3, size, size, device=device)
    with torch.no_grad():
        shapes = [o.shape for o in model(x)]
    if a.count_only:
        print(json.dumps({"model": cfg["kind"], "params": params, "outputs": len(shapes)}))
        return
    targets = [torch.rand(s, device=device) for s in shapes]

    def train_step():
        model.train()
        opt.zero_grad()
        # Eq. 1: squared error summed over pixels, mean over batch and joints, summed over outputs.
        loss = sum(((o - t) ** 2).sum((2, 3)).mean() for o, t in zip(model(x), targets))
        loss.backward()
        opt.step()
        return loss.item()

    def infer():
        model.eval()
        with torch.no_grad():
            return model(x)[-1].sum().item()

    # Memory of the training steps: the resident set's high-water mark (ru_maxrss, which on
    # Linux is in KiB) over the resident set just before them (torch, model, batch, targets
    # loaded), or the CUDA allocator's peak on a GPU.
    rss_before = resident_bytes()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    train_ms, train_min, train_cpu = time_ms(train_step, a.warmup, a.steps, sync)
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    memory = {"rssBeforeTrainBytes": rss_before, "rssPeakBytes": rss_peak,
              "trainPeakOverBytes": max(0, rss_peak - rss_before)}
    if device.type == "cuda":
        memory["cudaMaxAllocatedBytes"] = torch.cuda.max_memory_allocated(device)
    infer_ms, infer_min, infer_cpu = time_ms(infer, a.warmup, a.steps, sync)
    print(json.dumps({
        "model": cfg["kind"],
        "backend": f"torch-{device.type}",
        "device": device_name,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "stacks": cfg["stacks"],
        "features": cfg["features"],
        "params": params,
        "outputs": len(shapes),
        "trainStepMs": round(train_ms, 1),
        "trainStepMinMs": round(train_min, 1),
        "trainStepCpuMs": round(train_cpu, 1),
        "inferMs": round(infer_ms, 1),
        "inferMinMs": round(infer_min, 1),
        "inferCpuMs": round(infer_cpu, 1),
        "load": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        "batch": a.batch,
        "size": size,
        "steps": a.steps,
        "warmup": a.warmup,
        **memory,
    }))


if __name__ == "__main__":
    main(sys.argv[1:])
