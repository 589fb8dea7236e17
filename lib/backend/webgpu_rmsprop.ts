/**
 * RMSprop's update on tfjs-backend-webgpu as one compute dispatch per weight tensor.
 *
 * The kit's flat RMSprop (lib/train/flat_rmsprop.ts) concatenates gradients, weights and state
 * into flat vectors, runs about ten element-wise kernels over them and splits the results back.
 * On the CPU backends that is a few large loops; on WebGPU each concatenation is one dispatch per
 * seven inputs (the binding limit) and the split one dispatch per weight and per result, so for
 * the ~400 weight tensors of a 2-stack hourglass the update alone is ~1,400 dispatches, most of a
 * step's. Here one WGSL program reads a weight's gradient, mean square, momentum and value and
 * writes the three new tensors at once: one dispatch per weight, no concatenation, no split, and
 * one uniform buffer for the whole update. The arithmetic and its order are tfjs's:
 *
 * ```
 * ms' = ms·decay + g²·(1 - decay);  step = g·lr / sqrt(ms' + ε);  m' = m·momentum + step;  w' = w - m'
 * ```
 *
 * (`m' = step` when momentum is 0, as in flat_rmsprop.ts.) It records its dispatches into the
 * backend's own command encoder and marks every buffer it touches as owned by the queue, so tfjs
 * frees and reuses them only after the work is submitted, as for its own programs (webgpu_raw.ts);
 * unlike `rawDispatch` it submits once, after all weights, not every few dispatches.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { recordWebGpuKernelRun, webGpuFusedEnabled } from "./webgpu_kernels.ts";
import {
  rawBackend,
  rawBinding,
  rawPipeline,
  rawUniform,
  type WebGpuBackendInternals,
} from "./webgpu_raw.ts";

/** Threads per workgroup; a second grid dimension takes weights over 65,535 workgroups. */
const WORKGROUP = 256;
const MAX_GROUPS_X = 65535;

const SHADER = /* wgsl */ `
struct Params { lr: f32, decay: f32, oneMinusDecay: f32, momentum: f32, epsilon: f32, useMomentum: u32 };
@group(0) @binding(0) var<storage, read_write> wOut: array<f32>;
@group(0) @binding(1) var<storage, read_write> msOut: array<f32>;
@group(0) @binding(2) var<storage, read_write> momOut: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read> ms: array<f32>;
@group(0) @binding(5) var<storage, read> mom: array<f32>;
@group(0) @binding(6) var<storage, read> w: array<f32>;
@group(0) @binding(7) var<uniform> p: Params;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.y * groups.x * ${WORKGROUP}u + gid.x;
  if (i >= arrayLength(&g)) { return; }
  let gi = g[i];
  // tfjs's order: (ms·decay) + (g²·(1 - decay)), then (g·lr) / sqrt(ms' + ε).
  let msNew = ms[i] * p.decay + (gi * gi) * p.oneMinusDecay;
  let step = (gi * p.lr) / sqrt(msNew + p.epsilon);
  var momNew = step;
  if (p.useMomentum != 0u) { momNew = mom[i] * p.momentum + step; }
  msOut[i] = msNew;
  momOut[i] = momNew;
  wOut[i] = w[i] - momNew;
}
`;

/** RMSprop's settings, as the optimizer holds them. */
export interface RmsPropSettings {
  readonly learningRate: number;
  readonly decay: number;
  readonly momentum: number;
  readonly epsilon: number;
}

/**
 * Applies one RMSprop update on webgpu: for each weight i, `squares[i]`, `moments[i]` and
 * `values[i]` are assigned their new values from `grads[i]`. Returns false, doing nothing, when
 * the backend is not webgpu, the kit's webgpu kernels are switched off, or a tensor is not
 * float32 (the caller then runs its own update).
 *
 * @example
 * ```ts
 * if (!webGpuRmsPropUpdate(values, grads, squares, moments, optimizer)) flatUpdate();
 * ```
 */
export function webGpuRmsPropUpdate(
  values: readonly tf.Variable[],
  grads: readonly tf.Tensor[],
  squares: readonly tf.Variable[],
  moments: readonly tf.Variable[],
  settings: RmsPropSettings,
): boolean {
  if (tf.getBackend() !== "webgpu" || !webGpuFusedEnabled()) return false;
  const all = [...values, ...grads, ...squares, ...moments];
  if (all.some((t) => t.dtype !== "float32")) return false;
  // An empty weight has nothing to bind (a zero-size binding is invalid): leave it to tfjs.
  if (values.some((v) => v.size === 0)) return false;
  // Undefined while tfjs's profiler times programs: leave profiled runs to tfjs.
  const backend = rawBackend();
  if (!backend) return false;
  const pipeline = rawPipeline(backend, "kitRmsProp", SHADER);
  const uniform = uniformBuffer(backend, settings);
  const outputs: tf.TensorInfo[][] = [];
  for (let i = 0; i < values.length; i++) {
    const n = values[i]!.size;
    const bytes = n * 4;
    const out = [0, 1, 2].map(() => backend.makeTensorInfo(values[i]!.shape, "float32"));
    const entries = [
      ...out.map((o) => rawBinding(backend, o, bytes)),
      ...[grads[i]!, squares[i]!, moments[i]!, values[i]!].map((t) =>
        rawBinding(backend, t, bytes)
      ),
      { buffer: uniform },
    ].map((resource, b) => ({ binding: b, resource }));
    const bindGroup = backend.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries,
    });
    backend.ensureCommandEncoderReady();
    backend.computePassEncoder ??= backend.commandEncoder!.beginComputePass();
    const groups = Math.ceil(n / WORKGROUP);
    const x = Math.min(groups, MAX_GROUPS_X);
    backend.computePassEncoder.setPipeline(pipeline);
    backend.computePassEncoder.setBindGroup(0, bindGroup);
    backend.computePassEncoder.dispatchWorkgroups(x, Math.ceil(groups / x));
    outputs.push(out);
  }
  // Submitted now, as tfjs submits every few dispatches: the replaced buffers go back to the pool.
  backend.endComputePassEncoder();
  backend.submitQueue();
  recordWebGpuKernelRun("RMSPropUpdate", values.length);
  tf.tidy(() => {
    outputs.forEach(([w, ms, mom], i) => {
      const engine = tf.engine();
      values[i]!.assign(engine.makeTensorFromTensorInfo(w!));
      squares[i]!.assign(engine.makeTensorFromTensorInfo(ms!));
      moments[i]!.assign(engine.makeTensorFromTensorInfo(mom!));
    });
  });
  return true;
}

/** The update's settings in a uniform buffer, freed by tfjs after the next submit. */
function uniformBuffer(backend: WebGpuBackendInternals, s: RmsPropSettings): GPUBuffer {
  const data = new ArrayBuffer(32);
  new Float32Array(data, 0, 5).set([
    s.learningRate,
    s.decay,
    1 - s.decay,
    s.momentum,
    s.epsilon,
  ]);
  new Uint32Array(data, 20, 1)[0] = s.momentum === 0 ? 0 : 1;
  return rawUniform(backend, data);
}
