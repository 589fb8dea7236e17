import { assertEquals } from "@std/assert";
import { dataConfig, type DatasetName } from "../../lib/data/config.ts";
import { metricLabel, splitMetric } from "../../lib/eval/validate.ts";
import { FLIC_TORSO } from "../../lib/skeleton/flic.ts";
import { LSP_TORSO } from "../../lib/skeleton/lsp.ts";

const data = dataConfig({ inputSize: 32, workers: 0, synth: { valSize: 4 } });
const on = (dataset: DatasetName) => ({ ...data, dataset });

Deno.test("LSP and FLIC are scored with torso PCK@0.2 whatever eval.alpha says, the rest with PCKh", () => {
  assertEquals(splitMetric(on("lsp"), 0.5), { kind: "pck", alpha: 0.2, torso: LSP_TORSO });
  assertEquals(splitMetric(on("flic"), 0.1), { kind: "pck", alpha: 0.2, torso: FLIC_TORSO });
  for (const dataset of ["synth", "mpii_h5", "mpii_json"] as const) {
    assertEquals(splitMetric(on(dataset), 0.1), { kind: "pckh", alpha: 0.1 });
  }
});

Deno.test("a metric is printed under one name: PCKh@alpha or PCK@alpha", () => {
  assertEquals(metricLabel(splitMetric(on("synth"), 0.5)), "PCKh@0.5");
  // An MPII split validated at alpha 0.1 is still PCKh (the training CLI once printed PCK@0.1).
  assertEquals(metricLabel(splitMetric(on("mpii_json"), 0.1)), "PCKh@0.1");
  assertEquals(metricLabel(splitMetric(on("lsp"), 0.5)), "PCK@0.2");
});
