/**
 * Errors meant for the user: bad input, missing files, bad config. CLIs print their message
 * without a stack trace; anything else that escapes is a bug in the kit and keeps its trace.
 *
 * @module
 */

/**
 * An error caused by the user's input, whose message says what is wrong and where (file, field,
 * value).
 *
 * @example
 * ```ts
 * throw new KitError(`data/mpii/annot/valid.h5: field "part" has shape [2958, 14, 2], expected [N, 16, 2]`);
 * ```
 */
export class KitError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "KitError";
  }
}
