import { assert, assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { dataConfig, type MaskingConfig } from "../../lib/data/config.ts";
import { pastePatches, type Patch, planMasking } from "../../lib/data/masking.ts";
import { createPipeline } from "../../lib/data/pipeline.ts";
import { openDataset } from "../../lib/data/open.ts";
import { Random } from "../../lib/random/random.ts";
import { assertNoLeaks, useTestBackend } from "../../lib/testing/mod.ts";
import { gridKeypoints } from "./fixtures.ts";

await useTestBackend();

const always: MaskingConfig = { enabled: true, background: 1, duplicate: 1, patchSize: 0.15 };

Deno.test("a pasted patch copies its source pixels exactly and nothing else changes", async () => {
  // 1 x 8 x 8 x 1 image holding 0 .. 63.
  const img = tf.range(0, 64).reshape([1, 8, 8, 1]) as tf.Tensor4D;
  const patch: Patch = { kind: "duplicate", joint: 0, size: 2, x0: 5, y0: 4, sx0: 1, sy0: 0 };
  const out = pastePatches(img, [[patch]]);
  const v = await out.data();
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      const inside = x >= 5 && x < 7 && y >= 4 && y < 6;
      const want = inside ? (y - 4) * 8 + (x - 4) : y * 8 + x;
      assertEquals(v[y * 8 + x], want, `pixel ${x},${y}`);
    }
  }
  await assertNoLeaks(() => pastePatches(img, [[patch]]), "pastePatches");
  tf.dispose([img, out]);
});

Deno.test("a duplicate patch copies the unmasked joint even where the background patch landed", async () => {
  // 1 x 8 x 8 x 1 image holding 0 .. 63. The background patch covers the joint's square at
  // (0, 0) with pixels from (6, 6); the duplicate copies the square at (0, 0) to (4, 4): it must
  // carry the joint (0, 1, 8, 9), not the background just pasted there (54, 55, 62, 63).
  const img = tf.range(0, 64).reshape([1, 8, 8, 1]) as tf.Tensor4D;
  const background: Patch = { kind: "background", joint: 0, size: 2, x0: 0, y0: 0, sx0: 6, sy0: 6 };
  const duplicate: Patch = { kind: "duplicate", joint: 0, size: 2, x0: 4, y0: 4, sx0: 0, sy0: 0 };
  const out = pastePatches(img, [[background, duplicate]]);
  const v = await out.data();
  const at = (x: number, y: number) => v[y * 8 + x];
  assertEquals([at(0, 0), at(1, 0), at(0, 1), at(1, 1)], [54, 55, 62, 63]);
  assertEquals([at(4, 4), at(5, 4), at(4, 5), at(5, 5)], [0, 1, 8, 9]);
  // The caller's crops are left as they were.
  assertEquals(Array.from(await img.data()), Array.from({ length: 64 }, (_, i) => i));
  await assertNoLeaks(() => pastePatches(img, [[background, duplicate]]), "pastePatches");
  tf.dispose([img, out]);
});

Deno.test("masking plans background patches over joints and duplicates onto joint-free spots", () => {
  const size = 128;
  const kps = gridKeypoints(size, 24).map(([x, y], j) => [x, y, j === 3 ? 0 : 2] as const);
  const rng = new Random(5);
  let backgrounds = 0, duplicates = 0;
  for (let t = 0; t < 40; t++) {
    const { patches, keypoints } = planMasking(kps, size, always, rng);
    for (const p of patches) {
      assertEquals(p.size, Math.round(0.15 * size));
      for (const c of [p.x0, p.y0, p.sx0, p.sy0]) assert(c >= 0 && c <= size - p.size);
      // The "background" side of each patch holds no annotated joint.
      const [fx, fy] = p.kind === "background" ? [p.sx0, p.sy0] : [p.x0, p.y0];
      for (const [x, y, v] of kps) {
        if (v > 0) assert(!(x >= fx && x < fx + p.size && y >= fy && y < fy + p.size));
      }
      if (p.kind === "background") {
        backgrounds++;
        const [x, y] = kps[p.joint]!;
        assert(x >= p.x0 - 0.5 && x < p.x0 + p.size && y >= p.y0 - 0.5 && y < p.y0 + p.size);
        assertEquals(keypoints[p.joint]![2], 1); // covered: occluded, still annotated
      } else {
        duplicates++;
        const d = Math.hypot(p.x0 - p.sx0, p.y0 - p.sy0);
        assert(d >= p.size * 0.5 && d <= p.size * 3.5, `duplicate offset ${d}`);
      }
    }
    assertEquals(keypoints[3], [kps[3]![0], kps[3]![1], 0]); // missing stays missing
  }
  assert(backgrounds > 20 && duplicates > 20, `${backgrounds} / ${duplicates}`);
  // A duplicate only adds a second joint-like patch: the joints themselves stay as they were.
  const dup = planMasking(kps, size, { ...always, background: 0 }, rng);
  assertEquals(dup.patches.map((p) => p.kind), ["duplicate"]);
  assertEquals(dup.keypoints, kps.map((k) => [...k]));
  const none = planMasking(kps, size, { ...always, background: 0, duplicate: 0 }, rng);
  assertEquals(none.patches, []);
});

Deno.test("masking changes only the patch region of a crop", async () => {
  const base = { inputSize: 64, synth: { trainSize: 8 } };
  const ds = await openDataset(dataConfig(base), "train");
  const plainCfg = dataConfig(base);
  const maskedCfg = dataConfig({ ...base, masking: always });
  const plain = await createPipeline(ds, plainCfg, { mode: "train", batchSize: 4, seed: 2 })
    .batchOf([0, 1, 2, 3]);
  const masked = await createPipeline(ds, maskedCfg, { mode: "train", batchSize: 4, seed: 2 })
    .batchOf([0, 1, 2, 3]);
  const a = await plain.images.data(), b = await masked.images.data();
  let changedInside = 0, patches = 0;
  for (let i = 0; i < 4; i++) {
    const ps = masked.meta[i]!.patches;
    patches += ps.length;
    assertEquals(plain.meta[i]!.transform, masked.meta[i]!.transform); // same augmentation
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const inPatch = ps.some((p) =>
          x >= p.x0 && x < p.x0 + p.size && y >= p.y0 && y < p.y0 + p.size
        );
        for (let c = 0; c < 3; c++) {
          const k = ((i * 64 + y) * 64 + x) * 3 + c;
          if (!inPatch) {
            assertEquals(b[k], a[k], `sample ${i} pixel ${x},${y} changed outside patches`);
          } else if (Math.abs(b[k]! - a[k]!) > 1e-6) changedInside++;
        }
      }
    }
  }
  assert(patches >= 4 && changedInside > 0, `${patches} patches, ${changedInside} changed values`);
  tf.dispose([
    plain.images,
    ...plain.targets,
    plain.weights,
    masked.images,
    ...masked.targets,
    masked.weights,
  ]);
});
