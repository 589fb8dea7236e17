/**
 * Where a known pattern goes in each of Ke's and MSSH's networks: a constant added to one
 * internal signal, run eagerly through the network's own modules, and which heads change (and by
 * how much, where the path is linear).
 */
import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import {
  buildModel,
  dispatchScales,
  dispatchStacks,
  type ModelConfig,
  type PoseModel,
  resolveModelConfig,
  stackScales,
} from "../../lib/models/mod.ts";
import type { RunContext } from "../../lib/models/layers.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend();

type Maps = readonly tf.Tensor[];
type StackLike = {
  apply: (x: tf.Tensor, ctx: RunContext) => { feat: tf.Tensor; heatmaps: Maps };
  hg: { apply: (x: tf.Tensor, ctx: RunContext) => { out: tf.Tensor; levels: Maps } };
};
/** The network's modules, reached at run time (they are private to lib/models). */
type Internals = {
  stacks: StackLike[];
  mssh?: { pre: { apply: (x: tf.Tensor, ctx: RunContext) => tf.Tensor[] } };
  msr?: { apply: (h: Maps, feat: tf.Tensor, ctx: RunContext) => Maps };
};
const internals = (net: PoseModel) => net.network as unknown as Internals;
const ctx: RunContext = { training: false };
const images = () => tf.randomUniform([1, 64, 64, 3], 0, 1, "float32", 11) as tf.Tensor4D;
const tiny = (o: Record<string, unknown>): ModelConfig =>
  resolveModelConfig({ inputSize: 64, features: 8, ...o });

/** Largest absolute difference of two tensors. */
async function diff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  return (await tf.max(tf.abs(tf.sub(a, b))).data())[0]!;
}

/** Runs the network eagerly: stacks' heatmaps, MSR-net's, and each stack's input. */
function run(net: PoseModel, x: tf.Tensor4D) {
  const inputs: tf.Tensor[] = [];
  const tree = internals(net);
  const originals = tree.stacks.map((s) => s.apply);
  tree.stacks.forEach((s, i) => {
    s.apply = (input, c) => {
      inputs[i] = input;
      return originals[i]!.call(s, input, c);
    };
  });
  try {
    const out = net.network.apply(x, ctx);
    return { stacks: out.stacks as Maps[], msr: out.msr as Maps | undefined, inputs };
  } finally {
    tree.stacks.forEach((s, i) => (s.apply = originals[i]!));
  }
}

Deno.test("MSS-net: a pattern on the hourglass's 1/f deconv level reaches exactly the factor-f head", async () => {
  const net = buildModel(tiny({ kind: "mss", stacks: 2, depth: 3, factors: [1, 2, 4] }), {
    seed: 2,
  });
  const x = images();
  const base = run(net, x);
  const stack0 = internals(net).stacks[0]!;
  const hgApply = stack0.hg.apply;
  const c = 0.5;
  // levels are coarsest first: [1/4, 1/2] of the 16x16 map for depth 3.
  for (const [level, factor] of [[0, 4], [1, 2]] as const) {
    stack0.hg.apply = (input, cx) => {
      const r = hgApply.call(stack0.hg, input, cx);
      return { out: r.out, levels: r.levels.map((l, i) => (i === level ? tf.add(l, c) : l)) };
    };
    const moved = run(net, x);
    stack0.hg.apply = hgApply;
    const heads = [1, 2, 4];
    for (const [i, f] of heads.entries()) {
      const d = await diff(moved.stacks[0]![i]!, base.stacks[0]![i]!);
      if (f !== factor) assertEquals(d, 0, `factor-${f} head moved by a 1/${factor} pattern`);
    }
    // The head is a 1x1 conv: adding c to every channel adds c x (column sum of its kernel).
    const head = net.graph.getLayer(`stacks.0.heads.${factor}`).getWeights()[0]!; // [1, 1, F, J]
    const expected = await tf.mul(tf.sum(head, [0, 1, 2]), c).data();
    const k = heads.indexOf(factor);
    const got = await tf.sub(moved.stacks[0]![k]!, base.stacks[0]![k]!).data();
    for (let p = 0; p < got.length; p++) {
      assertAlmostEquals(got[p]!, expected[p % expected.length]!, 1e-4);
    }
    // The side output does not feed the next stack: stack 2 is untouched.
    assertEquals(await diff(moved.stacks[1]![0]!, base.stacks[1]![0]!), 0);
  }
});

