/**
 * SVG to PNG without a browser (resvg compiled to wasm), so every figure bundle also carries a
 * PNG: classic Jupyter Notebook shows only PNG in a notebook it does not trust yet (a fresh
 * clone's), and GitHub shows PNG too. Text needs a TrueType font from the system: the first of
 * `FONT_CANDIDATES` found is used; with none, no PNG is made and the caller keeps the SVG only.
 *
 * @module
 */

import { initWasm, Resvg } from "@resvg/resvg-wasm";

/** Regular and bold sans-serif fonts looked for, in order (Debian/Ubuntu, Fedora, macOS). */
export const FONT_CANDIDATES: readonly (readonly string[])[] = [
  [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
  ],
  [
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
  ],
  ["/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf"],
  [
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "/System/Library/Fonts/Supplemental/Arial Bold.ttf",
  ],
];

/** Device pixels per SVG pixel: 1 keeps notebooks small (a photo gallery is mostly image bytes). */
const PNG_ZOOM = 1;

let ready: Promise<Uint8Array[] | null> | undefined;

/** Starts resvg once and reads the first font set found; null when there is none. */
function start(): Promise<Uint8Array[] | null> {
  ready ??= (async () => {
    const fonts = FONT_CANDIDATES.map((set) =>
      set.flatMap((path) => {
        try {
          return [Deno.readFileSync(path)];
        } catch {
          return [];
        }
      })
    ).find((found) => found.length > 0);
    if (!fonts) return null;
    const wasm = new URL(import.meta.resolve("@resvg/resvg-wasm/index_bg.wasm"));
    await initWasm(await Deno.readFile(wasm));
    return fonts;
  })();
  return ready;
}

/**
 * The PNG of an SVG on a white background, or null when no font is installed (text would be
 * missing from it).
 *
 * @example
 * ```ts
 * const png = await svgToPng(await renderSvg(spec)); // Uint8Array starting with the PNG magic
 * ```
 */
export async function svgToPng(svg: string): Promise<Uint8Array | null> {
  const fonts = await start();
  if (!fonts) return null;
  const resvg = new Resvg(svg, {
    background: "white",
    fitTo: { mode: "zoom", value: PNG_ZOOM },
    font: { fontBuffers: fonts, loadSystemFonts: false },
  });
  try {
    const image = resvg.render();
    try {
      return image.asPng();
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}
