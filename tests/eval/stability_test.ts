import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { scaleStabilitySweep, sweepConditions } from "../../lib/eval/mod.ts";
import type { Keypoint } from "../../lib/skeleton/mod.ts";
import { assertNoLeaks, useTestBackend } from "../../lib/testing/mod.ts";
import { blobImage, blobModel, centreModel } from "./fakes.ts";

await useTestBackend();

Deno.test("sweep conditions: the reference first, then scales, then shifts, no duplicates", () => {
  assertEquals(sweepConditions([0.9, 1, 1.1], [[0, 0], [0.1, 0]]), [
    { factor: 1, shiftX: 0, shiftY: 0 },
    { factor: 0.9, shiftX: 0, shiftY: 0 },
    { factor: 1.1, shiftX: 0, shiftY: 0 },
    { factor: 1, shiftX: 0.1, shiftY: 0 },
  ]);
});

Deno.test("a scale-stable model holds still while a box-following model moves with the box", async () => {
  // Every joint at the blob, which sits where the centre model's crop centre is at the reference.
  // Box side 200 * 0.32 * 1.25 = 80 px, crop centre 15 * 0.32 = 4.8 px below `center`.
  const samples = [[48, 40], [40, 36]].map(([x, y]) => ({
    image: blobImage(96, 80, x!, y!),
    center: [x!, y! - 4.8] as const,
    scale: 0.32,
    keypoints: Array.from({ length: 16 }, (): Keypoint => [x!, y!, 2]),
    headBox: [0, 0, 0, 10 / 0.6] as const, // head size 10 px
  }));
  const options = {
    size: 64,
    stride: 2,
    batchSize: 2,
    factors: [0.8, 1.2],
    shifts: [[0.1, 0]] as const,
  };
  const report = await scaleStabilitySweep(
    [{ name: "blob", predict: blobModel(2) }, { name: "centre", predict: centreModel(2) }],
    samples,
    options,
  );
  assertEquals(report.conditions.length, 4);
  assertEquals(report.pckh.length, 2 * 4);
  assertEquals(report.movement.length, 2 * 4 * 16);
  for (const row of report.pckh.filter((r) => r.model === "blob")) assertEquals(row.mean, 100);
  for (const row of report.movement.filter((r) => r.model === "blob")) {
    assert(
      row.movementPx! < 2.5,
      `blob model moved ${row.movementPx} px at ${JSON.stringify(row)}`,
    );
  }
  // The centre model follows a 0.1-side shift: 0.1 x 200 x 0.32 = 6.4 px, 0.64 head sizes.
  const shifted = report.movement.find((r) => r.model === "centre" && r.kind === "shift")!;
  assertAlmostEquals(shifted.movementPx!, 6.4, 1e-6);
  assertAlmostEquals(shifted.movement!, 0.64, 1e-6);
  const centreShift = report.pckh.find((r) => r.model === "centre" && r.kind === "shift")!;
  assertEquals(centreShift.mean, 0);
  assertEquals(report.pckh.find((r) => r.model === "centre" && r.kind === "reference")!.mean, 100);
  await assertNoLeaks(async () => {
    await scaleStabilitySweep([{ name: "blob", predict: blobModel(2) }], samples, options);
  }, "scaleStabilitySweep");
});
