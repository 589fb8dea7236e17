/**
 * Training: the experiment config, optimisers, schedules, checkpoints and the training loop
 * (issue 6).
 *
 * @module
 */

export {};
