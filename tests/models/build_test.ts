import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { KitError } from "../../lib/io/errors.ts";
import {
  buildModel,
  countParams,
  dispatchStacks,
  formatSummary,
  forward,
  type ModelConfig,
  predictHeatmaps,
  resolveModelConfig,
  summarizeModel,
} from "../../lib/models/mod.ts";
import { assertNoLeaks, useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend();

const tiny = (override: Record<string, unknown>): ModelConfig =>
  resolveModelConfig({ inputSize: 64, stacks: 2, features: 8, ...override });

const shapes = (ts: readonly tf.Tensor[]) => ts.map((t) => t.shape);
const maxAbsDiff = async (a: tf.Tensor, b: tf.Tensor) =>
  (await tf.max(tf.abs(tf.sub(a, b))).data())[0]!;
const images = (b: number) => tf.randomUniform([b, 64, 64, 3], 0, 1, "float32", 7) as tf.Tensor4D;

Deno.test("the hourglass emits one 16x16 map per stack for 64x64 inputs", () => {
  const net = buildModel(tiny({ kind: "hourglass" }), { seed: 1 });
  assertEquals(net.outputs, [{ stack: 0, factor: 1 }, { stack: 1, factor: 1 }]);
  const x = images(2);
  const out = forward(net, x, false);
  assertEquals(out.stacks.map(shapes), [[[2, 16, 16, 16]], [[2, 16, 16, 16]]]);
  assertEquals(out.msr, undefined);
  assert(out.final === out.stacks[1]![0]);
  tf.dispose([out, x]);
});

Deno.test("MSS-net emits every stack's heatmaps at factors 1, 2, 4 and 8", () => {
  const net = buildModel(tiny({ kind: "mss" }), { seed: 1 });
  const x = images(1);
  const out = forward(net, x, false);
  const pyramid = [[1, 16, 16, 16], [1, 8, 8, 16], [1, 4, 4, 16], [1, 2, 2, 16]];
  assertEquals(out.stacks.map(shapes), [pyramid, pyramid]);
  assertEquals(out.factors, [1, 2, 4, 8]);
  assertEquals(net.outputs.map((o) => `${o.stack}/${o.factor}`), [
    "0/1",
    "0/2",
    "0/4",
    "0/8",
    "1/1",
    "1/2",
    "1/4",
    "1/8",
  ]);
  tf.dispose([out, x]);
});

Deno.test("MSS-net supervises only the configured factors", () => {
  const net = buildModel(tiny({ kind: "mss", factors: [1, 4], stacks: 1 }), { seed: 1 });
  const x = images(1);
  const out = forward(net, x, false);
  assertEquals(out.stacks.map(shapes), [[[1, 16, 16, 16], [1, 4, 4, 16]]]);
  tf.dispose([out, x]);
});

Deno.test("MSR-net refines the last stack's heatmaps at its own factors and gives the final maps", () => {
  const net = buildModel(
    tiny({ kind: "mss-msr", factors: [1, 2], msr: { features: 8, depth: 2, factors: [1, 2] } }),
    { seed: 1 },
  );
  const x = images(1);
  const out = forward(net, x, false);
  assertEquals(shapes(out.msr!), [[1, 16, 16, 16], [1, 8, 8, 16]]);
  assert(out.final === out.msr![0]);
  assertEquals(net.outputs.at(-1), { stack: "msr", factor: 2 });
  assertEquals(net.graph.outputs.length, net.outputs.length);
  tf.dispose([out, x]);
});

Deno.test("predictions read the final maps, or the last stack's when asked, leaking nothing", async () => {
  const net = buildModel(
    tiny({ kind: "mss-msr", factors: [1, 2], msr: { features: 8, depth: 2, factors: [1, 2] } }),
    { seed: 1 },
  );
  const x = images(1);
  const out = forward(net, x, false);
  const final = predictHeatmaps(net, x);
  const stacks = predictHeatmaps(net, x, "stacks");
  assertAlmostEquals(await maxAbsDiff(final, out.msr![0]!), 0, 1e-6);
  assertAlmostEquals(await maxAbsDiff(stacks, out.stacks.at(-1)![0]!), 0, 1e-6);
  assert(await maxAbsDiff(final, stacks) > 1e-3, "the MSR-net's maps equal the stack's");
  await assertNoLeaks(() => predictHeatmaps(net, x, "stacks"), "predictHeatmaps stacks");
  tf.dispose([out, final, stacks, x]);
});

Deno.test("MSR-net can read the last stack's features too", () => {
  const cfg = tiny({
    kind: "mss-msr",
    msr: { features: 8, depth: 2, factors: [1], withFeatures: true },
  });
  const input = summarizeModel(buildModel(cfg)).find((r) => r.module === "msr input")!;
  // conv1x1 from 4 heatmap factors x 16 joints + 8 features to 8 channels, plus BN.
  assertEquals(input.params, (4 * 16 + 8) * 8 + 8 + 2 * 8);
});

Deno.test("MSSH dispatches the pre-processing scales coarsest first into the stacks", () => {
  assertEquals(dispatchStacks(3, 8), [0, 4, 7]);
  assertEquals(dispatchStacks(2, 2), [0, 1]);
  assertEquals(dispatchStacks(1, 4), [0]);
  const net = buildModel(tiny({ kind: "mssh", scales: 2 }), { seed: 1 });
  const pre = summarizeModel(net).find((r) => r.module === "pre-processing")!;
  // S/4 (from the S/8 level) then S/4 (from the S/4 level): both at the stacks' 16x16.
  assertEquals(pre.outputShapes, [[-1, 16, 16, 8], [-1, 16, 16, 8]]);
  const x = images(1);
  const out = forward(net, x, false);
  assertEquals(out.stacks.map(shapes), [[[1, 16, 16, 16]], [[1, 16, 16, 16]]]);
  tf.dispose([out, x]);
});

Deno.test("the forward pass and the saved tfjs graph are the same network", async () => {
  for (const kind of ["mss-msr", "mssh"]) {
    const override = kind === "mssh"
      ? { kind, scales: 2 }
      : { kind, msr: { features: 8, depth: 2, factors: [1, 2] } };
    const net = buildModel(tiny(override), { seed: 3 });
    const x = images(2);
    const out = forward(net, x, false);
    const predicted = net.graph.predict(x) as tf.Tensor[];
    const ours = [...out.stacks.flat(), ...(out.msr ?? [])];
    assertEquals(predicted.length, ours.length);
    for (const [i, p] of predicted.entries()) {
      assertAlmostEquals(await maxAbsDiff(p, ours[i]!), 0, 1e-5);
    }
    tf.dispose([out, predicted, x]);
  }
});

Deno.test("a forward pass in either mode leaks no tensor", async () => {
  for (const kind of ["hourglass", "mss", "mss-msr", "mssh"]) {
    const net = buildModel(tiny(kind === "mssh" ? { kind, scales: 2 } : { kind }), { seed: 1 });
    const x = images(2);
    for (const training of [false, true]) {
      const n = await assertNoLeaks(() => forward(net, x, training), `${kind} forward`);
      assert(n > 0);
    }
    x.dispose();
  }
});

Deno.test("images of the wrong size are refused with the expected shape", () => {
  const net = buildModel(tiny({ kind: "hourglass", stacks: 1 }));
  const x = tf.zeros([1, 128, 128, 3]) as tf.Tensor4D;
  assertThrows(
    () => forward(net, x, false),
    KitError,
    "images must be [B, 64, 64, 3] for model.inputSize 64; got [1, 128, 128, 3]",
  );
  x.dispose();
});

Deno.test("2 stacks of 64 features have 545,248 parameters, as the PyTorch twin", () => {
  // Counted with torch on the same architecture (skip convs only where in != out).
  const net = buildModel(resolveModelConfig({ stacks: 2, features: 64, inputSize: 64 }));
  assertEquals(countParams(net), 545_248);
  const rows = summarizeModel(net);
  assertEquals(rows.map((r) => r.module), [
    "stem",
    "stack 1 hourglass",
    "stack 1 features",
    "stack 1 heads",
    "stack 1 merge",
    "stack 2 hourglass",
    "stack 2 features",
    "stack 2 heads",
  ]);
  // Residual(64, 64) = 13,696; the hourglass of depth 4 has 4 * 3 + 1 of them.
  assertEquals(rows[1]!.params, 13 * 13_696);
  assertEquals(rows[3], {
    module: "stack 1 heads",
    params: 64 * 16 + 16,
    outputShapes: [[-1, 16, 16, 16]],
  });
  assertEquals(rows.reduce((n, r) => n + r.params, 0), 545_248);
});

Deno.test("the summary table lists modules, parameters and shapes with a total", () => {
  const net = buildModel(tiny({ kind: "mss", stacks: 1, factors: [1, 2] }));
  const text = formatSummary(summarizeModel(net));
  const lines = text.split("\n");
  assert(/^module +params {2}output \(H x W x C\)$/.test(lines[0]!), text);
  assert(lines.some((l) => /^stack 1 heads\s+288\s+16x16x16, 8x8x16$/.test(l)), text);
  assert(/^total\s+[\d,]+$/.test(lines.at(-1)!), text);
});

Deno.test("a seed makes the initial weights reproducible", async () => {
  const a = buildModel(tiny({ kind: "hourglass", stacks: 1 }), { seed: 5 });
  const b = buildModel(tiny({ kind: "hourglass", stacks: 1 }), { seed: 5 });
  const wa = a.graph.getWeights();
  const wb = b.graph.getWeights();
  for (const [i, w] of wa.entries()) assertEquals(await w.data(), await wb[i]!.data());
  // PyTorch's default init: the 7x7 stem kernel is uniform in ±1/sqrt(3 * 49).
  const stem = a.graph.getLayer("stem.conv").getWeights()[0]!;
  const bound = 1 / Math.sqrt(147);
  const largest = (await tf.max(tf.abs(stem)).data())[0]!;
  assert(largest <= bound && largest > 0.9 * bound, `${largest} vs ${bound}`);
  a.graph.dispose();
  b.graph.dispose();
});

Deno.test("a saved model reloads with tf.loadLayersModel and predicts the same maps", async () => {
  const net = buildModel(tiny({ kind: "mss", stacks: 1, factors: [1, 2] }), { seed: 6 });
  let artifacts: tf.io.ModelArtifacts | undefined;
  await net.graph.save(tf.io.withSaveHandler((a) => {
    artifacts = a;
    return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) });
  }));
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
  const x = images(1);
  const ours = net.graph.predict(x) as tf.Tensor[];
  const theirs = loaded.predict(x) as tf.Tensor[];
  assertEquals(theirs.length, 2);
  for (const [i, t] of theirs.entries()) assertEquals(await maxAbsDiff(t, ours[i]!), 0);
  tf.dispose([x, ours, theirs]);
  loaded.dispose();
});
