#!/usr/bin/env python3
"""PyTorch side of `deno task parity`: trains the PyTorch twin (bench/torch_hourglass.py) on the
batches the kit recorded, from the kit's initial weights, with the kit's loss and optimizer.

Reads a directory the kit wrote (bench/parity.ts):

  manifest.json  model, loss and optimizer configs, neighbour groups, learning rate per step,
                 the weight table (kit name, kit shape, offset) and the batch layout
  weights.bin    the kit's initial weights, float32, kit layout (NHWC / HWIO), in table order
  batches.bin    per step: images [B,S,S,3], targets at each factor [B,h,w,J], weights [B,J]

and writes

  torch_result.json   loss and loss terms per step, seconds, torch version
  torch_weights.bin   the weights after the run, in the kit's layout and table order

Semantics matched to the kit (lib/), not to PyTorch's defaults, where the two differ:

- RMSprop: the kit uses tfjs's rule, step = lr * g / sqrt(ms + eps); torch.optim.RMSprop
  computes lr * g / (sqrt(ms) + eps). With eps 1e-8 the two differ most where |g| is tiny
  (a gradient that is float noise moves 10 * lr in PyTorch's rule, ~0 in the kit's), so the
  twin implements the kit's rule (`KitRMSprop`).
- BatchNorm moving variance: the kit (tfjs-layers) averages in the biased batch variance;
  PyTorch averages in the unbiased one (n / (n - 1) larger). Normalisation in training mode
  (biased variance) is the same in both. The twin uses the kit's update (`KitBatchNorm2d`);
  `--torch-running-var` keeps PyTorch's, to measure what the difference does.

Run it through `deno task parity`; by hand:

  /usr/bin/python3 bench/torch_parity.py --dir /tmp/parity-xyz [--threads 1]
"""

import argparse
import json
import math
import os
import re
import sys
import time

import torch
from torch import nn

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_hourglass import Network  # noqa: E402


class KitBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d whose training step updates the moving statistics like tfjs-layers:
    moving -= (moving - batch) * (1 - 0.9), with the biased batch variance."""

    def forward(self, x):
        if not self.training:
            return super().forward(x)
        y = nn.functional.batch_norm(x, None, None, self.weight, self.bias, True, 0.0, self.eps)
        with torch.no_grad():
            mean = x.mean((0, 2, 3))
            var = ((x - mean[None, :, None, None]) ** 2).mean((0, 2, 3))
            for moving, batch in ((self.running_mean, mean), (self.running_var, var)):
                moving.sub_((moving - batch) * self.momentum)
        return y


def use_kit_batchnorm(model):
    """Replaces every BatchNorm2d of `model` by a KitBatchNorm2d of the same size."""
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            if type(child) is nn.BatchNorm2d:
                setattr(module, child_name, KitBatchNorm2d(child.num_features, child.eps, child.momentum))


class KitRMSprop:
    """The kit's RMSprop (tfjs's rule, lib/train/flat_rmsprop.ts), element by element in the
    same order: ms = ms * decay + g^2 * (1 - decay); step = g * lr / sqrt(ms + eps);
    mom = momentum * mom + step (mom = step when momentum is 0); w -= mom."""

    def __init__(self, params, decay, momentum, epsilon):
        self.params = list(params)
        self.decay, self.momentum, self.epsilon = decay, momentum, epsilon
        self.ms = [torch.zeros_like(p) for p in self.params]
        self.mom = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self, lr):
        for p, ms, mom in zip(self.params, self.ms, self.mom):
            if p.grad is None:
                continue
            g = p.grad
            ms.copy_(ms * self.decay + g.square() * (1 - self.decay))
            step = (g * lr) / (ms + self.epsilon).sqrt()
            mom.copy_(step if self.momentum == 0 else mom * self.momentum + step)
            p.sub_(mom)

    def zero_grad(self):
        for p in self.params:
            p.grad = None


class KitSGD:
    """The kit's "sgd" optimizer: tf.train.sgd (w -= lr * g), or with momentum > 0
    tf.train.momentum (a = momentum * a + g; w -= lr * a), which is torch.optim.SGD's rule
    without dampening or Nesterov. An update linear in the gradient: unlike RMSprop's first
    steps it does not turn float32 noise in a near-zero gradient into a full-size step."""

    def __init__(self, params, momentum):
        self.params = list(params)
        self.momentum = momentum
        self.acc = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self, lr):
        for p, acc in zip(self.params, self.acc):
            if p.grad is None:
                continue
            if self.momentum > 0:
                acc.copy_(acc * self.momentum + p.grad)
                p.sub_(acc * lr)
            else:
                p.sub_(p.grad * lr)

    def zero_grad(self):
        for p in self.params:
            p.grad = None


# ---------------------------------------------------------------- weights: kit name -> twin name

def _heads(factors):
    return lambda m: f"{m.group(1)}.heads.{factors.index(int(m.group(2)))}"


def twin_name(layer, cfg):
    """The twin's module path for a kit layer name (lib/models names its layers PyTorch-style;
    the twin groups some of them differently)."""
    stack_factors = cfg["factors"] if cfg["kind"] in ("mss", "mss-msr") else [1]
    msr_factors = cfg["msr"]["factors"] if cfg["kind"] == "mss-msr" else [1]
    rules = [
        (r"^stem\.bn$", "stem.post.0"),
        (r"^stacks\.(\d+)\.merge_(feat|pred)$", r"merge_\2.\1"),
        (r"^msr\.in\.conv$", "msr.inp.0"),
        (r"^msr\.in\.bn$", "msr.inp.1"),
        (r"^(msr)\.heads\.(\d+)$", _heads(msr_factors)),
        (r"^(stacks\.\d+)\.heads\.(\d+)$", _heads(stack_factors)),
        (r"^msr\.(?!inp\.)", "msr.stack."),
        (r"^pre\.(\d+)\.", r"pre.blocks.\1."),
        (r"\.feat\.conv$", ".feat.0"),
        (r"\.feat\.bn$", ".feat.1"),
        (r"\.out$", ".heads.0"),
        # inception-resnet-a before the bottleneck: `.b.bn1` is not a bottleneck's `.bn1`
        (r"\.a\.conv1$", ".a1"),
        (r"\.a\.bn1$", ".a_pre.0"),
        (r"\.a\.conv2$", ".a2"),
        (r"\.b\.conv([123])$", r".b\1"),
        (r"\.b\.bn([12])$", r".b_pre\1.0"),
        (r"\.cat\.bn$", ".cat_pre.0"),
        (r"\.bn([123])$", r".pre\1.0"),
        (r"\.bn$", ".pre.0"),
    ]
    name = layer
    for pattern, repl in rules:
        name = re.sub(pattern, repl, name)
    return name


FIELDS = {"kernel": "weight", "bias": "bias", "gamma": "weight", "beta": "bias",
          "moving_mean": "running_mean", "moving_variance": "running_var"}


def to_torch(kit_value, field):
    """Kit layout -> twin layout: a conv kernel HWIO -> OIHW, the rest unchanged."""
    return kit_value.permute(3, 2, 0, 1) if field == "kernel" else kit_value


def to_kit(torch_value, field):
    return torch_value.permute(2, 3, 1, 0) if field == "kernel" else torch_value


def bind_weights(model, table, cfg):
    """Pairs each kit weight with the twin's tensor; every twin parameter and buffer (but the
    batch counters) must be paired exactly once, with matching shapes."""
    state = dict(model.named_parameters())
    state.update({k: v for k, v in model.named_buffers() if not k.endswith("num_batches_tracked")})
    pairs, used = [], set()
    for entry in table:
        layer, field = entry["name"].rsplit("/", 1)
        key = f"{twin_name(layer, cfg)}.{FIELDS[field]}"
        if key not in state:
            raise SystemExit(f"torch_parity: kit weight {entry['name']} maps to {key}, which the twin lacks")
        if key in used:
            raise SystemExit(f"torch_parity: two kit weights map to {key}")
        shape = list(to_torch(torch.zeros(entry["shape"]), field).shape)
        if shape != list(state[key].shape):
            raise SystemExit(f"torch_parity: {entry['name']} is {shape} as OIHW, twin {key} is "
                             f"{list(state[key].shape)}")
        used.add(key)
        pairs.append((entry, field, state[key]))
    missing = sorted(set(state) - used)
    if missing:
        raise SystemExit(f"torch_parity: twin tensors without a kit weight: {missing[:5]}")
    return pairs


# ---------------------------------------------------------------- the kit's loss (lib/losses)

def joint_losses(pred, target, w, pixels):
    """Eq. 1 per keypoint [J]: batch mean of w[b, n] * sum_xy (P - G)^2 (NCHW maps)."""
    per_map = (pred - target).square().sum((2, 3))
    if pixels == "mean":
        per_map = per_map / (pred.shape[2] * pred.shape[3])
    return (per_map * w).mean(0)


def combine_groups(maps, groups, combine):
    """[B, J, H, W] -> [B, N, H, W]: each group's sum or max."""
    b, j, h, w = maps.shape
    if combine == "sum":
        member = torch.zeros(j, len(groups), dtype=maps.dtype)
        for n, g in enumerate(groups):
            for k in g:
                member[k, n] = 1
        return torch.einsum("bjhw,jn->bnhw", maps, member)
    size = max(len(g) for g in groups)
    idx = [g[i] if i < len(g) else j for g in groups for i in range(size)]
    padded = torch.cat([maps, torch.full((b, 1, h, w), -1e30, dtype=maps.dtype)], 1)
    return padded[:, idx].reshape(b, len(groups), size, h, w).amax(2)


