/**
 * A minimal PNG encoder (8-bit grayscale or RGB, no interlace): signature,
 * IHDR, one zlib-deflated IDAT (filter 0 on every row) and IEND, each chunk
 * with its CRC-32 (ISO 3309 / PNG spec §5.5).
 *
 * @module
 */

import { deflateSync } from "node:zlib";

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

let crcTable: Uint32Array | null = null;

/**
 * CRC-32 as PNG defines it (polynomial 0xEDB88320, reflected).
 *
 * @param bytes the data
 * @returns the checksum, unsigned
 * @example
 * ```ts
 * import { crc32 } from "./png.ts";
 * crc32(new TextEncoder().encode("IEND")).toString(16); // "ae426082"
 * ```
 */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * Encodes an image as PNG.
 *
 * @param pixels row-major samples, `channels` per pixel (1 gray, 3 RGB), 8 bit
 * @param width pixels per row
 * @param height rows
 * @param channels 1 or 3
 * @returns the PNG file's bytes
 * @throws {RangeError} for a size or channel count that does not match `pixels`
 * @example
 * ```ts
 * import { encodePng } from "./png.ts";
 * const png = encodePng(new Uint8Array([0, 255, 255, 0]), 2, 2, 1);
 * png[1]; // 80 ("P")
 * ```
 */
export function encodePng(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3,
): Uint8Array {
  if (
    !Number.isInteger(width) || !Number.isInteger(height) || width < 1 ||
    height < 1 || (channels !== 1 && channels !== 3) ||
    pixels.length !== width * height * channels
  ) {
    throw new RangeError(
      `Cannot encode PNG: ${pixels.length} samples for ${width} × ${height} × ${channels}, expected width · height · channels (channels 1 or 3)`,
    );
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header[8] = 8; // bit depth
  header[9] = channels === 1 ? 0 : 2; // gray or truecolour
  const stride = width * channels;
  const raw = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter: none
    raw.set(
      pixels.subarray(y * stride, (y + 1) * stride),
      y * (stride + 1) + 1,
    );
  }
  const parts = [
    Uint8Array.from(SIGNATURE),
    chunk("IHDR", header),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
