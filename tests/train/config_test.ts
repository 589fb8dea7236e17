import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { join } from "@std/path";
import { KitError } from "../../lib/io/errors.ts";
import { loadExperiment, resolveExperiment } from "../../lib/train/config.ts";

const root = new URL("../../", import.meta.url).pathname;

Deno.test("MSSH's negative targets are refused with Eq. 2's max combine, naming the key", () => {
  assertThrows(
    () =>
      resolveExperiment({
        data: { occludedTarget: "negative" },
        loss: { structure: "all", combine: "max" },
      }),
    KitError,
    'config key "loss.combine" must be "sum" with data.occludedTarget "negative"',
  );
  // "sum" keeps the sign; and without Eq. 2 the combine is never used, so it is left alone.
  const sum = { data: { occludedTarget: "negative" }, loss: { structure: "all", combine: "sum" } };
  assertEquals(resolveExperiment(sum).loss.combine, "sum");
  const none = {
    data: { occludedTarget: "negative" },
    loss: { structure: "none", combine: "max" },
  };
  assertEquals(resolveExperiment(none).data.occludedTarget, "negative");
  // With positive targets "max" stays allowed, as before.
  assertEquals(
    resolveExperiment({ loss: { structure: "all", combine: "max" } }).loss.combine,
    "max",
  );
});

Deno.test("a bad occludedTarget in an experiment is named with its value", () => {
  assertThrows(
    () => resolveExperiment({ data: { occludedTarget: "occluded" } }),
    KitError,
    'config key "data.occludedTarget" must be one of positive, negative; got "occluded"',
  );
});

Deno.test("the MSSH paper config trains with negative targets for occluded joints", async () => {
  const cfg = await loadExperiment(`${root}configs/lsp_mssh_paper.json`);
  assertEquals([cfg.model.kind, cfg.data.occludedTarget], ["mssh", "negative"]);
  const hourglass = await loadExperiment(`${root}configs/mpii_hourglass8_paper.json`);
  assertEquals(hourglass.data.occludedTarget, "positive");
});

Deno.test("an experiment file that is JSON but not an object is refused by name", async () => {
  const dir = await Deno.makeTempDir();
  for (const text of ["[]", '"hourglass"', "null", "3"]) {
    const path = join(dir, "e.json");
    await Deno.writeTextFile(path, text);
    await assertRejects(
      () => loadExperiment(path),
      KitError,
      `${path}: a config must be a JSON object`,
    );
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an unknown key from --set is blamed on that --set, not on the file", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "e.json");
  await Deno.writeTextFile(path, JSON.stringify({ name: "x" }));
  await assertRejects(
    () => loadExperiment(path, ["optimizer.lr=1e-3", "optimizer.lrr=1"]),
    KitError,
    '--set optimizer.lrr=1: unknown config key "optimizer.lrr"',
  );
  await Deno.writeTextFile(path, JSON.stringify({ nme: "x" }));
  await assertRejects(
    () => loadExperiment(path, ["optimizer.lr=1e-3"]),
    KitError,
    `${path}: unknown config key "nme"`,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("configs saved before the renames read msr as msr-outputs (loss.structure) and msr-only (stages[].trains)", async () => {
  const old = {
    model: { kind: "mss-msr" },
    loss: { structure: "msr" },
    schedule: { stages: [{ name: "mss", epochs: 1 }, { name: "msr", epochs: 1, trains: "msr" }] },
  };
  const renamed = {
    ...old,
    loss: { structure: "msr-outputs" },
    schedule: {
      stages: [{ name: "mss", epochs: 1 }, { name: "msr", epochs: 1, trains: "msr-only" }],
    },
  };
  assertEquals(resolveExperiment(old), resolveExperiment(renamed));
  assertEquals(resolveExperiment(old).loss.structure, "msr-outputs");
  assertEquals(resolveExperiment(old).schedule.stages.map((s) => s.trains), ["all", "msr-only"]);
  // A run recorded with the old spellings (the seeded ablation's "+ MSR" row) reads back renamed.
  const recorded = await loadExperiment(
    join(root, "data/ablation/easy-2x32/msr/seed-1/config.json"),
  );
  assertEquals(recorded.schedule.stages.map((s) => s.trains), ["all", "msr-only", "all"]);
  const trained = await loadExperiment(join(root, "data/trained/synth-mss-tiny/config.json"));
  assertEquals(trained.loss.structure, "msr-outputs");
  assertThrows(
    () => resolveExperiment({ loss: { structure: "stacks" } }),
    KitError,
    'config key "loss.structure" must be one of none, msr-outputs, all; got "stacks"',
  );
});
