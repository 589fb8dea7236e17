#!/usr/bin/env python3
"""Times the kit's stacked hourglass in PyTorch on the CPU, as the reference for `deno task bench`.

Builds the same architecture as lib/models (Newell's stacked hourglass, pre-activation
bottleneck residuals, as in princeton-vl/pytorch_stacked_hourglass) in NCHW, and times one
training step (forward, sum of per-stack MSE, backward, RMSprop lr 2.5e-4) and one inference
forward pass, each the median of --steps runs after --warmup runs. Prints one JSON line:

  {"model": "hourglass", "backend": "torch-cpu", "torch": "1.13.0", "threads": 2,
   "params": 545248, "trainStepMs": ..., "inferMs": ..., "batch": 4, "size": 128, ...}

Times are medians of wall-clock time; *MinMs the fastest run; *CpuMs the median process CPU
time (all threads), and load the 1-minute load average at the end (the machine may be shared).

Run with a python3 that has torch (Debian's python3-torch: /usr/bin/python3):

  /usr/bin/python3 bench/torch_hourglass.py --stacks 2 --features 64 --batch 4 --size 128
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch
from torch import nn

JOINTS = 16


class Residual(nn.Module):
    """BN-ReLU-conv1x1(in->out/2)-BN-ReLU-conv3x3-BN-ReLU-conv1x1(out/2->out) + skip."""

    def __init__(self, inc, outc):
        super().__init__()
        mid = outc // 2
        self.bn1 = nn.BatchNorm2d(inc)
        self.conv1 = nn.Conv2d(inc, mid, 1)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, 3, padding=1)
        self.bn3 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, outc, 1)
        self.skip = None if inc == outc else nn.Conv2d(inc, outc, 1)
        self.relu = nn.ReLU()

    def forward(self, x):
        h = self.conv1(self.relu(self.bn1(x)))
        h = self.conv2(self.relu(self.bn2(h)))
        h = self.conv3(self.relu(self.bn3(h)))
        return h + (x if self.skip is None else self.skip(x))


class Hourglass(nn.Module):
    def __init__(self, n, f):
        super().__init__()
        self.up1 = Residual(f, f)
        self.pool = nn.MaxPool2d(2, 2)
        self.low1 = Residual(f, f)
        self.low2 = Hourglass(n - 1, f) if n > 1 else Residual(f, f)
        self.low3 = Residual(f, f)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")

    def forward(self, x):
        up1 = self.up1(x)
        low3 = self.low3(self.low2(self.low1(self.pool(x))))
        return up1 + self.up(low3)


class StackedHourglass(nn.Module):
    def __init__(self, stacks, f, joints=JOINTS):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, 7, stride=2, padding=3),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            Residual(64, 128),
            nn.MaxPool2d(2, 2),
            Residual(128, 128),
            Residual(128, f),
        )
        self.hgs = nn.ModuleList([Hourglass(4, f) for _ in range(stacks)])
        self.res = nn.ModuleList([Residual(f, f) for _ in range(stacks)])
        self.feat = nn.ModuleList(
            [nn.Sequential(nn.Conv2d(f, f, 1), nn.BatchNorm2d(f), nn.ReLU()) for _ in range(stacks)]
        )
        self.pred = nn.ModuleList([nn.Conv2d(f, joints, 1) for _ in range(stacks)])
        self.merge_feat = nn.ModuleList([nn.Conv2d(f, f, 1) for _ in range(stacks - 1)])
        self.merge_pred = nn.ModuleList([nn.Conv2d(joints, f, 1) for _ in range(stacks - 1)])

    def forward(self, x):
        x = self.stem(x)
        preds = []
        for i, hg in enumerate(self.hgs):
            h = self.res[i](hg(x))
            feat = self.feat[i](h)
            pred = self.pred[i](feat)
            preds.append(pred)
            if i < len(self.hgs) - 1:
                x = x + self.merge_feat[i](feat) + self.merge_pred[i](pred)
        return preds


def time_ms(fn, warmup, steps):
    """Median and minimum wall time, and median process CPU time (all threads), in ms."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(steps):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return statistics.median(wall), min(wall), statistics.median(cpu)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--stacks", type=int, default=2)
    p.add_argument("--features", type=int, default=64)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    for name in ("stacks", "features", "batch", "size", "threads", "steps"):
        if getattr(a, name) < 1:
            p.error(f"--{name} must be at least 1, got {getattr(a, name)}")
    if a.size % 64 != 0:
        p.error(f"--size must be a multiple of 64 (stem /4, hourglass depth 4), got {a.size}")

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = StackedHourglass(a.stacks, a.features)
    params = sum(t.numel() for t in model.parameters())
    opt = torch.optim.RMSprop(model.parameters(), lr=2.5e-4)
    x = torch.rand(a.batch, 3, a.size, a.size)
    target = torch.rand(a.batch, JOINTS, a.size // 4, a.size // 4)

    def train_step():
        model.train()
        opt.zero_grad()
        loss = sum(((p - target) ** 2).mean() for p in model(x))
        loss.backward()
        opt.step()
        return loss.item()

    def infer():
        model.eval()
        with torch.no_grad():
            return model(x)[-1].sum().item()

    train_ms, train_min, train_cpu = time_ms(train_step, a.warmup, a.steps)
    infer_ms, infer_min, infer_cpu = time_ms(infer, a.warmup, a.steps)
    print(json.dumps({
        "model": "hourglass",
        "backend": "torch-cpu",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "stacks": a.stacks,
        "features": a.features,
        "params": params,
        "trainStepMs": round(train_ms, 1),
        "trainStepMinMs": round(train_min, 1),
        "trainStepCpuMs": round(train_cpu, 1),
        "inferMs": round(infer_ms, 1),
        "inferMinMs": round(infer_min, 1),
        "inferCpuMs": round(infer_cpu, 1),
        "load": round(os.getloadavg()[0], 2),
        "batch": a.batch,
        "size": a.size,
        "steps": a.steps,
    }))


if __name__ == "__main__":
    main(sys.argv[1:])
