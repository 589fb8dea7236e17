import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend/select.ts";
import { buildModel, forward } from "../lib/models/mod.ts";
import { multiScaleLoss } from "../lib/losses/multiscale.ts";
import { trainableVariables } from "../lib/train/step.ts";
import { importWeights } from "./parity.ts";
const dir = Deno.args[0]!;
await initBackend((Deno.args[1] ?? "cpu") as "cpu", () => {});
const m = JSON.parse(await Deno.readTextFile(dir + "/manifest.json"));
const pm = buildModel(m.model);
importWeights(pm, m.weights, new Float32Array((await Deno.readFile(dir + "/weights.bin")).buffer));
const raw = new Float32Array((await Deno.readFile(dir + "/batches.bin")).buffer);
let o = 0;
const take = (s: number[]) => { const n = s.reduce((a, b) => a * b, 1); const t = tf.tensor(raw.subarray(o, o + n), s); o += n; return t; };
const images = take(m.batch.images) as tf.Tensor4D;
const targets = m.batch.targets.map((s: number[]) => take(s)) as tf.Tensor4D[];
const weights = take(m.batch.weights) as tf.Tensor2D;
const vars = trainableVariables(pm);
const { grads } = tf.variableGrads(() => multiScaleLoss(forward(pm, images, true), targets, weights, m.loss).total, vars);
// write grads in table order for trainable weights
const out: number[] = [];
const names: string[] = [];
for (const w of pm.model.trainableWeights) { const g = grads[w.read().name]!; out.push(...await g.data()); names.push(w.originalName); }
await Deno.writeFile(dir + "/kit_grads.bin", new Uint8Array(new Float32Array(out).buffer));
await Deno.writeTextFile(dir + "/kit_grads.json", JSON.stringify(names));
