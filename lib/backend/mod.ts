/**
 * Backend selection and registration (WebGPU with our own device request, wasm with training
 * kernels and native oneDNN convolutions, cpu).
 *
 * @module
 */

export * from "./select.ts";
export * from "./webgpu.ts";
export * from "./webgpu_kernels.ts";
export * from "./wasm_kernels.ts";
export * from "./wasm_threads.ts";
export * from "./cpu_kernels.ts";
export * from "./native.ts";
export { nativeBatchNormTraining } from "./native_bnorm_train.ts";
