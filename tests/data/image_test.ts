import { assertEquals, assertThrows } from "@std/assert";
import { encodeJpeg, encodePng as encodeAnyPng, Image } from "image-js";
import { checkImage, cropRows, decodeImage, encodePng } from "../../lib/data/image.ts";
import { noiseImage } from "./fixtures.ts";

Deno.test("PNG round trips bit for bit; grey, alpha, 16-bit and JPEG images decode to 8-bit RGB", () => {
  const img = noiseImage(5, 3);
  assertEquals(decodeImage(encodePng(img)), img);
  const grey = new Image(2, 1, { colorModel: "GREY", data: Uint8Array.of(10, 200) });
  assertEquals(decodeImage(encodeAnyPng(grey)).data, Uint8Array.of(10, 10, 10, 200, 200, 200));
  const rgba = new Image(1, 1, { colorModel: "RGBA", data: Uint8Array.of(1, 2, 3, 128) });
  assertEquals(decodeImage(encodeAnyPng(rgba)).data, Uint8Array.of(1, 2, 3));
  const deep = new Image(2, 1, {
    colorModel: "GREY",
    bitDepth: 16,
    data: Uint16Array.of(0, 65535),
  });
  assertEquals(decodeImage(encodeAnyPng(deep)).data, Uint8Array.of(0, 0, 0, 255, 255, 255));
  const jpeg = decodeImage(encodeJpeg(new Image(8, 4, { colorModel: "RGB" })));
  assertEquals([jpeg.width, jpeg.height, jpeg.data.length], [8, 4, 96]);
});

Deno.test("cropRows copies a clamped rectangle and says where it starts", () => {
  const img = noiseImage(6, 5);
  const { image, x0, y0 } = cropRows(img, 3.5, -2, 9, 2.2);
  assertEquals([x0, y0, image.width, image.height], [3, 0, 3, 3]);
  for (let y = 0; y < 3; y++) {
    for (let x = 0; x < 3; x++) {
      const src = ((y0 + y) * 6 + x0 + x) * 3;
      assertEquals(
        image.data.slice((y * 3 + x) * 3, (y * 3 + x) * 3 + 3),
        img.data.slice(src, src + 3),
      );
    }
  }
});

Deno.test("an image whose buffer does not match its size is refused", () => {
  assertThrows(
    () => checkImage({ width: 2, height: 2, data: new Uint8Array(11) }),
    Error,
    "needs 12 bytes, got 11",
  );
});