def group_weights(w, groups):
    size = max(len(g) for g in groups)
    idx = [g[i] if i < len(g) else g[0] for g in groups for i in range(size)]
    return w[:, idx].reshape(w.shape[0], len(groups), size).amin(2)


def structure_joint_losses(pred, target, w, loss, groups):
    """Eq. 2 per keypoint: own term + alpha * the neighbour group's term."""
    own = joint_losses(pred, target, w, loss["pixels"])
    structural = joint_losses(combine_groups(pred, groups, loss["combine"]),
                              combine_groups(target, groups, loss["combine"]),
                              group_weights(w, groups), loss["pixels"])
    # loss.structureReduce (newer kits): "sum" multiplies the structural term by the group count.
    n = len(groups) if loss.get("structureReduce") == "sum" else 1
    return own + structural * (loss["alpha"] * n)


def next_adaptive_weights(w, losses, norm):
    """MSSH Algorithm 1, one stack (lib/losses/adaptive.ts): no gradient flows through."""
    loss = losses.detach()
    scale = loss.sum() if norm == "sum" else loss.max()
    l = loss / torch.clamp(scale, min=1e-12)
    total = (w * l).sum()
    alpha = torch.clamp(total / (1 - total), 1e-6, 1)
    scaled = w * alpha ** (1 - l)
    return scaled / scaled.sum()


def multi_scale_loss(stacks, msr, factors, msr_factors, targets, w, loss, groups):
    """lib/losses/multiscale.ts: the total and its terms (stacks, factors finest first, MSR)."""
    if loss["missing"] == "zero":
        w = torch.ones_like(w)
    if loss.get("stackTargets", "shared") != "shared":
        raise SystemExit("torch_parity: loss.stackTargets other than \"shared\" is not in the twin")
    if loss.get("pyramid") == "downsample":
        # Newer kits (loss.pyramid "downsample", Ke §III-A): coarser ground truth is the factor-1
        # level average-pooled, not the encoded pyramid.
        targets = [targets[0]] + [nn.functional.avg_pool2d(targets[0], 2 ** k, 2 ** k)
                                  for k in range(1, len(targets))]
    j = w.shape[1]

    def per_keypoint(pred, target, structural):
        return (structure_joint_losses(pred, target, w, loss, groups) if structural
                else joint_losses(pred, target, w, loss["pixels"]))

    losses = [[per_keypoint(pred, targets[int(math.log2(f))], loss["structure"] == "all")
               for pred, f in zip(maps, factors)] for maps in stacks]
    uniform = torch.full((j,), 1 / j, dtype=w.dtype)
    omega = [uniform]
    for s in range(1, len(stacks)):
        omega.append(next_adaptive_weights(omega[-1], losses[s - 1][0], loss["adaptiveNorm"])
                     if loss["adaptive"] else uniform)
    parts = []
    for s, per_factor in enumerate(losses):
        for l, f in zip(per_factor, factors):
            parts.append((omega[s].detach() * l).sum() * loss["scaleWeights"][int(math.log2(f))])
    for pred, f in zip(msr, msr_factors):
        l = per_keypoint(pred, targets[int(math.log2(f))], loss["structure"] != "none")
        parts.append(l.mean() * (loss["scaleWeights"][int(math.log2(f))] * loss["msrWeight"]))
    return sum(parts[1:], parts[0]), parts


# ---------------------------------------------------------------- files

