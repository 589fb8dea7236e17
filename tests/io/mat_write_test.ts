import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { join } from "@std/path";
import { encodeMat, KitError, readMat, writeMat } from "../../lib/io/mod.ts";
import { decodeMatNumeric } from "../../lib/io/mat_v5.ts";

const iota = (n: number) => Float64Array.from({ length: n }, (_, i) => i + 0.5);

Deno.test("a 3-D array written as .mat reads back element for element", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "t.mat");
  // [16, 2, N] like pos_gt_src: element [j, c, n] at (j * 2 + c) * N + n.
  const pos = { shape: [16, 2, 3], data: iota(96) };
  const missing = { shape: [16, 3], data: iota(48) };
  await writeMat(path, { pos_gt_src: pos, jnt_missing: missing });
  const mat = await readMat(path);
  assertEquals(mat.keys, ["pos_gt_src", "jnt_missing"]);
  assertEquals(mat.numeric("pos_gt_src"), pos);
  assertEquals(mat.numeric("jnt_missing"), missing);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("vectors and scalars are stored as 1xN and 1x1 matrices", async () => {
  const vars = await decodeMatNumeric(
    encodeMat({
      v: { shape: [3], data: Float64Array.of(1, 2, 3) },
      s: { shape: [], data: Float64Array.of(7) },
    }),
  );
  assertEquals(vars.get("v"), {
    kind: "numeric",
    array: { shape: [3], data: Float64Array.of(1, 2, 3) },
  });
  assertEquals(vars.get("s"), { kind: "numeric", array: { shape: [1], data: Float64Array.of(7) } });
});

Deno.test("a compressed variable (as MATLAB and scipy write them) decodes too", async () => {
  const plain = encodeMat({ preds: { shape: [2, 16, 2], data: iota(64) } });
  const element = plain.slice(128);
  const zipped = new Uint8Array(
    await new Response(
      new Blob([element as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
        new CompressionStream("deflate"),
      ),
    ).arrayBuffer(),
  );
  const file = new Uint8Array(128 + 8 + zipped.length);
  file.set(plain.subarray(0, 128));
  const view = new DataView(file.buffer);
  view.setUint32(128, 15, true); // miCOMPRESSED
  view.setUint32(132, zipped.length, true);
  file.set(zipped, 136);
  const vars = await decodeMatNumeric(file);
  assertEquals(vars.get("preds"), {
    kind: "numeric",
    array: { shape: [2, 16, 2], data: iota(64) },
  });
});

Deno.test("bad names and mismatched shapes are refused before writing", () => {
  assertThrows(() => encodeMat({ "1x": { shape: [1], data: iota(1) } }), Error, "variable name");
  assertThrows(() => encodeMat({ x: { shape: [2, 2], data: iota(3) } }), Error, "needs 4 values");
});

Deno.test("a truncated .mat file is a KitError naming the file", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "cut.mat");
  const bytes = encodeMat({ x: { shape: [4, 4], data: iota(16) } });
  await Deno.writeFile(path, bytes.subarray(0, bytes.length - 40));
  await assertRejects(() => readMat(path), KitError, "cut.mat: not a readable MATLAB v5 file");
  await Deno.remove(dir, { recursive: true });
});
