/**
 * The demo page's script (bundled for the browser by `deno task demo`): loads the served kit
 * checkpoint with `tf.loadLayersModel`, takes an image picked or dropped, lets the user drag a
 * box around a person (or use the whole image), and draws the predicted skeleton and the
 * per-joint heatmaps. Skeleton, colours, crop, inference and decoding are the kit's own
 * modules. State for tests is on `globalThis.posekitDemo`.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-webgpu";
import type { RgbImage } from "../data/types.ts";
import { EDGES, JOINT_LABELS, JOINT_SIDES } from "../skeleton/mpii.ts";
import { heatmapImage, type Rgb, SIDE_COLORS } from "../viz/colors.ts";
import { browser, type FileInput, type PageCanvas, type PageElement } from "./dom.ts";
import { type DemoBox, type DemoMeta, type DemoPrediction, predictPose } from "./pose.ts";

/** Backends tried in order when the page's URL does not name one (`?backend=cpu`). */
const BACKEND_ORDER = ["webgpu", "webgl", "cpu"];
/** Largest size of the image view, CSS pixels. */
const VIEW_MAX = { width: 720, height: 560 };
/** Small images are shown at most this many times their size. */
const MAX_ZOOM = 3;
/** Heatmap tiles are enlarged (whole factors) to about this many CSS pixels. */
const HEATMAP_TILE = 96;

/** What a test (or a curious user in the console) can read. */
interface DemoState {
  ready: boolean;
  backend?: string;
  error?: string;
  /** Increments after every finished prediction. */
  predictions: number;
  last?: DemoPrediction & { box: DemoBox | null; image: { width: number; height: number } };
}

const state: DemoState = { ready: false, predictions: 0 };
(globalThis as unknown as { posekitDemo: DemoState }).posekitDemo = state;

const { document } = browser();
const $ = <T extends PageElement>(id: string) => document.getElementById(id) as T;
const status = (text: string) => $("status").textContent = text;
const css = (rgb: readonly number[]) => `rgb(${rgb.join(",")})`;

/** Picks the backend: the one asked for, else the first of BACKEND_ORDER that starts. */
async function chooseBackend(): Promise<string> {
  const wanted = new URLSearchParams(location.search).get("backend");
  const tried: string[] = [];
  for (const name of wanted ? [wanted] : BACKEND_ORDER) {
    if (name === "webgpu" && !("gpu" in navigator)) {
      tried.push("webgpu: this browser has no navigator.gpu");
      continue;
    }
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        const why = tried.length > 0 ? ` (${tried.join("; ")})` : "";
        return `${name}${wanted ? " (asked for in the URL)" : why}`;
      }
      tried.push(`${name}: did not start`);
    } catch (e) {
      tried.push(`${name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no tfjs backend started: ${tried.join("; ")}`);
}

let model: tf.LayersModel | undefined;
let meta: DemoMeta | undefined;
let image: { rgb: RgbImage; bitmap: ImageBitmap } | undefined;
let box: DemoBox | null = null;
let prediction: DemoPrediction | undefined;

/** Image pixels to view pixels: large images shrink to fit, small ones grow by a whole factor. */
function viewScale(): number {
  if (!image) return 1;
  const fit = Math.min(VIEW_MAX.width / image.rgb.width, VIEW_MAX.height / image.rgb.height);
  return fit >= 1 ? Math.min(MAX_ZOOM, Math.floor(fit)) : fit;
}

function draw(dragBox?: DemoBox): void {
  const canvas = $<PageCanvas>("view");
  if (!image) return;
  const k = viewScale();
  canvas.width = Math.round(image.rgb.width * k);
  canvas.height = Math.round(image.rgb.height * k);
  const g = canvas.getContext("2d")!;
  g.drawImage(image.bitmap, 0, 0, canvas.width, canvas.height);
  const shown = dragBox ?? box;
  if (shown) {
    g.setLineDash([6, 4]);
    g.strokeStyle = "white";
    g.lineWidth = 2;
    g.strokeRect(shown[0] * k, shown[1] * k, (shown[2] - shown[0]) * k, (shown[3] - shown[1]) * k);
    g.setLineDash([]);
  }
  if (!prediction || dragBox) return;
  const kp = prediction.keypoints;
  const low = (j: number) => kp[j]!.confidence < meta!.minConfidence;
  g.lineWidth = 3;
  for (const e of EDGES) {
    g.strokeStyle = css(SIDE_COLORS[e.side]);
    g.beginPath();
    g.moveTo(kp[e.from]!.x * k, kp[e.from]!.y * k);
    g.lineTo(kp[e.to]!.x * k, kp[e.to]!.y * k);
    g.stroke();
  }
  kp.forEach((p, j) => {
    g.beginPath();
    g.arc(p.x * k, p.y * k, 4, 0, 2 * Math.PI);
    g.fillStyle = css(SIDE_COLORS[JOINT_SIDES[j] ?? "centre"]);
    g.strokeStyle = "white";
    g.lineWidth = 1.5;
    if (!low(j)) g.fill();
    g.stroke();
  });
}

function rgbToCanvas(rgb: Rgb): PageCanvas {
  const c = document.createElement("canvas") as PageCanvas;
  c.width = rgb.width;
  c.height = rgb.height;
  const out = new ImageData(rgb.width, rgb.height);
  for (let p = 0; p < rgb.width * rgb.height; p++) {
    out.data.set(rgb.data.subarray(3 * p, 3 * p + 3), 4 * p);
    out.data[4 * p + 3] = 255;
  }
  c.getContext("2d")!.putImageData(out, 0, 0);
  return c;
}

