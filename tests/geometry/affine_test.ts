import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import {
  type Affine,
  applyAffine,
  compose,
  cropTransform,
  invert,
} from "../../lib/geometry/mod.ts";

const near = (a: readonly number[], b: readonly number[]) =>
  a.forEach((v, i) => assertAlmostEquals(v, b[i]!, 1e-9));

Deno.test("the person box fills the crop edge to edge", () => {
  const m = cropTransform({ center: [500, 300], scale: 2, size: [256, 256] });
  near(applyAffine(m, 500, 300), [127.5, 127.5]);
  near(applyAffine(m, 300, 100), [-0.5, -0.5]);
  near(applyAffine(m, 700, 500), [255.5, 255.5]);
});

Deno.test("a 90 degree rotation turns a point above the centre to its left", () => {
  // 50 px above the centre, counter-clockwise by 90 degrees on screen: 50 px to the left.
  const m = cropTransform({ center: [0, 0], scale: 1, size: [200, 200], rotation: 90 });
  near(applyAffine(m, 0, -50), [99.5 - 50, 99.5]);
});

Deno.test("a flip mirrors about the crop's vertical centre line", () => {
  const plain = cropTransform({ center: [50, 50], scale: 0.5, size: [100, 100] });
  const flipped = cropTransform({ center: [50, 50], scale: 0.5, size: [100, 100], flip: true });
  const [x, y] = applyAffine(plain, 20, 70);
  near(applyAffine(flipped, 20, 70), [99 - x, y]);
});

Deno.test("compose applies the first transform then the second, and invert undoes it", () => {
  const shift: Affine = [1, 0, 5, 0, 1, 0];
  const double: Affine = [2, 0, 0, 0, 2, 0];
  assertEquals(compose(shift, double), [2, 0, 10, 0, 2, 0]);
  const m = cropTransform({
    center: [320, 240],
    scale: 1.7,
    size: [256, 256],
    rotation: 23,
    flip: true,
  });
  near(compose(m, invert(m)), [1, 0, 0, 0, 1, 0]);
  near(applyAffine(invert(m), ...applyAffine(m, 12.5, 99)), [12.5, 99]);
});

Deno.test("a singular transform or a zero scale is refused", () => {
  assertThrows(() => invert([0, 0, 1, 0, 0, 1]), Error, "singular");
  assertThrows(
    () => cropTransform({ center: [0, 0], scale: 0, size: [8, 8] }),
    Error,
    "scale must be > 0",
  );
});
