/**
 * Data: SynthPose (the kit's procedural default dataset), the MPII / LSP / FLIC readers,
 * augmentation, keypoint masking and the batched, prefetching input pipeline.
 *
 * @module
 */

export * from "./types.ts";
export * from "./config.ts";
export * from "./image.ts";
export * from "./open.ts";
export * from "./augment.ts";
export * from "./masking.ts";
export * from "./prepare.ts";
export * from "./assemble.ts";
export * from "./pipeline.ts";
export * from "./export.ts";
export * from "./baseline.ts";
export { SynthPose } from "./synth/dataset.ts";
export { renderScene, type SynthScene } from "./synth/scene.ts";
export { kinematicPose } from "./synth/kinematic.ts";
export { BANK_SIZES, samplePose } from "./synth/pose.ts";
export { type Annotation, FileDataset, loadImageFile } from "./readers/common.ts";
export { openFlicH5, openMpiiH5 } from "./readers/hg_h5.ts";
export { MpiiJsonDataset, openMpiiJson } from "./readers/mpii_json.ts";
export { openLsp } from "./readers/lsp.ts";
