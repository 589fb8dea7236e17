/**
 * OpenMP thread control for the native path: Debian's oneDNN 2.x runs its primitives on
 * libgomp's pool, whose size is `omp_set_num_threads` of the calling thread (every FFI call of
 * the kit comes from the one JavaScript thread).
 *
 * Why a scope: oneDNN's batch-norm backward pass reduces each channel across its threads, and on
 * two vCPUs that other processes share each call then waited 11-16 ms whatever its size, against
 * 1.2-5.5 ms for a whole gradient on one thread (bench/RESULTS.md, "the slow mode follows
 * oneDNN's threads"). {@link withOmpThreads} runs such a primitive on fewer threads than the
 * convolutions use, and restores the pool's size afterwards.
 *
 * @module
 */

interface Gomp {
  set(n: number): void;
  max(): number;
}

let gomp: Gomp | null | undefined;

function open(): Gomp | null {
  if (gomp !== undefined) return gomp;
  try {
    const lib = Deno.dlopen("libgomp.so.1", {
      omp_set_num_threads: { parameters: ["i32"], result: "void" },
      omp_get_max_threads: { parameters: [], result: "i32" },
    });
    gomp = {
      set: (n) => lib.symbols.omp_set_num_threads(n),
      max: () => lib.symbols.omp_get_max_threads(),
    };
  } catch {
    gomp = null; // no libgomp (another platform or build): thread counts stay the library's
  }
  return gomp;
}

/**
 * Sets OpenMP's thread count for the calling thread's next parallel regions; false when libgomp
 * is not there.
 *
 * @example
 * ```ts
 * setOmpThreads(2); // true where libgomp.so.1 loads
 * ```
 */
export function setOmpThreads(n: number): boolean {
  const g = open();
  if (!g) return false;
  g.set(n);
  return true;
}

/**
 * OpenMP's thread count for the next parallel region, or null without libgomp.
 *
 * @example
 * ```ts
 * ompMaxThreads(); // e.g. 2
 * ```
 */
export function ompMaxThreads(): number | null {
  return open()?.max() ?? null;
}

/**
 * Runs `fn` with OpenMP limited to `n` threads and restores the previous count, even when `fn`
 * throws. Without libgomp it just runs `fn`.
 *
 * @example
 * ```ts
 * withOmpThreads(1, () => primitive.execute(views)); // a reduction-bound primitive on one thread
 * ```
 */
export function withOmpThreads<T>(n: number, fn: () => T): T {
  const restore = limitOmpThreads(n);
  try {
    return fn();
  } finally {
    restore();
  }
}

/**
 * Limits OpenMP to `n` threads until the returned function is called, which restores the
 * previous count (for code that cannot be wrapped in a closure, e.g. a constructor).
 *
 * @example
 * ```ts
 * const restore = limitOmpThreads(1);
 * try { build(); } finally { restore(); }
 * ```
 */
export function limitOmpThreads(n: number): () => void {
  const g = open();
  if (!g) return () => {};
  const before = g.max();
  if (before === n) return () => {};
  g.set(n);
  return () => g.set(before);
}
