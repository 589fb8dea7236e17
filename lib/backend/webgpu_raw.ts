/**
 * Compute dispatches the kit records into tfjs-backend-webgpu's own command encoder, for
 * programs that tfjs's `runWebGPUProgram` cannot run: those that write more than one output.
 *
 * tfjs binds one output per program. A program with several outputs (RMSprop's three new
 * tensors, BatchNorm's dβ and dγ) is recorded here instead, with the same bookkeeping as tfjs's
 * own dispatches: every buffer it touches is marked as owned by the queue (tfjs frees and reuses
 * it only after the work is submitted), the dispatch counts towards tfjs's submit batch, and
 * uniform buffers are returned to the pool at the next submit.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

/** The parts of tfjs-backend-webgpu's backend the raw dispatches drive directly. */
export interface WebGpuBackendInternals {
  device: GPUDevice;
  queue: GPUQueue;
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  commandQueueOwnedIds: WeakSet<object>;
  uniformPendingDisposal: GPUBuffer[];
  dispatchCountInPass: number;
  activeTimers?: unknown[] | null;
  bufferManager: { acquireBuffer(size: number, usage: number): GPUBuffer };
  tensorMap: { get(dataId: object): { resource: GPUBuffer | null } };
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  uploadToGPU(dataId: object): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/** The current backend's internals, or undefined when raw dispatches cannot be used now. */
export function rawBackend(): WebGpuBackendInternals | undefined {
  if (tf.getBackend() !== "webgpu") return undefined;
  const backend = tf.backend() as unknown as WebGpuBackendInternals;
  // The profiler's per-program timers expect tfjs's own programs: leave profiled runs to tfjs.
  return backend.activeTimers != null ? undefined : backend;
}

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

/**
 * The compute pipeline of a WGSL program (entry point `main`), compiled once per device.
 *
 * @example
 * ```ts
 * const pipeline = rawPipeline(backend, "kitRmsProp", SHADER);
 * ```
 */
export function rawPipeline(
  backend: WebGpuBackendInternals,
  key: string,
  code: string,
): GPUComputePipeline {
  const device = backend.device;
  let cache = pipelines.get(device);
  if (!cache) pipelines.set(device, cache = new Map());
  let pipeline = cache.get(key);
  if (!pipeline) {
    pipeline = device.createComputePipeline({
      layout: "auto",
      compute: { module: device.createShaderModule({ code }), entryPoint: "main" },
    });
    cache.set(key, pipeline);
  }
  return pipeline;
}

/**
 * A tensor's buffer as a binding (created if the tensor has none yet), owned by the queue until
 * the next submit.
 *
 * @example
 * ```ts
 * const out = backend.makeTensorInfo([c], "float32");
 * const binding = rawBinding(backend, out, c * 4);
 * ```
 */
export function rawBinding(
  backend: WebGpuBackendInternals,
  t: tf.TensorInfo,
  bytes = tf.util.sizeFromShape(t.shape) * 4,
): GPUBufferBinding {
  backend.uploadToGPU(t.dataId);
  backend.commandQueueOwnedIds.add(t.dataId);
  return { buffer: backend.tensorMap.get(t.dataId).resource!, offset: 0, size: bytes };
}

/**
 * A uniform buffer holding `data`, returned to tfjs's pool after the next submit.
 *
 * @example
 * ```ts
 * const uniform = rawUniform(backend, new Float32Array([0.1, 0.9]).buffer);
 * ```
 */
export function rawUniform(backend: WebGpuBackendInternals, data: ArrayBuffer): GPUBuffer {
  // Uniform bindings are sized in multiples of 16 bytes.
  const size = Math.ceil(data.byteLength / 16) * 16;
  const buffer = backend.bufferManager.acquireBuffer(
    size,
    GPUBufferUsage.COPY_DST | GPUBufferUsage.UNIFORM,
  );
  backend.queue.writeBuffer(buffer, 0, data);
  backend.uniformPendingDisposal.push(buffer);
  return buffer;
}

/**
 * Records one dispatch of `pipeline` with `resources` bound in order (binding 0, 1, ...) into
 * tfjs's compute pass, and submits when tfjs would (its `WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE`).
 *
 * @example
 * ```ts
 * rawDispatch(backend, pipeline, [rawBinding(backend, out), { buffer: uniform }], [groups, 1]);
 * ```
 */
export function rawDispatch(
  backend: WebGpuBackendInternals,
  pipeline: GPUComputePipeline,
  resources: GPUBindingResource[],
  groups: [number, number?, number?],
): void {
  const bindGroup = backend.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: resources.map((resource, binding) => ({ binding, resource })),
  });
  backend.ensureCommandEncoderReady();
  backend.computePassEncoder ??= backend.commandEncoder!.beginComputePass();
  backend.computePassEncoder.setPipeline(pipeline);
  backend.computePassEncoder.setBindGroup(0, bindGroup);
  backend.computePassEncoder.dispatchWorkgroups(groups[0], groups[1] ?? 1, groups[2] ?? 1);
  backend.dispatchCountInPass++;
  if (tf.env().getNumber("WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE") <= backend.dispatchCountInPass) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
}
