/**
 * Models: stacked hourglass, MSS-net + MSR-net and MSSH, built from one typed model config
 * (issue 4).
 *
 * @module
 */

export {};
