// deno-lint-ignore-file no-console -- the bench prints its report
/**
 * `deno task bench synth`: time to generate one synthetic 512×512×300 chest
 * CT (generation only, and generation + writing it as a LUNA16 dataset of
 * one scan: image `.raw` and compressed mask), against the 20 s target.
 *
 * @module
 */

import {
  generateSyntheticScan,
  writeSyntheticDataset,
} from "../core/synth/mod.ts";
import type { BenchSection } from "./main.ts";

/** The target for one 512×512×300 scan on one core (seconds). */
const TARGET_S = 20;
const SHAPE = { size: 512, slices: 300 } as const;

/** The synth section. */
export const run: BenchSection = async () => {
  // Warm-up (JIT) on a small scan, then the measured runs.
  generateSyntheticScan(1, { size: 128, slices: 40 });
  const times: number[] = [];
  for (const seed of [11, 12, 13]) {
    const start = performance.now();
    const scan = generateSyntheticScan(seed, SHAPE);
    times.push((performance.now() - start) / 1000);
    console.log(
      `seed ${seed}: ${
        scan.volume.shape.join("x")
      } voxels, ${scan.nodules.length} nodules, ${times.at(-1)!.toFixed(2)} s`,
    );
  }
  times.sort((a, b) => a - b);
  const median = times[1];
  const dir = await Deno.makeTempDir({ prefix: "pleura_bench_synth_" });
  let withWrite: number;
  try {
    const start = performance.now();
    await writeSyntheticDataset(dir, { scans: 1, seed: 12, shape: SHAPE });
    withWrite = (performance.now() - start) / 1000;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  console.log(
    `generation (median of 3): ${median.toFixed(2)} s = ${
      (median / TARGET_S).toFixed(3)
    } of the ${TARGET_S} s target`,
  );
  console.log(
    `generation + write: ${withWrite.toFixed(2)} s = ${
      (withWrite / TARGET_S).toFixed(3)
    } of the target`,
  );
  return {
    synth_512x300_s: Number(median.toFixed(3)),
    synth_512x300_write_s: Number(withWrite.toFixed(3)),
    synth_target_ratio: Number((median / TARGET_S).toFixed(3)),
  };
};
