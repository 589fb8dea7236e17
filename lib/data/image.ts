/**
 * Reading and writing the images of the datasets: PNG and JPEG decoded to 8-bit RGB through
 * image-js, PNG written for SynthPose exports. Errors name the file.
 *
 * @module
 */

import { decode, encodePng as encodeImagePng, Image } from "image-js";
import type { RgbImage } from "./types.ts";

/**
 * Decodes PNG or JPEG bytes to 8-bit RGB. Grey and alpha images are converted; 16-bit images
 * are reduced to 8 bits. Throws an Error (the caller names the file) on unreadable data.
 *
 * @example
 * ```ts
 * const img = decodeImage(await Deno.readFile("im0001.jpg"));
 * img.data.length === img.width * img.height * 3; // true
 * ```
 */
export function decodeImage(bytes: Uint8Array): RgbImage {
  let image = decode(bytes);
  if (image.bitDepth !== 8) image = image.convertBitDepth(8);
  if (image.colorModel !== "RGB") image = image.convertColor("RGB");
  const raw = image.getRawImage();
  const data = raw.data instanceof Uint8Array ? raw.data : Uint8Array.from(raw.data);
  return { width: image.width, height: image.height, data };
}

/**
 * Encodes an RGB image as PNG (lossless, so exported datasets read back bit for bit).
 *
 * @example
 * ```ts
 * await Deno.writeFile("scene.png", encodePng(sample.image));
 * ```
 */
export function encodePng(image: RgbImage): Uint8Array {
  checkImage(image);
  const img = new Image(image.width, image.height, { data: image.data, colorModel: "RGB" });
  return encodeImagePng(img);
}

/**
 * Throws when an image's buffer does not hold `width * height * 3` bytes.
 *
 * @example
 * ```ts
 * checkImage({ width: 2, height: 2, data: new Uint8Array(12) }); // ok
 * ```
 */
export function checkImage(image: RgbImage): void {
  const want = image.width * image.height * 3;
  if (
    !Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width < 1 ||
    image.height < 1 || image.data.length !== want
  ) {
    throw new Error(
      `an RGB image of ${image.width}x${image.height} needs ${want} bytes, got ${image.data.length}`,
    );
  }
}

/**
 * Copies the pixel rectangle `[x0, x1) x [y0, y1)` (clamped to the image) into a new image, row
 * by row: real photos are cut down to the region a crop can reach before they go to the backend.
 *
 * @example
 * ```ts
 * const part = cropRows(img, 100, 50, 356, 306); // 256 x 256
 * ```
 */
export function cropRows(
  image: RgbImage,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
): { image: RgbImage; x0: number; y0: number } {
  const cx0 = Math.max(0, Math.min(image.width - 1, Math.floor(x0)));
  const cy0 = Math.max(0, Math.min(image.height - 1, Math.floor(y0)));
  const cx1 = Math.max(cx0 + 1, Math.min(image.width, Math.ceil(x1)));
  const cy1 = Math.max(cy0 + 1, Math.min(image.height, Math.ceil(y1)));
  const w = cx1 - cx0, h = cy1 - cy0;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const src = ((cy0 + y) * image.width + cx0) * 3;
    data.set(image.data.subarray(src, src + w * 3), y * w * 3);
  }
  return { image: { width: w, height: h, data }, x0: cx0, y0: cy0 };
}
