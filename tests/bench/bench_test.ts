import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import {
  benchModelConfig,
  type BenchReport,
  type BenchResult,
  formatReport,
  memoryDrift,
  type MemorySnapshot,
  runBench,
  withTorch,
} from "../../bench/bench.ts";
import { findTorchPython, type TorchResult, torchTwinCounts, twinEnv } from "../../bench/torch.ts";
import { buildModel, countParams, MODEL_KINDS } from "../../lib/models/mod.ts";
import { initBackend } from "../../lib/backend/select.ts";
import { loadNative } from "../../lib/backend/native.ts";

// The wasm backend's thread pool lives as long as the process.
const BACKEND_TEST = { sanitizeOps: false, sanitizeResources: false };

const snap = (tensors: number, bytes: number, backendBytes: number): MemorySnapshot => ({
  tensors,
  bytes,
  backendBytes,
});

Deno.test("memory that returns to the first step's level is flat", () => {
  const d = memoryDrift([snap(10, 100, 1000), snap(12, 120, 1000), snap(10, 100, 1000)])!;
  assertEquals([d.steps, d.tensorDrift, d.bytesDrift, d.backendBytesDrift], [2, 0, 0, 0]);
  assertEquals(d.maxTensors, 12);
  assert(d.flat);
});

Deno.test("one leaked tensor or a grown heap is not flat", () => {
  assert(!memoryDrift([snap(10, 100, 1000), snap(11, 104, 1000)])!.flat);
  assert(!memoryDrift([snap(10, 100, 1000), snap(10, 100, 2000)])!.flat);
  assertEquals(memoryDrift([snap(10, 100, 1000)]), null);
});

Deno.test("the step where the heap last grew tells an allocator settling from a leak", () => {
  const settled = memoryDrift([snap(10, 100, 1000), snap(10, 100, 2000), snap(10, 100, 2000)])!;
  assertEquals([settled.flat, settled.lastGrowthStep], [false, 1]);
  const late = memoryDrift([snap(10, 100, 1000), snap(10, 100, 1000), snap(10, 100, 2000)])!;
  assertEquals(late.lastGrowthStep, 2);
  assertEquals(memoryDrift([snap(10, 100, 1000), snap(10, 100, 1000)])!.lastGrowthStep, 0);
});

const RESULT: BenchResult = {
  model: "hourglass",
  backend: "wasm",
  threads: 1,
  nativeThreads: null,
  stacks: 2,
  features: 64,
  batch: 4,
  size: 128,
  params: 545248,
  trainStepMs: 900,
  trainStepMinMs: 800,
  trainStepCpuMs: 890,
  inferMs: 150,
  inferMinMs: 140,
  inferCpuMs: 149,
  samplesPerSec: 4.4,
  inferSamplesPerSec: 26.7,
  peakTensors: 7000,
  peakBytes: 2 ** 30,
  memory: memoryDrift([snap(10, 100, 1000), snap(10, 100, 1000)]),
  steps: 5,
  warmup: 2,
  load: [0.5, 0.7],
};

const TORCH: TorchResult = {
  model: "hourglass",
  backend: "torch-cpu",
  device: "cpu",
  torch: "1.13.0",
  threads: 1,
  params: 545248,
  outputs: 2,
  trainStepMs: 300,
  trainStepMinMs: 200,
  trainStepCpuMs: 299,
  inferMs: 100,
  inferMinMs: 70,
  inferCpuMs: 99,
  load: [0.7, 0.8],
  batch: 4,
  size: 128,
  steps: 5,
};

Deno.test("ratios are tfjs time over PyTorch time, median over median and min over min", () => {
  const r = withTorch(RESULT, TORCH);
  assertEquals([r.trainRatio, r.trainMinRatio, r.inferRatio, r.inferMinRatio], [3, 4, 1.5, 2]);
  assertEquals(r.paramsMatch, true);
  assertEquals(withTorch({ ...RESULT, params: 1 }, TORCH).paramsMatch, false);
});

Deno.test("the report shows both sides, the ratios, memory and why PyTorch was skipped", () => {
  const report: BenchReport = {
    ...RESULT,
    date: "2026-11-23 12:00 UTC",
    ...withTorch(RESULT, TORCH),
  };
  const text = formatReport(report);
  assertMatch(text, /train step, median\s+900\.0 ms\s+300\.0 ms\s+3\.00x/);
  assertMatch(text, /parameters\s+545,248\s+545,248\s+same/);
  assertStringIncludes(text, "memory over 1 training steps: tensors 10 -> 10");
  assertStringIncludes(text, ": flat");
  const skipped = formatReport({ ...RESULT, date: "x", torchSkipped: "no python3 with torch" });
  assertStringIncludes(skipped, "PyTorch skipped: no python3 with torch");
});

Deno.test("without a python that has torch the reason names every python tried", async () => {
  const found = await findTorchPython(["/nonexistent/python3"]);
  if (!("skipped" in found)) throw new Error("a python that does not exist was found");
  assertStringIncludes(found.skipped, "/nonexistent/python3: not found");
  assertStringIncludes(found.skipped, "KIT_TORCH_PYTHON");
});

const torch = await findTorchPython();

Deno.test({
  name: "the PyTorch twin has exactly the kit's parameter count for every model kind",
  ignore: "skipped" in torch,
  fn: async () => {
    await initBackend("cpu", () => {});
    await Promise.all(MODEL_KINDS.map(async (kind) => {
      const config = benchModelConfig(kind, 2, 8, 64);
      const net = buildModel(config);
      const ours = countParams(net);
      net.graph.dispose();
      const twin = await torchTwinCounts(config, (torch as { python: string }).python);
      assertEquals(twin.params, ours, kind);
    }));
  },
});

Deno.test({
  name: "a tiny benchmark on wasm trains, times both passes and keeps memory flat; " +
    "--threads 2 goes to oneDNN, not to the wasm pool beside it",
  ...BACKEND_TEST,
  fn: async () => {
    const r = await runBench({
      model: "hourglass",
      stacks: 1,
      features: 8,
      batch: 1,
      size: 64,
      backend: "wasm",
      threads: 2,
      steps: 3,
      warmup: 1,
      progress: false,
      log: () => {},
    });
    assertEquals(r.trainError, undefined);
    assert(r.trainStepMs! > 0 && r.inferMs > 0 && r.trainStepMinMs! <= r.trainStepMs!);
    assertEquals(r.memory!.steps, 3);
    assert(r.memory!.flat, JSON.stringify(r.memory));
    assert(r.peakTensors > r.memory!.end.tensors);
    if (loadNative().loaded && !Deno.env.get("KIT_WASM_THREADS")) {
      assertEquals([r.nativeThreads, r.threads], [2, 1]);
    }
  },
});

Deno.test("the PyTorch twin's OpenMP and MKL pools get the bench's thread count unless the user set them", () => {
  assertEquals(twinEnv(1, {}), { OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" });
  assertEquals(twinEnv(2, { OMP_NUM_THREADS: "4" }), {
    OMP_NUM_THREADS: "4",
    MKL_NUM_THREADS: "2",
  });
});
