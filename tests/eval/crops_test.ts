import { assertAlmostEquals, assertEquals } from "@std/assert";
import { cropRequests, imageTensor, requestTransform } from "../../lib/eval/mod.ts";
import { applyAffine } from "../../lib/geometry/mod.ts";
import { assertNoLeaks, useTestBackend } from "../../lib/testing/mod.ts";
import { blobImage } from "./fakes.ts";

await useTestBackend();

Deno.test("an RGB image becomes a [1, H, W, 3] tensor in [0, 1]; a tensor passes through", async () => {
  const img = { width: 2, height: 1, data: Uint8Array.of(255, 0, 51, 0, 102, 255) };
  const t = imageTensor(img);
  assertEquals(t.shape, [1, 1, 2, 3]);
  Array.from(await t.data()).forEach((v, k) =>
    assertAlmostEquals(v, [1, 0, 0.2, 0, 0.4, 1][k]!, 1e-6)
  );
  assertEquals(imageTensor(t), t);
  t.dispose();
});

Deno.test("the MPII crop convention pads the box by 1.25 and moves it 15 px x scale down", () => {
  const m = requestTransform({ center: [100, 100], scale: 0.4 }, 64);
  // Box side 200 * 0.4 * 1.25 = 100 px, centred at (100, 106).
  const [x0, y0] = applyAffine(m, 100, 106);
  assertAlmostEquals(x0, 31.5, 1e-9);
  assertAlmostEquals(y0, 31.5, 1e-9);
  const [x1] = applyAffine(m, 150, 106);
  assertAlmostEquals(x1, 31.5 + 32, 1e-9);
});

Deno.test("a blob lands in the crop where the transform puts it, and cropping leaks nothing", async () => {
  const image = blobImage(96, 80, 60, 30);
  const requests = [{ image, center: [48, 40] as const, scale: 0.32 }];
  const { crops, transforms } = cropRequests(requests, 64);
  assertEquals(crops.shape, [1, 64, 64, 3]);
  const redT = crops.slice([0, 0, 0, 0], [1, 64, 64, 1]);
  const red = await redT.data();
  redT.dispose();
  let best = 0;
  for (let i = 1; i < red.length; i++) if (red[i]! > red[best]!) best = i;
  const [ex, ey] = applyAffine(transforms[0]!, 60, 30);
  assertEquals(Math.abs((best % 64) - ex) <= 1 && Math.abs(Math.floor(best / 64) - ey) <= 1, true);
  crops.dispose();
  const t = imageTensor(image);
  await assertNoLeaks(() => cropRequests([{ image, center: [48, 40], scale: 0.32 }], 64).crops);
  await assertNoLeaks(() => cropRequests([{ image: t, center: [48, 40], scale: 0.32 }], 64).crops);
  assertEquals(t.isDisposed, false);
  t.dispose();
});
