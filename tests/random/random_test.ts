import { assertAlmostEquals, assertEquals, assertNotEquals } from "@std/assert";
import { hashSeed, Random } from "../../lib/random/mod.ts";

Deno.test("equal seeds give equal sequences and different seeds different ones", () => {
  const a = new Random(hashSeed(1, 2)),
    b = new Random(hashSeed(1, 2)),
    c = new Random(hashSeed(1, 3));
  const xs = Array.from({ length: 5 }, () => a.next());
  assertEquals(xs, Array.from({ length: 5 }, () => b.next()));
  assertNotEquals(xs, Array.from({ length: 5 }, () => c.next()));
});

Deno.test("uniform draws stay in range with the right mean", () => {
  const r = new Random(7);
  let sum = 0;
  for (let i = 0; i < 20000; i++) {
    const x = r.uniform(-30, 30);
    assertEquals(x >= -30 && x < 30, true);
    sum += x;
  }
  assertAlmostEquals(sum / 20000, 0, 0.5);
  for (let i = 0; i < 1000; i++) {
    const k = r.int(2, 4);
    assertEquals(k >= 2 && k <= 4 && Number.isInteger(k), true);
  }
});

Deno.test("normal draws have mean 0 and standard deviation 1", () => {
  const r = new Random(11);
  const xs = Array.from({ length: 20000 }, () => r.normal());
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  assertAlmostEquals(mean, 0, 0.03);
  assertAlmostEquals(sd, 1, 0.03);
});

Deno.test("a shuffle is a permutation", () => {
  const s = new Random(3).shuffle([0, 1, 2, 3, 4, 5, 6, 7]);
  assertEquals([...s].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
});
