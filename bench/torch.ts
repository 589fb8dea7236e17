/**
 * The PyTorch side of `deno task bench --torch`: finds a python3 that has torch, runs
 * bench/torch_hourglass.py on the kit's resolved model config (so both build the same network)
 * and reads its JSON line.
 *
 * @module
 */

import type { ModelConfig } from "../lib/models/mod.ts";

/** What bench/torch_hourglass.py prints. */
export interface TorchResult {
  readonly model: string;
  /** `torch-cpu` or `torch-cuda`. */
  readonly backend: string;
  /** `cpu` or the CUDA device's name. */
  readonly device: string;
  readonly torch: string;
  readonly threads: number;
  readonly params: number;
  readonly outputs: number;
  readonly trainStepMs: number;
  readonly trainStepMinMs: number;
  readonly trainStepCpuMs: number;
  readonly inferMs: number;
  readonly inferMinMs: number;
  readonly inferCpuMs: number;
  /** 1-minute load average before and after. */
  readonly load: [number, number];
  readonly batch: number;
  readonly size: number;
  readonly steps: number;
  /** Resident set before the training steps, its high-water mark after them, the difference. */
  readonly rssBeforeTrainBytes?: number;
  readonly rssPeakBytes?: number;
  readonly trainPeakOverBytes?: number;
  /** On CUDA: `torch.cuda.max_memory_allocated` over the training steps. */
  readonly cudaMaxAllocatedBytes?: number;
}

/** A python3 with torch, or why none was found. */
export type TorchPython =
  | { readonly python: string; readonly torch: string }
  | { readonly skipped: string };

/**
 * Pythons tried, in order: `$KIT_TORCH_PYTHON`, Debian's `/usr/bin/python3` (python3-torch),
 * then `python3` on the PATH.
 *
 * @example
 * ```ts
 * torchPythonCandidates(); // ["/usr/bin/python3", "python3"] without KIT_TORCH_PYTHON
 * ```
 */
export function torchPythonCandidates(): string[] {
  const env = Deno.env.get("KIT_TORCH_PYTHON");
  return [...new Set([...(env ? [env] : []), "/usr/bin/python3", "python3"])];
}

/**
 * Finds the first python that imports torch; otherwise says which ones were tried and why
 * they failed.
 *
 * @example
 * ```ts
 * const found = await findTorchPython();
 * if ("skipped" in found) console.error(found.skipped);
 * ```
 */
export async function findTorchPython(
  candidates: readonly string[] = torchPythonCandidates(),
): Promise<TorchPython> {
  const tried: string[] = [];
  for (const python of candidates) {
    try {
      const out = await new Deno.Command(python, {
        args: ["-c", "import torch; print(torch.__version__)"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (out.success) {
        return { python, torch: new TextDecoder().decode(out.stdout).trim() };
      }
      const err = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1) ?? "";
      tried.push(`${python}: ${err || `exit ${out.code}`}`);
    } catch (e) {
      tried.push(`${python}: ${e instanceof Deno.errors.NotFound ? "not found" : String(e)}`);
    }
  }
  return {
    skipped: `no python3 with torch found (tried ${tried.join("; ")}); set KIT_TORCH_PYTHON to ` +
      "one (e.g. Debian's python3-torch at /usr/bin/python3)",
  };
}

/** How to run the twin. */
export interface TorchRunOptions {
  readonly python: string;
  readonly batch: number;
  readonly threads: number;
  /** `cpu`, `cuda` or `cuda:N`. */
  readonly device: string;
  readonly steps: number;
  readonly warmup: number;
}

const SCRIPT = new URL("./torch_hourglass.py", import.meta.url).pathname;

/**
 * The environment for a twin on `threads` CPU threads: OpenMP and MKL pools of that size (unless
 * the user set them). `torch.set_num_threads(1)` alone leaves the pool PyTorch made at import
 * (one thread per core) spinning beside the one that works: a "1 thread" step then took 2x its
 * wall time in CPU (373 against 188 ms, bench/RESULTS.md) and stole the second core from
 * whatever else ran, which made side-by-side ratios on a shared machine unfair.
 *
 * @example
 * ```ts
 * twinEnv(1, {}); // { OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" }
 * ```
 */
export function twinEnv(
  threads: number,
  current: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["OMP_NUM_THREADS", "MKL_NUM_THREADS"]) {
    env[name] = current[name] ?? String(threads);
  }
  return env;
}

async function runScript(
  python: string,
  args: string[],
  threads?: number,
): Promise<string> {
  const out = await new Deno.Command(python, {
    args: [SCRIPT, ...args],
    stdout: "piped",
    stderr: "piped",
    ...(threads === undefined ? {} : { env: twinEnv(threads, Deno.env.toObject()) }),
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  const last = stdout.split("\n").at(-1) ?? "";
  if (!out.success || !last.startsWith("{")) {
    throw new Error(
      `bench/torch_hourglass.py failed (exit ${out.code}): ${
        stderr.split("\n").slice(-3).join(" ")
      }`,
    );
  }
  return last;
}

/**
 * The twin's parameter and output counts for `config`, without timing (checks that it builds
 * the same network: its count must equal `countParams`).
 *
 * @example
 * ```ts
 * const { params } = await torchTwinCounts(net.config, "/usr/bin/python3");
 * params === countParams(net); // true
 * ```
 */
export async function torchTwinCounts(
  config: ModelConfig,
  python: string,
): Promise<{ params: number; outputs: number }> {
  const last = await runScript(python, ["--config", JSON.stringify(config), "--count-only"]);
  return JSON.parse(last) as { params: number; outputs: number };
}

/**
 * Runs bench/torch_hourglass.py for `config` and returns its result. Throws an Error with the
 * script's stderr when it fails.
 *
 * @example
 * ```ts
 * const r = await runTorchTwin(net.config, { python: "/usr/bin/python3", batch: 4, threads: 1, device: "cpu", steps: 5, warmup: 2 });
 * r.trainStepMs;
 * ```
 */
export async function runTorchTwin(
  config: ModelConfig,
  opts: TorchRunOptions,
): Promise<TorchResult> {
  const last = await runScript(opts.python, [
    "--config",
    JSON.stringify(config),
    "--batch",
    String(opts.batch),
    "--threads",
    String(opts.threads),
    "--device",
    opts.device,
    "--steps",
    String(opts.steps),
    "--warmup",
    String(opts.warmup),
  ], opts.device === "cpu" ? opts.threads : undefined);
  return JSON.parse(last) as TorchResult;
}
