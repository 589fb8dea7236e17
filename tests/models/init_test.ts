import { assertEquals } from "@std/assert";
import { buildModel, type ModelConfig, resolveModelConfig } from "../../lib/models/mod.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend();

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...hash].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * SHA-256 of every weight of a model in `model.weights` order (its name, its shape and its
 * float32 bytes), and of the saved graph (`model.json`'s topology: every layer, its settings and
 * what it is wired to). Seeded initialisers draw in JavaScript, so both are the same on every
 * backend.
 */
async function fingerprint(config: ModelConfig, seed: number) {
  const net = buildModel(config, { seed });
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  for (const w of net.graph.weights) {
    chunks.push(enc.encode(`${w.originalName}:${w.shape.join("x")};`));
    const values = await w.read().data() as Float32Array;
    chunks.push(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  const graph = enc.encode(JSON.stringify(net.graph.toJSON(null, false)));
  net.graph.dispose();
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((offset, c) => (all.set(c, offset), offset + c.length), 0);
  return { weights: await sha256(all), graph: await sha256(graph) };
}

// Every field spelled out, so a change of defaults does not move the fingerprints.
const common = { inputSize: 64, stacks: 2, features: 8, joints: 16, depth: 4 };

/**
 * Fingerprints of seed 11, recorded when each weight's seed became the run seed hashed with the
 * weight's name (`weightSeed`; the graph records the seeds): a refactor that renames a weight,
 * changes a shape, changes how a weight's values are drawn or rewires a layer changes them.
 * Checkpoints are loaded by weight name, so the names matter as much as the values. A deliberate
 * change of architecture (or of the tfjs version, which the graph records) records new digests
 * (`PRINT_FINGERPRINTS=1 deno test -A tests/models/init_test.ts` prints them) and says why.
 */
const RECORDED: readonly { config: Record<string, unknown>; weights: string; graph: string }[] = [
  {
    config: { kind: "hourglass", residuals: 1, block: "bottleneck" },
    weights: "a9ee548006d5981a5bdcb41904481aca3e53c7a3ae1f16fa368a0850a207f868",
    graph: "898207eae8d63d79f18f95a80d05b14a8173d51a720525ac7c386eaf32dc5663",
  },
  {
    config: {
      kind: "mss-msr",
      residuals: 1,
      block: "bottleneck",
      factors: [1, 2, 4, 8],
      msr: { features: 8, depth: 2, residuals: 1, factors: [1, 2], withFeatures: true },
    },
    weights: "cf98d4d783ad4fd37e06f58fdd4d54a5c8fb7156153fe4d884427e0457b0d5a5",
    graph: "7e8ee29f84b56d2a4d92eefa46f57982977604599c14f756496c3dbcd49379fe",
  },
  {
    config: {
      kind: "mssh",
      residuals: 1,
      block: "inception-resnet-a",
      scales: 3,
      stacks: 4,
      dispatch: "every",
    },
    weights: "be40b18fb92b7d8684037ad43fe5f9d1d8eba8381a5c9c485a2d9baea0037aad",
    graph: "821ebeda6ba0bdcc24c99928c44ebf58a3e45d86850ca037dbdd6792d2ecbb04",
  },
];

if (Deno.env.get("PRINT_FINGERPRINTS")) {
  for (const { config } of RECORDED) {
    console.log(
      JSON.stringify(await fingerprint(resolveModelConfig({ ...common, ...config }), 11)),
    );
  }
}

Deno.test("a seed draws the recorded initial weights, names, shapes and graph for every model kind", async () => {
  for (const { config, weights, graph } of RECORDED) {
    const cfg = resolveModelConfig({ ...common, ...config });
    assertEquals(await fingerprint(cfg, 11), { weights, graph }, JSON.stringify(config));
  }
});

/** The initial values of every weight of a seeded model, by weight name. */
async function initialWeights(config: ModelConfig, seed: number): Promise<Map<string, number[]>> {
  const net = buildModel(config, { seed });
  const out = new Map<string, number[]>();
  for (const w of net.graph.weights) out.set(w.originalName, [...await w.read().data()]);
  net.graph.dispose();
  return out;
}

Deno.test("two run seeds draw unrelated initial values for every weight, not shifted copies", async () => {
  const cfg = resolveModelConfig({ ...common, kind: "hourglass", residuals: 1 });
  const [one, two] = [await initialWeights(cfg, 1), await initialWeights(cfg, 2)];
  // A counter seed (seed + i) would give seed 2's weight i the draws of seed 1's weight i + 1:
  // the first values of some weight pair across the seeds would coincide.
  const heads = (m: Map<string, number[]>) =>
    [...m].filter(([name]) => /kernel|bias/.test(name)).map(([name, v]) => [name, v[0]] as const);
  const firstOfTwo = new Set(heads(two).map(([, v]) => v));
  const shared = heads(one).filter(([, v]) => firstOfTwo.has(v));
  assertEquals(shared, [], "a weight of seed 1 starts like some weight of seed 2");
});

Deno.test("a weight draws the same initial values whatever other layers the network has", async () => {
  const hourglass = resolveModelConfig({ ...common, kind: "hourglass", residuals: 1 });
  const mss = resolveModelConfig({ ...common, kind: "mss", residuals: 1, factors: [1, 2, 4] });
  const [plain, multiScale] = [await initialWeights(hourglass, 5), await initialWeights(mss, 5)];
  const common_ = [...plain.keys()].filter((name) => multiScale.has(name));
  // The multi-scale heads add layers; every layer the two networks share starts alike, which is
  // what pairs an ablation's rows by initial weights.
  assertEquals(common_.length > plain.size / 2, true, `only ${common_.length} shared weights`);
  for (const name of common_) {
    if (!/kernel|bias/.test(name)) continue;
    assertEquals(multiScale.get(name), plain.get(name), name);
  }
});
