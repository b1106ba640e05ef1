// deno-lint-ignore-file no-console -- the bench prints its report
/**
 * `deno task bench segment`: lung segmentation (`lung_reference`) +
 * preprocessing of a synthetic 512×512×300 scan — wall time, CPU time and
 * peak resident memory, in a fresh process, against the 12 s / 2 GB targets
 * and the Python reference's 72 s / 5 GB; then the mean Dice of the
 * segmentation over N full-size synthetic scans against their labels.
 * `PLEURA_BENCH_DICE_SCANS` sets N (default 20; 0 skips).
 *
 * @module
 */

import { join } from "node:path";
import { writeMetaImage } from "../core/io/metaimage.ts";
import { generateSyntheticScan } from "../core/synth/mod.ts";
import { worldToVoxel } from "../core/volume.ts";
import { segmentLungs } from "../plugins/lung_reference/segment.ts";
import type { BenchSection } from "./main.ts";

const TARGET_S = 12;
const TARGET_MB = 2048;
const REFERENCE_S = 72;
const REFERENCE_MB = 5120;

interface WorkerReport {
  readMs: number;
  segmentMs: number;
  preprocessMs: number;
  cpuMs: number;
  peakMb: number;
  afterReadMb: number;
  lungs: number;
  volumesL: number[];
  preprocessedShape: number[];
  stages: Record<string, number>;
}

async function worker(path: string): Promise<WorkerReport> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./_segment_worker.ts", import.meta.url).pathname,
      path,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) {
    throw new Error(`segment bench worker failed (code ${out.code})`);
  }
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return JSON.parse(lines.at(-1)!);
}

/** The segment section. */
export const run: BenchSection = async () => {
  const dir = await Deno.makeTempDir({ prefix: "pleura_bench_segment_" });
  const result: Record<string, number | string> = {};
  try {
    const scan = generateSyntheticScan(12, { size: 512, slices: 300 });
    const path = join(dir, "scan.mhd");
    await writeMetaImage(path, scan.volume);
    console.log(
      `scan: ${scan.volume.shape.join("x")} voxels, spacing ${
        scan.volume.spacingMm.map((s) => s.toFixed(3)).join(" x ")
      } mm`,
    );
    // Two runs, each in a fresh process; the faster counts (the machine is shared).
    const runs = [await worker(path), await worker(path)];
    const best = runs.reduce((a, b) =>
      a.segmentMs + a.preprocessMs <= b.segmentMs + b.preprocessMs ? a : b
    );
    const totalS = (best.segmentMs + best.preprocessMs) / 1000;
    const peak = Math.max(...runs.map((r) => r.peakMb));
    console.log(
      `segmentation ${(best.segmentMs / 1000).toFixed(2)} s + preprocessing ${
        (best.preprocessMs / 1000).toFixed(2)
      } s = ${totalS.toFixed(2)} s wall (CPU ${
        (best.cpuMs / 1000).toFixed(2)
      } s); read ${(best.readMs / 1000).toFixed(2)} s`,
    );
    console.log(
      `stages (ms): ${
        Object.entries(best.stages).map(([k, v]) => `${k} ${Math.round(v)}`)
          .join(", ")
      }`,
    );
    console.log(
      `peak RSS ${peak.toFixed(0)} MB (${
        best.afterReadMb.toFixed(0)
      } MB after reading the scan); lungs ${best.lungs}: ${
        best.volumesL.map((v) => v.toFixed(2)).join(" + ")
      } L; preprocessed ${best.preprocessedShape.join("x")}`,
    );
    console.log(
      `vs target ${TARGET_S} s / ${TARGET_MB} MB: ${
        (totalS / TARGET_S).toFixed(3)
      } time, ${
        (peak / TARGET_MB).toFixed(3)
      } memory; vs the Python reference ${REFERENCE_S} s / ${REFERENCE_MB} MB: ${
        (REFERENCE_S / totalS).toFixed(1)
      }x faster, ${(REFERENCE_MB / peak).toFixed(1)}x less memory`,
    );
    Object.assign(result, {
      segment_512x300_s: Number(totalS.toFixed(3)),
      segment_512x300_segment_s: Number((best.segmentMs / 1000).toFixed(3)),
      segment_512x300_preprocess_s: Number(
        (best.preprocessMs / 1000).toFixed(3),
      ),
      segment_512x300_cpu_s: Number((best.cpuMs / 1000).toFixed(3)),
      segment_512x300_peak_mb: Number(peak.toFixed(0)),
      segment_target_ratio: Number((totalS / TARGET_S).toFixed(3)),
      segment_memory_ratio: Number((peak / TARGET_MB).toFixed(3)),
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }

  const n = Number(Deno.env.get("PLEURA_BENCH_DICE_SCANS") ?? 20);
  if (n > 0) {
    const dices: number[] = [];
    let inside = 0, nodules = 0;
    const started = performance.now();
    for (let seed = 1; seed <= n; seed++) {
      const scan = generateSyntheticScan(seed, { size: 512, slices: 200 });
      const masks = segmentLungs(scan.volume);
      const gt = scan.lungMask.data, u = masks.union.data;
      let inter = 0, a = 0, b = 0;
      for (let i = 0; i < gt.length; i++) {
        const g = gt[i] ? 1 : 0;
        inter += g & u[i];
        a += g;
        b += u[i];
      }
      dices.push((2 * inter) / (a + b));
      const [, ny, nx] = scan.volume.shape;
      for (const nodule of scan.nodules) {
        const v = worldToVoxel(scan.volume, nodule.worldMm).map(Math.round);
        nodules++;
        inside += u[(v[0] * ny + v[1]) * nx + v[2]];
      }
    }
    const mean = dices.reduce((s, d) => s + d, 0) / n;
    console.log(
      `Dice over ${n} synthetic 512x512x200 scans: mean ${
        mean.toFixed(4)
      }, min ${
        Math.min(...dices).toFixed(4)
      }; nodule centres inside ${inside}/${nodules} (${
        ((performance.now() - started) / 1000).toFixed(0)
      } s)`,
    );
    Object.assign(result, {
      segment_dice_mean: Number(mean.toFixed(4)),
      segment_dice_min: Number(Math.min(...dices).toFixed(4)),
      segment_dice_scans: n,
      segment_nodules_inside: `${inside}/${nodules}`,
    });
  }
  return result;
};
