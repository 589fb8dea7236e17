/**
 * Display bundles for Jupyter: a vega-lite v5 spec under `application/vnd.vegalite.v5+json`
 * (what JupyterLab renders) with an `image/svg+xml` fallback rendered headless by vega and a PNG
 * of it (what classic Notebook shows before a notebook is trusted, and what GitHub shows), and
 * PNG images, shown with `Deno.jupyter.display` so nbconvert keeps them.
 *
 * @module
 */

import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { encodeBase64 } from "./base64.ts";
import { svgToPng } from "./raster.ts";

/** A Jupyter MIME bundle: MIME type to payload. */
export type MimeBundle = Record<string, unknown>;

/** A vega-lite spec (kept to v5 features so JupyterLab's v5 renderer draws it). */
export type VegaLiteSpec = TopLevelSpec;

const VL5_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

/**
 * Renders a vega-lite spec to SVG without a browser.
 *
 * @example
 * ```ts
 * const svg = await renderSvg({ mark: "point", data: { values: [{ x: 1 }] }, encoding: { x: { field: "x", type: "quantitative" } } });
 * svg.startsWith("<svg"); // true
 * ```
 */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * A bundle with the vega-lite v5 spec, its SVG rendering, a PNG of that SVG (when a font is
 * installed: lib/viz/raster.ts), and the title as text.
 *
 * @example
 * ```ts
 * await show(await vegaLiteBundle(lossCurveSpec(rows)));
 * ```
 */
export async function vegaLiteBundle(spec: VegaLiteSpec): Promise<MimeBundle> {
  const withSchema = { $schema: VL5_SCHEMA, ...spec } as VegaLiteSpec;
  const t = spec.title as string | { text?: unknown } | undefined;
  const title = typeof t === "string" ? t : typeof t?.text === "string" ? t.text : "chart";
  const svg = await renderSvg(withSchema);
  const png = await svgToPng(svg);
  return {
    "application/vnd.vegalite.v5+json": withSchema,
    "image/svg+xml": svg,
    ...(png ? { "image/png": encodeBase64(png) } : {}),
    "text/plain": title,
  };
}

/**
 * A bundle showing PNG bytes, with alt text.
 *
 * @example
 * ```ts
 * await show(pngBundle(encodePng(image), "SynthPose sample 0"));
 * ```
 */
export function pngBundle(png: Uint8Array, text: string): MimeBundle {
  return { "image/png": encodeBase64(png), "text/plain": text };
}

/** Where `show` sends bundles; outside Jupyter it prints the text part. */
export interface JupyterApi {
  display(
    obj: unknown,
    options?: { raw?: boolean; update?: boolean; display_id?: string },
  ): Promise<void>;
}

/**
 * Displays a bundle in the notebook (no-op printout of its text outside Jupyter). Pass a
 * `displayId` to update the same output in place later (`update: true`), e.g. a live loss curve.
 *
 * @example
 * ```ts
 * await show(bundle, { displayId: "loss" });
 * await show(newer, { displayId: "loss", update: true });
 * ```
 */
export async function show(
  bundle: MimeBundle,
  options: { displayId?: string; update?: boolean } = {},
): Promise<void> {
  const jupyter = jupyterApi();
  if (!jupyter) {
    console.log(String(bundle["text/plain"] ?? "(figure)"));
    return;
  }
  await jupyter.display(bundle, {
    raw: true,
    ...(options.displayId ? { display_id: options.displayId } : {}),
    ...(options.update ? { update: true } : {}),
  });
  // The Deno kernel can publish a display after the cell's "idle" status when the cell ends
  // right after it, and nbconvert then drops it (seen with large bundles). A pause scaled
  // with the bundle's size lets the message go out first.
  await new Promise((resolve) => setTimeout(resolve, displayPauseMs(bundle)));
}

/**
 * How long `show` waits after publishing a bundle: 40 ms plus 60 ms per MB of payload.
 *
 * @example
 * ```ts
 * displayPauseMs({ "text/plain": "x" }); // 40
 * ```
 */
export function displayPauseMs(bundle: MimeBundle): number {
  let bytes = 0;
  for (const v of Object.values(bundle)) {
    bytes += typeof v === "string" ? v.length : JSON.stringify(v)?.length ?? 0;
  }
  return Math.round(40 + (60 * bytes) / 1e6);
}

/**
 * `Deno.jupyter` exists only inside `deno jupyter`; elsewhere reading it throws.
 *
 * @example
 * ```ts
 * if (jupyterApi()) console.log("running in a notebook");
 * ```
 */
export function jupyterApi(): JupyterApi | undefined {
  try {
    return (Deno as unknown as { jupyter?: JupyterApi }).jupyter;
  } catch {
    return undefined;
  }
}

/**
 * A bundle showing markdown (tables, notes) in the notebook, and the same text outside it.
 *
 * @example
 * ```ts
 * await show(markdownBundle(markdownTable(["Model", "Mean"], [["hourglass", "87.10"]])));
 * ```
 */
export function markdownBundle(markdown: string): MimeBundle {
  // The text part is what an untrusted classic Notebook shows: without markdown's escapes.
  return { "text/markdown": markdown, "text/plain": markdown.replace(/\\([@|])/g, "$1") };
}
