import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { join } from "@std/path";
import {
  expectShape,
  fromNested,
  KitError,
  readH5,
  readMat,
  transpose,
  writeH5,
} from "../../lib/io/mod.ts";

Deno.test("an HDF5 file written by the kit reads back with shapes and strings", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "t.h5");
  const data = Float64Array.from({ length: 12 }, (_, i) => i / 2);
  await writeH5(path, { part: { shape: [2, 3, 2], data }, imgname: ["a.jpg", "b.jpg"] });
  const h5 = await readH5(path);
  assertEquals(h5.numeric("part").shape, [2, 3, 2]);
  assertEquals(Array.from(h5.numeric("part").data), Array.from(data));
  assertEquals(h5.strings("imgname"), ["a.jpg", "b.jpg"]);
  assertThrows(() => h5.numeric("visible"), KitError, `${path}: missing field "visible"`);
  assertThrows(() => h5.strings("part"), KitError, 'field "part" is not a list of strings');
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a missing file or a file that is not HDF5 or MATLAB is named in the error", async () => {
  const dir = await Deno.makeTempDir();
  const text = join(dir, "notes.txt");
  await Deno.writeTextFile(text, "hello");
  await assertRejects(() => readH5(join(dir, "nope.h5")), KitError, "nope.h5: cannot read");
  await assertRejects(() => readH5(text), KitError, "notes.txt: not an HDF5 file");
  await assertRejects(() => readMat(text), KitError, "notes.txt: not a readable MATLAB v5 file");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("nested arrays flatten row-major and ragged ones are refused", () => {
  assertEquals(fromNested([[1, 2, 3], [4, 5, 6]], "f", "x"), {
    shape: [2, 3],
    data: Float64Array.from([1, 2, 3, 4, 5, 6]),
  });
  assertThrows(
    () => fromNested([[1, 2], [3]], "f.mat", "x"),
    KitError,
    'f.mat: field "x" is not a regular array',
  );
  assertThrows(() => fromNested([["a"]], "f.mat", "x"), KitError, "holds a string");
});

Deno.test("transpose moves axes: 16x2xN to Nx16x2", () => {
  const a = { shape: [2, 2, 3], data: Float64Array.from({ length: 12 }, (_, i) => i) };
  const t = transpose(a, [2, 0, 1]);
  assertEquals(t.shape, [3, 2, 2]);
  // t[n, j, c] = a[j, c, n]
  assertEquals(Array.from(t.data.slice(0, 4)), [0, 3, 6, 9]);
  assertEquals(Array.from(t.data.slice(4, 8)), [1, 4, 7, 10]);
});

Deno.test("a wrong shape is reported with file, field and both shapes", () => {
  const a = { shape: [5, 14, 2], data: new Float64Array(140) };
  expectShape(a, [-1, 14, 2], "x.h5", "part");
  assertThrows(
    () => expectShape(a, [-1, 16, 2], "x.h5", "part"),
    KitError,
    'x.h5: field "part" has shape [5, 14, 2], expected [N, 16, 2]',
  );
});

Deno.test("a truncated or damaged HDF5 file is one KitError naming the file, not a crash", async () => {
  const dir = await Deno.makeTempDir();
  const good = join(dir, "valid.h5");
  await writeH5(good, { part: { shape: [50, 16, 2], data: new Float64Array(1600) } });
  const bytes = await Deno.readFile(good);
  const cut = join(dir, "cut.h5");
  await Deno.writeFile(cut, bytes.subarray(0, bytes.length >> 1));
  await assertRejects(() => readH5(cut), KitError, `${cut}: truncated HDF5 file`);
  const damaged = join(dir, "damaged.h5");
  const copy = Uint8Array.from(bytes);
  copy.fill(0x55, 100, 600); // the root group's metadata
  await Deno.writeFile(damaged, copy);
  await assertRejects(() => readH5(damaged), KitError, `${damaged}: damaged HDF5 file`);
  await Deno.remove(dir, { recursive: true });
});