function showResults(p: DemoPrediction): void {
  const rows = p.keypoints.map((k, j) =>
    `<tr><td style="color:${css(SIDE_COLORS[JOINT_SIDES[j] ?? "centre"])}">${
      JOINT_LABELS[j]
    }</td>` +
    `<td>${k.x.toFixed(1)}</td><td>${k.y.toFixed(1)}</td><td>${k.confidence.toFixed(2)}${
      k.occluded ? " (occluded)" : ""
    }</td></tr>`
  );
  $("joints").innerHTML = `<tr><th>joint</th><th>x</th><th>y</th><th>confidence</th></tr>` +
    rows.join("");
  const grid = $("heatmaps");
  grid.replaceChildren();
  const { width, height, values } = p.heatmaps;
  JOINT_LABELS.forEach((label, j) => {
    const fig = document.createElement("figure");
    fig.append(
      rgbToCanvas(heatmapImage(values, width, height, {
        channels: JOINT_LABELS.length,
        channel: j,
        zoom: Math.max(1, Math.round(HEATMAP_TILE / width)),
      })),
    );
    const cap = document.createElement("figcaption");
    cap.textContent = label;
    fig.append(cap);
    grid.append(fig);
  });
}

async function run(): Promise<void> {
  if (!model || !meta || !image) return;
  status("predicting...");
  const t = performance.now();
  prediction = await predictPose(model, meta, image.rgb, box ?? undefined);
  const ms = performance.now() - t;
  draw();
  showResults(prediction);
  state.last = {
    ...prediction,
    box,
    image: { width: image.rgb.width, height: image.rgb.height },
  };
  state.predictions++;
  status(
    `${box ? "crop around the box" : "whole image"}: center ${
      prediction.center.map((v) => v.toFixed(1)).join(", ")
    }, scale ${prediction.scale.toFixed(3)}; ${ms.toFixed(0)} ms on ${state.backend}`,
  );
}

async function loadImage(file: Blob): Promise<void> {
  // No colour management or premultiplication: the pixels are the file's, as the kit reads them.
  const bitmap = await createImageBitmap(file, {
    colorSpaceConversion: "none",
    premultiplyAlpha: "none",
  });
  const c = new (browser().OffscreenCanvas)(bitmap.width, bitmap.height);
  const g = c.getContext("2d")!;
  g.drawImage(bitmap, 0, 0);
  const rgba = g.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const data = new Uint8Array(bitmap.width * bitmap.height * 3);
  for (let p = 0; p < bitmap.width * bitmap.height; p++) {
    data.set(rgba.subarray(4 * p, 4 * p + 3), 3 * p);
  }
  image = { rgb: { width: bitmap.width, height: bitmap.height, data }, bitmap };
  box = null;
  prediction = undefined;
  draw();
  await run();
}

function setupInput(): void {
  const canvas = $<PageCanvas>("view");
  const toImage = (ev: { clientX: number; clientY: number }): [number, number] => {
    const r = canvas.getBoundingClientRect();
    const k = viewScale();
    const clamp = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
    return [
      clamp((ev.clientX - r.left) / k, image!.rgb.width),
      clamp((ev.clientY - r.top) / k, image!.rgb.height),
    ];
  };
  let start: [number, number] | undefined;
  const boxOf = (
    a: [number, number],
    b: [number, number],
  ): DemoBox => [
    Math.min(a[0], b[0]),
    Math.min(a[1], b[1]),
    Math.max(a[0], b[0]),
    Math.max(a[1], b[1]),
  ];
  canvas.addEventListener("mousedown", (ev) => {
    if (image) start = toImage(ev);
  });
  canvas.addEventListener("mousemove", (ev) => {
    if (start) draw(boxOf(start, toImage(ev)));
  });
  browser().addEventListener("mouseup", (ev) => {
    if (!start) return;
    const b = boxOf(start, toImage(ev));
    start = undefined;
    // A click (a box under 8 px) keeps the current crop.
    if (b[2] - b[0] < 8 || b[3] - b[1] < 8) return draw();
    box = b;
    run().catch(fail);
  });
  $("whole").addEventListener("click", () => {
    box = null;
    run().catch(fail);
  });
  $<FileInput>("file").addEventListener("change", (ev) => {
    const f = (ev.target as FileInput).files?.[0];
    if (f) loadImage(f).catch(fail);
  });
  document.addEventListener("dragover", (ev) => ev.preventDefault());
  document.addEventListener("drop", (ev) => {
    ev.preventDefault();
    const f = ev.dataTransfer?.files?.[0];
    if (f) loadImage(f).catch(fail);
  });
}

function fail(e: unknown): void {
  state.error = (e as Error).message ?? String(e);
  status(`error: ${state.error}`);
  $("status").classList.add("error");
}

async function main(): Promise<void> {
  setupInput();
  status("starting tfjs...");
  state.backend = await chooseBackend();
  $("backend").textContent = `tfjs backend: ${state.backend}`;
  status("loading the checkpoint...");
  const r = await fetch("checkpoint/meta.json");
  if (!r.ok) throw new Error(`checkpoint/meta.json: HTTP ${r.status}`);
  meta = await r.json() as DemoMeta;
  model = await tf.loadLayersModel("checkpoint/model.json");
  $("checkpoint").textContent = `${meta.checkpoint} (step ${meta.step}, ${meta.kind}, ` +
    `${meta.inputSize} px crops${meta.flip ? ", flip test" : ""})`;
  state.ready = true;
  status("pick or drop an image");
}

main().catch(fail);
