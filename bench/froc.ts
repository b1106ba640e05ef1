// deno-lint-ignore-file no-console -- the bench prints its report
/**
 * `deno task bench froc`: FROC + 1000 scan-level bootstraps on a LUNA16-size
 * problem (888 scans, 1186 nodules, 100 marks per scan), against the ~270 s
 * the official script takes for the same work.
 *
 * Uses the real `annotations.csv`, `annotations_excluded.csv` and
 * `seriesuids.csv` when shared data is present, else synthetic tables of the
 * same size. Marks are seeded: near most nodules with high-ish scores, the
 * rest random false positives.
 *
 * @module
 */

import { join } from "node:path";
import type { BenchSection } from "./main.ts";
import {
  readAnnotationsCsv,
  readSeriesuidsCsv,
} from "../core/dataset/luna16.ts";
import {
  bootstrapFroc,
  computeFroc,
  type FrocInput,
  type FrocMark,
  pairedBootstrapFroc,
} from "../core/froc.ts";
import { createRng, type Rng } from "../core/random.ts";
import { sharedDataPath } from "../core/testing/shared_data.ts";
import type { Nodule } from "../core/volume.ts";

/** Seconds the official script needs for FROC + 1000 bootstraps on LUNA16. */
const OFFICIAL_SECONDS = 270;
const MARKS_PER_SCAN = 100;

async function loadTables(): Promise<
  {
    source: string;
    seriesuids: string[];
    annotations: Nodule[];
    excluded: Nodule[];
  }
> {
  const dir = sharedDataPath("luna16");
  if (dir) {
    try {
      return {
        source: "real LUNA16 tables",
        seriesuids: await readSeriesuidsCsv(join(dir, "seriesuids.csv")),
        annotations: await readAnnotationsCsv(join(dir, "annotations.csv")),
        excluded: await readAnnotationsCsv(
          join(dir, "annotations_excluded.csv"),
          "excluded",
        ),
      };
    } catch {
      // Fall through to synthetic tables.
    }
  }
  const rng = createRng(7);
  const seriesuids = Array.from({ length: 888 }, (_, i) => `synthetic.${i}`);
  const annotations: Nodule[] = [];
  for (let i = 0; i < 1186; i++) {
    annotations.push({
      seriesuid: seriesuids[i < 601 ? i : rng.int(601)],
      worldMm: randomPoint(rng),
      diameterMm: 3.25 + 12 * rng.next() ** 2,
    });
  }
  const excluded: Nodule[] = [];
  for (let i = 0; i < 35192; i++) {
    excluded.push({
      seriesuid: seriesuids[rng.int(888)],
      worldMm: randomPoint(rng),
      diameterMm: rng.next() < 0.87 ? -1 : 2 + rng.next(),
    });
  }
  return { source: "synthetic tables", seriesuids, annotations, excluded };
}

function randomPoint(rng: Rng): readonly [number, number, number] {
  return [
    -300 + 300 * rng.next(),
    -250 + 250 * rng.next(),
    -150 + 300 * rng.next(),
  ];
}

function makeMarks(
  seriesuids: readonly string[],
  annotations: readonly Nodule[],
  rng: Rng,
  noise: number,
): FrocMark[] {
  const byScan = new Map<string, Nodule[]>();
  for (const n of annotations) {
    byScan.set(n.seriesuid, [...(byScan.get(n.seriesuid) ?? []), n]);
  }
  const marks: FrocMark[] = [];
  for (const id of seriesuids) {
    let count = 0;
    for (const n of byScan.get(id) ?? []) {
      if (rng.next() < 0.9 && count < MARKS_PER_SCAN) {
        const r = n.diameterMm / 4;
        marks.push({
          seriesuid: id,
          worldMm: [
            n.worldMm[0] + r * (rng.next() - 0.5),
            n.worldMm[1] + r * (rng.next() - 0.5),
            n.worldMm[2] + r * (rng.next() - 0.5),
          ],
          score: 2.5 + noise * rng.normal(),
        });
        count++;
      }
    }
    for (; count < MARKS_PER_SCAN; count++) {
      marks.push({
        seriesuid: id,
        worldMm: randomPoint(rng),
        score: rng.normal(),
      });
    }
  }
  return marks;
}

/** FROC + 1000 bootstraps (and a paired bootstrap) on a LUNA16-size problem. */
export const run: BenchSection = async () => {
  const tables = await loadTables();
  const rng = createRng(2024);
  const input: FrocInput = {
    seriesuids: tables.seriesuids,
    annotations: tables.annotations,
    excluded: tables.excluded,
    marks: makeMarks(tables.seriesuids, tables.annotations, rng, 1),
  };
  const other: FrocInput = {
    ...input,
    marks: makeMarks(tables.seriesuids, tables.annotations, rng, 1.3),
  };
  console.log(
    `${tables.source}: ${input.seriesuids.length} scans, ${input.annotations.length} nodules, ${input.excluded?.length} excluded findings, ${input.marks.length} marks`,
  );
  // Warm-up on the same data (JIT), not timed.
  bootstrapFroc(computeFroc(input), { resamples: 20, seed: 1 });

  const t0 = performance.now();
  const result = computeFroc(input);
  const t1 = performance.now();
  const boot = bootstrapFroc(result, { resamples: 1000, seed: 0 });
  const t2 = performance.now();
  const otherResult = computeFroc(other);
  const t3 = performance.now();
  const paired = pairedBootstrapFroc(otherResult, result, {
    resamples: 1000,
    seed: 0,
  });
  const t4 = performance.now();

  const froc = (t1 - t0) / 1000;
  const bootstrap = (t2 - t1) / 1000;
  const total = froc + bootstrap;
  const pairedSeconds = (t4 - t3) / 1000;
  console.log(
    `CPM ${result.cpm.toFixed(4)} (95% CI ${boot.cpm.lower.toFixed(4)}–${
      boot.cpm.upper.toFixed(4)
    }), TP ${result.counts.truePositives}, FP ${result.counts.falsePositives}, ${result.counts.ignoredOnExcluded} on excluded`,
  );
  console.log(`computeFroc: ${froc.toFixed(3)} s`);
  console.log(`1000 bootstraps: ${bootstrap.toFixed(3)} s`);
  console.log(
    `FROC + 1000 bootstraps: ${
      total.toFixed(3)
    } s (official script ~${OFFICIAL_SECONDS} s: ${
      (OFFICIAL_SECONDS / total).toFixed(0)
    }× faster; target <= 3 s)`,
  );
  console.log(
    `second FROC + paired 1000 bootstraps: ${
      pairedSeconds.toFixed(3)
    } s (ΔCPM ${paired.deltaCpm.toFixed(4)}, p = ${
      paired.pValue.toPrecision(3)
    })`,
  );
  return {
    froc_bootstrap_s: Number(total.toFixed(4)),
    froc_paired_bootstrap_s: Number(((t4 - t2) / 1000).toFixed(4)),
  };
};