Deno.test("MSR-net: a pattern on any scale of the last stack's heatmaps reaches every MSR output", async () => {
  const net = buildModel(
    tiny({
      kind: "mss-msr",
      stacks: 1,
      depth: 3,
      factors: [1, 2, 4],
      msr: { features: 8, depth: 2, factors: [1, 2] },
    }),
    { seed: 3 },
  );
  const x = images();
  const base = run(net, x);
  const msr = internals(net).msr!;
  const msrApply = msr.apply;
  for (const scale of [0, 1, 2]) {
    msr.apply = (h, feat, cx) =>
      msrApply.call(msr, h.map((m, i) => (i === scale ? tf.add(m, 1) : m)), feat, cx);
    const moved = run(net, x);
    msr.apply = msrApply;
    for (const [i, out] of moved.msr!.entries()) {
      const d = await diff(out, base.msr![i]!);
      assert(d > 1e-4, `MSR output ${i} ignores the factor-${2 ** scale} heatmaps (${d})`);
    }
    // The stacks come before the MSR-net: their heatmaps are unchanged.
    for (const [i, h] of moved.stacks[0]!.entries()) {
      assertEquals(await diff(h, base.stacks[0]![i]!), 0);
    }
  }
});

Deno.test("MSSH: every stack receives a dispatched feature, coarsest at the front, finest at the rear", async () => {
  assertEquals(dispatchScales(3, 8), [0, 0, 0, 1, 1, 1, 2, 2]);
  assertEquals(dispatchScales(3, 3), [0, 1, 2]);
  assertEquals(dispatchScales(1, 4), [0, 0, 0, 0]);
  assertEquals(stackScales("spread", 3, 8), [0, -1, -1, -1, 1, -1, -1, 2]);
  assertEquals(dispatchStacks(3, 8), [0, 4, 7]);
  for (const [rule, firstReached] of [["every", [0, 2]], ["spread", [0, 3]]] as const) {
    const net = buildModel(tiny({ kind: "mssh", stacks: 4, scales: 2, dispatch: rule }), {
      seed: 4,
    });
    const x = images();
    const base = run(net, x);
    const pre = internals(net).mssh!.pre;
    const preApply = pre.apply;
    for (const scale of [0, 1]) {
      pre.apply = (early, cx) =>
        preApply.call(pre, early, cx).map((f, c) => (c === scale ? tf.add(f, 1) : f));
      const moved = run(net, x);
      pre.apply = preApply;
      const first = firstReached[scale]!;
      for (let s = 0; s < 4; s++) {
        const input = await diff(moved.inputs[s]!, base.inputs[s]!);
        const heads = await diff(moved.stacks[s]![0]!, base.stacks[s]![0]!);
        if (s < first) {
          assertEquals([input, heads], [0, 0], `${rule}: scale ${scale} reached stack ${s + 1}`);
        } else {
          assert(heads > 1e-4, `${rule}: scale ${scale} did not reach stack ${s + 1}'s heads`);
        }
      }
      // The first stack it is dispatched to gets exactly the pattern added to its input.
      const added = await tf.sub(moved.inputs[first]!, base.inputs[first]!).data();
      assert(added.every((v) => Math.abs(v - 1) < 1e-5), `${rule}: stack ${first + 1}'s input`);
    }
    // "The input to each hourglass network consists of two parts": under `every`, each stack's
    // input moves by exactly the pattern when every scale gets it (one feature per stack).
    if (rule === "every") {
      pre.apply = (early, cx) => preApply.call(pre, early, cx).map((f) => tf.add(f, 1));
      const moved = run(net, x);
      pre.apply = preApply;
      const d0 = await tf.sub(moved.inputs[0]!, base.inputs[0]!).data();
      assert(d0.every((v) => Math.abs(v - 1) < 1e-5));
    }
  }
});
