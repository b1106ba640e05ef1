// deno-lint-ignore-file no-console -- the bench prints its report
/**
 * `deno task bench io`: MetaImage write/read throughput for a 512×512×300
 * int16 CT-like volume (`.mhd` + `.raw` and `.zraw`), and resampling it from
 * 2.5 × 0.7 × 0.7 mm to 1 mm isotropic.
 *
 * @module
 */

import { join } from "node:path";
import { readMetaImage, writeMetaImage } from "../core/io/mod.ts";
import { createVolume, resample, type Volume } from "../core/volume.ts";
import type { BenchSection } from "./main.ts";

/** A CT-like slab: air, an elliptic body of noisy soft tissue, darker lungs. */
function syntheticScan(): Volume<Int16Array> {
  const [nz, ny, nx] = [300, 512, 512];
  const data = new Int16Array(nz * ny * nx);
  let seed = 12345;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        const noise = (seed >>> 24) - 128; // ±128 HU
        const bx = (x - 256) / 220, by = (y - 256) / 160;
        const lx = (Math.abs(x - 256) - 100) / 70, ly = (y - 250) / 110;
        let hu = -1000;
        if (bx * bx + by * by < 1) {
          hu = lx * lx + ly * ly < 1 ? -850 : 40;
        }
        data[(z * ny + y) * nx + x] = hu + (noise >> 2);
      }
    }
  }
  return createVolume(data, [nz, ny, nx], {
    spacingMm: [2.5, 0.703125, 0.703125],
    originMm: [-350, -180, -180],
  });
}

async function timed<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, (performance.now() - start) / 1000];
}

/** The io section. */
export const run: BenchSection = async () => {
  const volume = syntheticScan();
  const mb = volume.data.byteLength / 1e6;
  const dir = await Deno.makeTempDir({ prefix: "pleura_bench_io_" });
  try {
    const raw = join(dir, "raw.mhd");
    const zraw = join(dir, "zraw.mhd");
    const [, writeRawS] = await timed(() => writeMetaImage(raw, volume));
    const [backRaw, readRawS] = await timed(() => readMetaImage(raw));
    const [, writeZrawS] = await timed(() =>
      writeMetaImage(zraw, volume, { compress: true })
    );
    const [backZraw, readZrawS] = await timed(() => readMetaImage(zraw));
    if (
      backRaw.data.length !== volume.data.length ||
      backZraw.data[12345678] !== volume.data[12345678]
    ) {
      throw new Error("bench io: read-back differs from what was written");
    }
    const zrawBytes = (await Deno.stat(join(dir, "zraw.zraw"))).size;
    const [resampled, resampleS] = await timed(() =>
      resample(volume, [1, 1, 1], "linear")
    );
    const [, nearestS] = await timed(() =>
      resample(volume, [1, 1, 1], "nearest")
    );
    const rate = (s: number) => Math.round((mb / s) * 10) / 10;
    console.log(
      `volume 512×512×300 int16 = ${mb.toFixed(1)} MB; zraw ${
        (zrawBytes / 1e6).toFixed(1)
      } MB (${(100 * zrawBytes / volume.data.byteLength).toFixed(0)} %)`,
    );
    console.log(
      `write .raw  ${writeRawS.toFixed(3)} s  ${rate(writeRawS)} MB/s`,
    );
    console.log(`read  .raw  ${readRawS.toFixed(3)} s  ${rate(readRawS)} MB/s`);
    console.log(
      `write .zraw ${writeZrawS.toFixed(3)} s  ${rate(writeZrawS)} MB/s`,
    );
    console.log(
      `read  .zraw ${readZrawS.toFixed(3)} s  ${rate(readZrawS)} MB/s`,
    );
    console.log(
      `resample → 1 mm linear ${resampleS.toFixed(3)} s, nearest ${
        nearestS.toFixed(3)
      } s (output ${resampled.shape.join("×")})`,
    );
    return {
      read_raw_mb_s: rate(readRawS),
      read_zraw_mb_s: rate(readZrawS),
      write_raw_mb_s: rate(writeRawS),
      write_zraw_mb_s: rate(writeZrawS),
      resample_s: Math.round(resampleS * 1000) / 1000,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
};
