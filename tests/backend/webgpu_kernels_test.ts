import { assert, assertEquals } from "@std/assert";
import { FILTER_CASES, type FilterCase, FORWARD_CASES } from "./webgpu_kernels_child.ts";
import { CONV_AS_MATMUL } from "../../lib/backend/webgpu_conv2d.ts";
import { runWebGpuChild } from "./webgpu_child_run.ts";

// The suite's second pass (KIT_TEST_BACKEND) would only repeat these.
const secondPass = Deno.env.get("KIT_TEST_BACKEND") !== undefined;

// One child process for both tests (each start loads tfjs and llvmpipe).
// deno-lint-ignore no-explicit-any
let child: Promise<any | null> | undefined;
const childResult = () => (child ??= runWebGpuChild("webgpu_kernels_child.ts"));

/** A case whose dx is at most 8 tiles of 32 x 32 (webgpu_conv_input.ts leaves it to tfjs). */
const smallDx = (c: FilterCase) =>
  Math.ceil(c.x[0] * c.x[1] * c.x[2] / 32) * Math.ceil(c.x[3] / 32) <= 8;

/** A 1x1 stride-1 case: its input gradient, and its filter gradient when one slice, run as MatMul. */
const pointwise = (c: FilterCase) => c.filter[0] === 1 && c.filter[1] === 1 && c.stride === 1;

/** A 1x1 case whose dx is at most 32 tiles: tfjs's naive input gradient (webgpu_conv_input.ts). */
const pointwiseNaive = (c: FilterCase) =>
  Math.ceil(c.x[0] * c.x[1] * c.x[2] / 32) * Math.ceil(c.x[3] / 32) <= 32;

/** Relative error allowed against the cpu backend: max |webgpu - cpu| / max |cpu|. */
const TOLERANCE = 1e-4;

Deno.test({
  name: "the kit's webgpu filter and input gradients match the cpu backend for 1x1, 3x3 and 7x7",
  ignore: secondPass,
}, async () => {
  const r = await childResult();
  if (r === null) return;
  // Every case ran the kit's kernels, not tfjs's fallback.
  const plain = FORWARD_CASES.filter((c) => !c.bias && c.activation === "linear").length;
  assertEquals(r.kitRuns, {
    Conv2DBackpropFilter: FILTER_CASES.length,
    // The RGB cases (3 input channels) and small 3x3 ones (<= 8 tiles of 32 x 32 in dx) stay
    // on tfjs's input gradient.
    Conv2DBackpropInput: FILTER_CASES.filter((c) =>
      c.x[3] % 4 === 0 && (pointwise(c) ? !pointwiseNaive(c) : !smallDx(c))
    ).length,
    // Every forward case ran the kit's kernel; the 1x1 stride-1 ones as one MatMul, the others
    // fell back to tfjs's program. The 1x1 stride-1 input gradients ran as MatMul too, and the
    // filter gradients of those whose reduction split-K leaves whole.
    Conv2D: plain,
    FusedConv2D: FORWARD_CASES.length - plain,
    [CONV_AS_MATMUL]: FORWARD_CASES.filter((c) =>
      c.asMatMul
    ).length +
      FILTER_CASES.filter((c) => pointwise(c) && c.x[3] % 4 === 0 && !pointwiseNaive(c))
        .length +
      FILTER_CASES.filter((c, i) => pointwise(c) && r.results[i].slices === 1).length,
  });
  assert(
    FILTER_CASES.some((c, i) => pointwise(c) && r.results[i].slices > 1),
    "no 1x1 filter gradient on the split-K program",
  );
  assertEquals(r.results.length, FILTER_CASES.length);
  assert(r.results.some((c: { slices: number }) => c.slices > 1), "no case used split-K");
  assert(FILTER_CASES.some(smallDx), "no case of tfjs's input gradient for a small dx");
  assert(
    FILTER_CASES.some((c) => pointwise(c) && !pointwiseNaive(c)),
    "no 1x1 input gradient as Wᵀ and MatMul",
  );
  for (const [i, c] of FILTER_CASES.entries()) {
    const got = r.results[i];
    assertEquals(got.dwShape, c.filter, c.name);
    assertEquals(got.dxShape, c.x, c.name);
    assert(got.dwError < TOLERANCE, `${c.name}: filter gradient relative error ${got.dwError}`);
    assert(got.dxError < TOLERANCE, `${c.name}: input gradient relative error ${got.dxError}`);
  }
});

Deno.test({
  name:
    "the kit's webgpu Conv2D and FusedConv2D match the cpu backend, 1x1 as MatMul and fallbacks",
  ignore: secondPass,
}, async () => {
  const r = await childResult();
  if (r === null) return;
  assertEquals(r.forwardResults.length, FORWARD_CASES.length);
  for (const [i, c] of FORWARD_CASES.entries()) {
    const got = r.forwardResults[i];
    assertEquals(got.shape, got.refShape, c.name);
    assert(got.error < TOLERANCE, `${c.name}: relative error ${got.error}`);
  }
});
