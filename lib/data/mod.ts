/**
 * Data: SynthPose, the MPII/LSP/FLIC readers, augmentation, keypoint masking and the batched
 * input pipeline (issue 3).
 *
 * @module
 */

export {};
