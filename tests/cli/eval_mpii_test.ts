import { assert, assertAlmostEquals, assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { main } from "../../lib/cli/eval_mpii.ts";
import { writePredictions } from "../../lib/eval/mod.ts";
import { KitError, writeH5 } from "../../lib/io/mod.ts";
import { N, predictions, writeGtH5, writeGtMat } from "../eval/mpii_fixture.ts";

const REFERENCE = "/work/shared/reference/mpii/detections_our_format.mat";

async function run(args: string[]): Promise<{ lines: string[]; json: Record<string, unknown> }> {
  const lines: string[] = [];
  await main(args, (l) => lines.push(...l.split("\n")));
  const last = lines[lines.length - 1]!;
  return { lines, json: last.startsWith("{") ? JSON.parse(last) : {} };
}

interface Fixture {
  dir: string;
  gtMat: string;
  gtH5: string;
  predMat: string;
  predH5: string;
  predJson: string;
}

/** Writes the four-person fixture in every layout to a fresh directory, removed afterwards. */
function withFixture(fn: (f: Fixture) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = await Deno.makeTempDir({ prefix: "kit-eval-mpii-" });
    try {
      const f = {
        dir,
        gtMat: await writeGtMat(dir),
        gtH5: await writeGtH5(dir),
        predMat: join(dir, "preds.mat"),
        predH5: join(dir, "preds.h5"),
        predJson: join(dir, "preds.json"),
      };
      for (const p of [f.predMat, f.predH5, f.predJson]) await writePredictions(p, predictions());
      await fn(f);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  };
}

Deno.test(
  "eval-mpii prints the hand-worked table under bearpaw rules, from every file layout",
  withFixture(async ({ gtMat, gtH5, predMat, predH5, predJson }) => {
    for (
      const [gt, pred] of [[gtMat, predMat], [gtMat, predH5], [gtMat, predJson], [gtH5, predMat]]
    ) {
      const { lines, json } = await run(["--gt", gt!, "--pred", pred!, "--json"]);
      const row = lines.find((l) => l.startsWith("PCKh@0.5 "))!.trim().split(/\s+/);
      assertEquals(row, [
        "PCKh@0.5",
        "50.00",
        "50.00",
        "50.00",
        "50.00",
        "50.00",
        "50.00",
        "33.33",
        "47.62",
      ]);
      assertAlmostEquals(json.Mean as number, (2 * 100 / 3 + 12 * 50) / 14, 1e-9);
      assertAlmostEquals(json.weightedMean as number, (100 * 26) / 54, 1e-9);
      assertEquals((json.perJoint as number[]).length, 16);
      assert(typeof json.auc === "number");
    }
  }),
);

Deno.test(
  "eval-mpii --convention official counts the threshold itself and pools the Total",
  withFixture(async ({ gtMat, predMat }) => {
    const { lines, json } = await run([
      "--gt",
      gtMat,
      "--pred",
      predMat,
      "--convention",
      "official",
      "--json",
    ]);
    assertEquals(json.Head, 75);
    assertAlmostEquals(json.Ankle as number, 200 / 3, 1e-9);
    assertAlmostEquals(json.Mean as number, (100 * 40) / 54, 1e-9);
    assert(lines.some((l) => l.includes("official MPII rules")));
  }),
);

Deno.test(
  "eval-mpii refuses bad input with a clear KitError",
  withFixture(async ({ dir, gtMat, predMat }) => {
    const bad = async (args: string[], msg: string) => {
      await assertRejects(() => run(args), KitError, msg);
    };
    await bad(["--pred", predMat], "--gt is required");
    await bad(
      ["--gt", gtMat, "--pred", predMat, "--convention", "coco"],
      "--convention must be one of",
    );
    await bad(["--gt", gtMat, "--pred", predMat, "--alpha", "x"], "--alpha must be a number");
    await bad(["--gt", gtMat, "--pred", predMat, "--frobnicate"], 'unknown flag "--frobnicate"');
    // Wrong joint count.
    const p14 = join(dir, "p14.h5");
    await writeH5(p14, { preds: { shape: [N, 14, 2], data: new Float64Array(N * 28) } });
    await bad(
      ["--gt", gtMat, "--pred", p14],
      'field "preds" has shape [4, 14, 2], expected [N, 16, 2]',
    );
    // N mismatch.
    const p3 = join(dir, "p3.json");
    await writePredictions(p3, predictions().slice(0, 3 * 32));
    await bad(["--gt", gtMat, "--pred", p3], "3 people predicted but");
    // Missing field.
    const noMissing = await writeGtMat(dir, { omit: "jnt_missing", name: "nomissing.mat" });
    await bad(["--gt", noMissing, "--pred", predMat], 'missing field "jnt_missing"');
  }),
);

Deno.test(
  "eval-mpii --visibility scores visible and occluded joints apart, with valid.h5 only",
  withFixture(async ({ gtMat, gtH5, predMat }) => {
    // Person 0's wrists are occluded in the fixture's valid.h5, and predicted exactly.
    const { lines, json } = await run(["--gt", gtH5, "--pred", predMat, "--visibility", "--json"]);
    const occluded = lines.find((l) => l.startsWith("occluded "))!.trim().split(/\s+/);
    assertEquals(occluded, ["occluded", "-", "-", "-", "100.00", "-", "-", "-", "100.00"]);
    assertAlmostEquals((json.visible as { Wrist: number }).Wrist, 100 / 3, 1e-9);
    assert(lines.some((l) => l.startsWith("note: pose-hg-train's valid.h5 rounds")));
    await assertRejects(
      () => run(["--gt", gtMat, "--pred", predMat, "--visibility"]),
      KitError,
      "--visibility needs occlusion flags",
    );
  }),
);

Deno.test(
  "NaN predictions fail unless --nan-as-miss, which scores them as misses",
  withFixture(async ({ dir, gtMat }) => {
    const p = predictions();
    p[0] = NaN; // person 0, right ankle: was a hit
    const nanPath = join(dir, "nan.json");
    await writePredictions(nanPath, p);
    await assertRejects(
      () => run(["--gt", gtMat, "--pred", nanPath]),
      KitError,
      "1 prediction(s) of annotated joints are NaN or infinite (person 0 r_ankle); pass --nan-as-miss",
    );
    const { lines, json } = await run([
      "--gt",
      gtMat,
      "--pred",
      nanPath,
      "--nan-as-miss",
      "--json",
    ]);
    assert(lines.includes("note: 1 NaN prediction(s) scored as misses"));
    assertEquals(json.nonFinitePredictions, 1);
    assertAlmostEquals(json.Ankle as number, (0 + 100 / 3) / 2, 1e-9);
  }),
);

Deno.test(
  "a zero head size fails unless --skip-zero-head, which leaves the person out",
  withFixture(async ({ dir, predMat }) => {
    const gt = await writeGtMat(dir, { diagonals: [50, 0, 50, 50], name: "zero.mat" });
    await assertRejects(
      () => run(["--gt", gt, "--pred", predMat]),
      KitError,
      "1 annotated people have a zero or invalid head size (person 1)",
    );
    const { lines, json } = await run([
      "--gt",
      gt,
      "--pred",
      predMat,
      "--skip-zero-head",
      "--json",
    ]);
    assert(
      lines.some((l) => l.startsWith("note: 1 people with zero head size left out (person 1)")),
    );
    assertEquals(json.excludedPeople, [1]);
    // Without person 1 (all wrong): ankles 1/2, others 2/3.
    assertAlmostEquals(json.Head as number, 200 / 3, 1e-9);
    assertEquals(json.Ankle, 50);
  }),
);

Deno.test(
  "run as a command, bad input prints one error line without a trace and exits 2",
  withFixture(async ({ dir, gtMat, predH5 }) => {
    const cmd = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "lib/cli/eval_mpii.ts", ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const bad = await cmd(["--gt", gtMat, "--pred", join(dir, "missing.mat")]);
    const err = new TextDecoder().decode(bad.stderr).trim();
    assertEquals(bad.code, 2);
    assert(err.startsWith("error: ") && err.includes("missing.mat: cannot read"), err);
    assert(!err.includes("    at "), err);
    const ok = await cmd(["--gt", gtMat, "--pred", predH5, "--json"]);
    assertEquals(ok.code, 0);
    const out = new TextDecoder().decode(ok.stdout).trim().split("\n");
    assertAlmostEquals(JSON.parse(out[out.length - 1]!).Mean, (2 * 100 / 3 + 12 * 50) / 14, 1e-9);
  }),
);

Deno.test({
  name: "on the MPII reference file, eval-mpii reproduces eval_PCKh.py (skipped when absent)",
  ignore: !(await Deno.stat(REFERENCE).then(() => true, () => false)),
  fn: async () => {
    const { json } = await run(["--gt", REFERENCE, "--pred", REFERENCE, "--json"]);
    const want = {
      Head: 95.60,
      Shoulder: 92.71,
      Elbow: 83.36,
      Wrist: 76.74,
      Hip: 81.93,
      Knee: 73.36,
      Ankle: 65.45,
      Mean: 81.46,
      weightedMean: 82.34,
    };
    for (const [k, v] of Object.entries(want)) assertAlmostEquals(json[k] as number, v, 0.005, k);
  },
});