def read_f32(f, count):
    data = f.read(4 * count)
    if len(data) != 4 * count:
        raise SystemExit("torch_parity: batches.bin ended early")
    return torch.frombuffer(bytearray(data), dtype=torch.float32)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dir", required=True, help="the directory bench/parity.ts wrote")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--torch-running-var", action="store_true",
                   help="keep PyTorch's unbiased moving variance instead of the kit's biased one")
    p.add_argument("--torch-rmsprop", action="store_true",
                   help="torch.optim.RMSprop (eps outside the square root) instead of the kit's rule")
    p.add_argument("--float64", action="store_true",
                   help="train in float64: the reference for how far float32 rounding alone drifts")
    p.add_argument("--no-mkldnn", action="store_true",
                   help="convolutions without oneDNN (PyTorch's im2col + GEMM): the same "
                        "arithmetic summed in another order, to measure float32 rounding chaos")
    p.add_argument("--tag", default="torch", help="output names: TAG_result.json, TAG_weights.bin")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    if a.no_mkldnn:
        torch.backends.mkldnn.enabled = False
    with open(os.path.join(a.dir, "manifest.json")) as f:
        m = json.load(f)
    cfg, loss, opt_cfg, groups = m["model"], m["loss"], m["optimizer"], m["groups"]

    model = Network(cfg)
    if not a.torch_running_var:
        use_kit_batchnorm(model)
    pairs = bind_weights(model, m["weights"], cfg)
    with open(os.path.join(a.dir, "weights.bin"), "rb") as f:
        blob = torch.frombuffer(bytearray(f.read()), dtype=torch.float32)
    with torch.no_grad():
        for entry, field, tensor in pairs:
            kit = blob[entry["offset"]:entry["offset"] + math.prod(entry["shape"])]
            tensor.copy_(to_torch(kit.reshape(entry["shape"]), field))

    factors = cfg["factors"] if cfg["kind"] in ("mss", "mss-msr") else [1]
    msr_factors = cfg["msr"]["factors"] if cfg["kind"] == "mss-msr" else []
    n_stack_outputs = cfg["stacks"] * len(factors)
    dtype = torch.float64 if a.float64 else torch.float32
    if a.float64:
        model.double()
        pairs = bind_weights(model, m["weights"], cfg)  # buffers are new tensors now
    params = [t for _, _, t in pairs if t.requires_grad]
    if opt_cfg["name"] == "sgd":
        opt = KitSGD(params, opt_cfg["momentum"])
    elif opt_cfg["name"] != "rmsprop":
        raise SystemExit(f"torch_parity: optimizer {opt_cfg['name']!r}: the twin has rmsprop and sgd")
    elif a.torch_rmsprop:
        opt = torch.optim.RMSprop(params, lr=m["lrs"][0], alpha=opt_cfg["decay"],
                                  eps=opt_cfg["epsilon"], momentum=opt_cfg["momentum"])
        torch_step = opt.step

        def step_at(lr):
            for group in opt.param_groups:
                group["lr"] = lr
            torch_step()
        opt.step = step_at
    else:
        opt = KitRMSprop(params, opt_cfg["decay"], opt_cfg["momentum"], opt_cfg["epsilon"])
    layout = m["batch"]
    model.train()
    losses, parts_log = [], []
    t0 = time.perf_counter()
    with open(os.path.join(a.dir, "batches.bin"), "rb") as f:
        for step, lr in enumerate(m["lrs"]):
            images = read_f32(f, math.prod(layout["images"])).reshape(layout["images"])
            targets = [read_f32(f, math.prod(s)).reshape(s).permute(0, 3, 1, 2)
                       for s in layout["targets"]]
            w = read_f32(f, math.prod(layout["weights"])).reshape(layout["weights"]).to(dtype)
            targets = [t.to(dtype) for t in targets]
            outputs = model(images.permute(0, 3, 1, 2).contiguous().to(dtype))
            stacks = [outputs[i:i + len(factors)] for i in range(0, n_stack_outputs, len(factors))]
            total, parts = multi_scale_loss(stacks, outputs[n_stack_outputs:], factors,
                                            msr_factors, targets, w, loss, groups)
            opt.zero_grad()
            total.backward()
            opt.step(lr)
            losses.append(total.item())
            parts_log.append([t.item() for t in parts])
            if (step + 1) % 100 == 0:
                print(f"torch_parity: step {step + 1}/{len(m['lrs'])}", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - t0

    with open(os.path.join(a.dir, f"{a.tag}_weights.bin"), "wb") as f:
        for entry, field, tensor in pairs:
            f.write(to_kit(tensor.detach(), field).float().contiguous().numpy().tobytes())
    with open(os.path.join(a.dir, f"{a.tag}_result.json"), "w") as f:
        finite = lambda x: x if math.isfinite(x) else None  # noqa: E731 (JSON has no NaN)
        json.dump({"losses": [finite(x) for x in losses],
                   "parts": [[finite(x) for x in p] for p in parts_log], "seconds": seconds,
                   "torch": torch.__version__, "threads": torch.get_num_threads(),
                   "runningVar": "pytorch" if a.torch_running_var else "kit",
                   "optimizer": (opt_cfg["name"] if opt_cfg["name"] != "rmsprop" else
                                 "torch.optim.RMSprop" if a.torch_rmsprop else "kit RMSprop"),
                   "dtype": str(dtype), "mkldnn": torch.backends.mkldnn.enabled}, f)


if __name__ == "__main__":
    main(sys.argv[1:])
