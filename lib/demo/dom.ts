/**
 * The few DOM types the demo page uses. Deno's type library has no DOM, and referencing the
 * `dom` library in one file would change the global types of every file type-checked with it
 * (e.g. `TextDecoderStream`), so the page declares what it calls and reads the browser's
 * globals through {@link browser}.
 *
 * @module
 */

/** The 2D canvas context calls the page makes. */
export interface Context2D {
  strokeStyle: string;
  fillStyle: string;
  lineWidth: number;
  drawImage(image: ImageBitmap, x: number, y: number, width?: number, height?: number): void;
  setLineDash(segments: number[]): void;
  strokeRect(x: number, y: number, width: number, height: number): void;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  stroke(): void;
  arc(x: number, y: number, radius: number, start: number, end: number): void;
  fill(): void;
  putImageData(data: ImageData, x: number, y: number): void;
  getImageData(x: number, y: number, width: number, height: number): ImageData;
}

/** A mouse, drag or change event, as far as the page reads it. */
export interface PageEvent {
  readonly clientX: number;
  readonly clientY: number;
  readonly target: unknown;
  readonly dataTransfer?: { readonly files: ArrayLike<Blob> } | null;
  preventDefault(): void;
}

/** An element. */
export interface PageElement {
  textContent: string | null;
  innerHTML: string;
  readonly classList: { add(name: string): void };
  append(...children: PageElement[]): void;
  replaceChildren(...children: PageElement[]): void;
  addEventListener(type: string, listener: (ev: PageEvent) => void): void;
  getBoundingClientRect(): { left: number; top: number; width: number; height: number };
}

/** A `<canvas>`. */
export interface PageCanvas extends PageElement {
  width: number;
  height: number;
  getContext(kind: "2d"): Context2D | null;
}

/** An `<input type=file>`. */
export interface FileInput extends PageElement {
  readonly files: ArrayLike<Blob> | null;
}

/** The browser globals the page uses. */
export interface BrowserGlobals {
  readonly document: {
    getElementById(id: string): PageElement | null;
    createElement(tag: string): PageElement;
    addEventListener(type: string, listener: (ev: PageEvent) => void): void;
  };
  readonly OffscreenCanvas: new (width: number, height: number) => {
    getContext(kind: "2d"): Context2D | null;
  };
  addEventListener(type: string, listener: (ev: PageEvent) => void): void;
}

/**
 * The page's window, typed with the declarations above.
 *
 * @example
 * ```ts
 * const canvas = browser().document.getElementById("view") as PageCanvas;
 * ```
 */
export function browser(): BrowserGlobals {
  return globalThis as unknown as BrowserGlobals;
}
