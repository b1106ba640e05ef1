import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import { crc32, encodePng } from "./png.ts";

Deno.test("crc32() gives the published check value and the IEND chunk CRC", () => {
  // The CRC-32 check value of "123456789" is 0xCBF43926.
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new TextEncoder().encode("IEND")), 0xae426082);
});

Deno.test("encodePng() writes signature, IHDR, IDAT with filtered rows, IEND", () => {
  const pixels = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const png = encodePng(pixels, 2, 2, 3);
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  const view = new DataView(png.buffer, png.byteOffset);
  // Walk the chunks and check each CRC.
  let offset = 8;
  const chunks: { type: string; data: Uint8Array }[] = [];
  while (offset < png.length) {
    const length = view.getUint32(offset);
    const type = new TextDecoder().decode(png.subarray(offset + 4, offset + 8));
    const data = png.subarray(offset + 8, offset + 8 + length);
    assert.equal(
      view.getUint32(offset + 8 + length),
      crc32(png.subarray(offset + 4, offset + 8 + length)),
      `${type} CRC`,
    );
    chunks.push({ type, data });
    offset += 12 + length;
  }
  assert.deepEqual(chunks.map((c) => c.type), ["IHDR", "IDAT", "IEND"]);
  const ihdr = new DataView(chunks[0].data.buffer, chunks[0].data.byteOffset);
  assert.deepEqual([
    ihdr.getUint32(0),
    ihdr.getUint32(4),
    chunks[0].data[8],
    chunks[0].data[9],
  ], [2, 2, 8, 2]);
  assert.deepEqual(
    [...inflateSync(chunks[1].data)],
    [0, 1, 2, 3, 4, 5, 6, 0, 7, 8, 9, 10, 11, 12],
  );
});

Deno.test("encodePng() rejects a size that does not match the samples", () => {
  assert.throws(() => encodePng(new Uint8Array(5), 2, 2, 1), {
    name: "RangeError",
    message:
      "Cannot encode PNG: 5 samples for 2 × 2 × 1, expected width · height · channels (channels 1 or 3)",
  });
});
