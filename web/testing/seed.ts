/**
 * Seed data for the dashboard's tests and bench: runs in a run store with
 * realistic FROC artefacts, computed by core/froc.ts on synthetic candidate
 * sets (nodule sizes as in LUNA16: median ≈ 6.4 mm), training curves,
 * hard-mining stages, events, an ablation grid — and a small synthetic
 * LUNA16-layout dataset (phantom CT scans, lung masks, CSVs) for the viewer.
 * Everything is drawn from seeded generators.
 *
 * @module
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  bootstrapFroc,
  computeFroc,
  falsePositiveMarks,
  type FrocResult,
  sensitivityBySize,
} from "../../core/froc.ts";
import {
  canonicalJson,
  dataSectionSchema,
  evalSectionSchema,
  EXPERIMENT_SCHEMA_VERSION,
  experimentHash,
  type ResolvedExperiment,
  trainSectionSchema,
} from "../../core/experiment.ts";
import { writeVolume } from "../../core/io/mod.ts";
import {
  createRng,
  createVolume,
  type Rng,
  type RunStore,
  type Zyx,
} from "../../core/mod.ts";
import type { FrocInputArtifact } from "../server/froc_data.ts";

/** Geometry of the phantom scans: (z, y, x). */
export const PHANTOM = {
  shape: [40, 128, 128] as Zyx,
  spacingMm: [2.5, 0.75, 0.75] as Zyx,
  originMm: [-50, -48, -48] as Zyx,
  /** Lung centres (world mm) and radii (mm), left and right. */
  lungs: [
    { centreMm: [0, 0, -21] as Zyx, radiiMm: [44, 32, 15] as Zyx },
    { centreMm: [0, 0, 21] as Zyx, radiiMm: [44, 32, 15] as Zyx },
  ],
} as const;

/** A synthetic evaluation set: scans and their findings. */
export interface SyntheticTruth {
  /** Scan IDs. */
  readonly seriesuids: string[];
  /** Included nodules. */
  readonly annotations: FrocInputArtifact["annotations"];
  /** Excluded findings. */
  readonly excluded: FrocInputArtifact["excluded"];
}

function seriesuid(i: number): string {
  return `1.3.6.1.4.1.14519.5.2.1.6279.6001.${String(100000 + i)}`;
}

/** A point inside one of the phantom's lungs, at least `marginMm` from its edge. */
function pointInLung(rng: Rng, marginMm = 4): Zyx {
  const lung = PHANTOM.lungs[rng.int(2)];
  while (true) {
    const u = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)];
    if (u[0] ** 2 + u[1] ** 2 + u[2] ** 2 > 1) continue;
    return [
      lung.centreMm[0] + u[0] * (lung.radiiMm[0] - marginMm),
      lung.centreMm[1] + u[1] * (lung.radiiMm[1] - marginMm),
      lung.centreMm[2] + u[2] * (lung.radiiMm[2] - marginMm),
    ];
  }
}

/**
 * Nodule diameter in mm: log-normal fitted to LUNA16 (median 6.4 mm,
 * 95th percentile ≈ 19 mm), with an occasional mass above 30 mm.
 */
function noduleDiameter(rng: Rng): number {
  if (rng.next() < 0.01) return rng.uniform(30, 32);
  const d = Math.exp(Math.log(6.4) + 0.42 * rng.normal());
  return Math.min(30, Math.max(3.2, d));
}

/**
 * The scans and findings every seeded run is evaluated on.
 *
 * @param scans number of scans
 * @param seed random seed
 */
export function syntheticTruth(scans: number, seed = 1): SyntheticTruth {
  const rng = createRng(seed);
  const seriesuids = Array.from({ length: scans }, (_, i) => seriesuid(i));
  const annotations: SyntheticTruth["annotations"] = [];
  const excluded: SyntheticTruth["excluded"] = [];
  seriesuids.forEach((uid, i) => {
    // About a third of LUNA16 scans have no included nodule.
    const count = i === 0 ? 2 : rng.next() < 0.33 ? 0 : 1 + rng.int(3);
    for (let k = 0; k < count; k++) {
      const worldMm = pointInLung(rng, 8);
      annotations.push({
        seriesuid: uid,
        worldMm: [worldMm[0], worldMm[1], worldMm[2]],
        diameterMm: i === 0 && k === 0 ? 12 : noduleDiameter(rng),
      });
    }
    if (rng.next() < 0.3) {
      const worldMm = pointInLung(rng);
      excluded.push({
        seriesuid: uid,
        worldMm: [worldMm[0], worldMm[1], worldMm[2]],
        diameterMm: rng.next() < 0.5 ? -1 : rng.uniform(1.5, 3),
      });
    }
  });
  return { seriesuids, annotations, excluded };
}

/**
 * A detector's marks on the truth: each nodule is found with a probability
 * growing with `quality` and size, scored high; false positives per scan
 * scored lower. Scan 0 always has one detected nodule and false positives.
 *
 * @param quality roughly the CPM it yields (0.3 … 0.95)
 */
export function syntheticMarks(
  truth: SyntheticTruth,
  quality: number,
  seed: number,
): FrocInputArtifact["marks"] {
  const rng = createRng(seed);
  const marks: FrocInputArtifact["marks"] = [];
  truth.annotations.forEach((n, i) => {
    const sizeBonus = Math.min(0.25, (n.diameterMm - 6) * 0.02);
    const found = i === 0 || rng.next() < quality + 0.08 + sizeBonus;
    if (!found) return;
    const r = n.diameterMm / 2;
    const offset = [rng.normal(), rng.normal(), rng.normal()].map((v) =>
      v * r * 0.15
    );
    marks.push({
      seriesuid: n.seriesuid,
      worldMm: [
        n.worldMm[0] + offset[0],
        n.worldMm[1] + offset[1],
        n.worldMm[2] + offset[2],
      ],
      diameterMm: n.diameterMm * (1 + 0.1 * rng.normal()),
      score: 1.2 + 2.2 * quality + rng.normal(),
    });
  });
  for (const uid of truth.seriesuids) {
    const count = 6 + rng.int(18);
    for (let k = 0; k < count; k++) {
      const worldMm = pointInLung(rng);
      marks.push({
        seriesuid: uid,
        worldMm: [worldMm[0], worldMm[1], worldMm[2]],
        diameterMm: rng.uniform(3.5, 12),
        score: -1.5 + 1.2 * rng.normal(),
      });
    }
  }
  return marks;
}

/**
 * The `froc` artefact of a result, in the shape `pleura eval` writes to
 * froc.json (NaN becomes null in JSON).
 */
export function frocSummaryArtifact(
  input: FrocInputArtifact,
  result: FrocResult,
  resamples: number,
  seed = 0,
): Record<string, unknown> {
  const boot = bootstrapFroc(result, { resamples, seed });
  const xyz = (worldMm: readonly number[]) => ({
    coordX: worldMm[2],
    coordY: worldMm[1],
    coordZ: worldMm[0],
  });
  return {
    maxMarksPerScan: result.maxMarksPerScan,
    cpm: result.cpm,
    fpRates: result.rates,
    sensitivities: result.sensitivities,
    points: result.points.map((p) => ({
      fps: p.fps,
      sensitivity: p.sensitivity,
      threshold: p.threshold,
    })),
    ci: {
      confidence: boot.confidence,
      resamples,
      nanResamples: boot.nanResamples,
      seed,
      cpm: [boot.cpm.lower, boot.cpm.upper],
      sensitivities: boot.sensitivities.map((s) => [s.lower, s.upper]),
      cpmMean: boot.cpm.mean,
      band: boot.band,
    },
    counts: result.counts,
    bySize: {
      bands: sensitivityBySize(result).map((row) => ({
        label: row.label,
        nodules: row.nodules,
        detected: row.detected,
        sensitivity: row.sensitivity,
        atRates: row.atRates.map((a) => a.sensitivity),
      })),
    },
    missed: result.nodules.filter((n) => !n.detected).map((n) => ({
      seriesuid: n.nodule.seriesuid,
      ...xyz(n.nodule.worldMm),
      diameter_mm: n.nodule.diameterMm,
    })),
    topFalsePositives: falsePositiveMarks(result, input.marks, 50).map((i) => ({
      row: i + 2,
      seriesuid: input.marks[i].seriesuid,
      ...xyz(input.marks[i].worldMm),
      probability: input.marks[i].score,
    })),
  };
}

type Slots = ResolvedExperiment["model"];

/** A resolved experiment for a seeded run (defaults from core's schemas). */
export function seedExperiment(
  name: string,
  dataset: string,
  slots: Partial<Slots>,
  train: Record<string, unknown> = {},
): ResolvedExperiment {
  return {
    schemaVersion: EXPERIMENT_SCHEMA_VERSION,
    name,
    data: dataSectionSchema.parse({ dataset }),
    model: {
      segmenter: { plugin: "lung_reference", options: {} },
      backbone: { plugin: "resunet", options: { preset: "resunet150" } },
      anchor_head: { plugin: "rpn3d", options: { anchors_mm: [10, 30, 60] } },
      miner: { plugin: "topk", options: { k: 2, per_sample: true } },
      loss: { plugin: "balanced", options: {} },
      ...slots,
    },
    train: trainSectionSchema.parse(train),
    eval: evalSectionSchema.parse({}),
  };
}

/** One run to seed. */
export interface SeedRunSpec {
  /** Experiment name. */
  readonly name: string;
  /** Slot overrides. */
  readonly slots?: Partial<Slots>;
  /** Final status (default done). */
  readonly status?: "queued" | "running" | "done" | "failed";
  /** Detector quality (≈ CPM). */
  readonly quality?: number;
  /** Hard-mining stages (default 1). */
  readonly stages?: number;
  /** Ablation grid and variant label. */
  readonly ablationId?: string;
  /** Variant label inside the grid. */
  readonly variant?: string;
}

/** Options of {@linkcode seedRun}. */
export interface SeedContext {
  /** The store to fill. */
  readonly store: RunStore;
  /** The evaluation set. */
  readonly truth: SyntheticTruth;
  /** Dataset folder named in the configs. */
  readonly dataset: string;
  /** Bootstrap resamples of each summary. */
  readonly resamples: number;
  /** Creation time of the run (ms). */
  readonly createdAt?: number;
  /** Training steps per stage of the curves. */
  readonly steps?: number;
}

/**
 * Creates one run with its artefacts.
 *
 * @returns the run id
 */
export function seedRun(
  context: SeedContext,
  spec: SeedRunSpec,
  seed: number,
): string {
  const { store, truth } = context;
  const experiment = seedExperiment(
    spec.name,
    context.dataset,
    spec.slots ?? {},
    spec.stages && spec.stages > 1
      ? { hard_mining: { stages: spec.stages } }
      : {},
  );
  const run = store.createRun({
    name: spec.name,
    configJson: canonicalJson(experiment),
    configHash: experimentHash(experiment),
    schemaVersion: experiment.schemaVersion,
    slots: experiment.model,
    ablationId: spec.ablationId,
    variant: spec.variant,
  });
  const status = spec.status ?? "done";
  const rng = createRng(seed);
  const started = (context.createdAt ?? Date.now()) + 1000;
  const stages = spec.stages ?? 1;
  const steps = context.steps ?? 120;
  const totalSteps = status === "running" ? Math.floor(steps * 0.4) : steps;
  const samples = [];
  for (let stage = 0; stage < stages; stage++) {
    for (let step = 0; step < totalSteps; step++) {
      const t = step / steps;
      const decay = Math.exp(-4 * t) / (1 + stage);
      const time = started + (stage * steps + step) * 2000;
      const classification = 0.45 * decay + 0.06 + 0.02 * rng.normal() ** 2;
      const regression = 0.3 * decay + 0.03 + 0.01 * rng.normal() ** 2;
      const lr = 0.01 * (t < 0.5 ? 1 : t < 0.8 ? 0.1 : 0.01) *
        (stage > 0 ? 0.5 : 1);
      samples.push(
        { stage, step, name: "loss", value: classification + regression, time },
        { stage, step, name: "classification", value: classification, time },
        { stage, step, name: "regression", value: regression, time },
        { stage, step, name: "lr", value: lr, time },
      );
    }
  }
  store.appendMetrics(run.id, samples);
  store.appendEvent(run.id, "log", {
    level: "info",
    message: `Training "${spec.name}" on ${truth.seriesuids.length} scans`,
    time: started,
  });
  store.appendEvent(run.id, "progress", {
    kind: "start",
    task: "train",
    total: steps * stages,
    unit: "steps",
    time: started,
  });
  if (status === "queued") return run.id;
  store.updateRun(run.id, { status: "running", startedAt: started });
  store.appendEvent(run.id, "progress", {
    kind: "step",
    task: "train",
    done: totalSteps,
    total: steps * stages,
    metrics: { loss: samples.at(-4)?.value ?? 0 },
    time: started + totalSteps * 2000,
  });
  if (status === "running") return run.id;
  if (status === "failed") {
    store.updateRun(run.id, {
      status: "failed",
      endedAt: started + totalSteps * 2000,
      error:
        'Plugin "resunet" failed: Cannot allocate tensor of shape [1, 24, 128, 128, 128]: out of memory',
    });
    store.appendEvent(run.id, "log", {
      level: "error",
      message: "Training failed: out of memory",
      time: started + totalSteps * 2000,
    });
    return run.id;
  }
  const quality = spec.quality ?? 0.7;
  let final: FrocResult | undefined;
  let finalInput: FrocInputArtifact | undefined;
  for (let stage = 0; stage < stages; stage++) {
    // Later stages of a hard-mining schedule detect a little better.
    const q = quality - 0.06 * (stages - 1 - stage);
    const input: FrocInputArtifact = {
      seriesuids: truth.seriesuids,
      annotations: truth.annotations,
      excluded: truth.excluded,
      marks: syntheticMarks(truth, q, seed * 31 + stage),
      maxMarksPerScan: 100,
    };
    const result = computeFroc(input);
    const summary = frocSummaryArtifact(input, result, context.resamples, seed);
    if (stages > 1) {
      store.putArtifact(run.id, `froc.stage${stage}`, summary);
      store.putStage(run.id, {
        index: stage,
        label: stage === 0
          ? "stage 0 (random negatives)"
          : `stage ${stage} (hard negatives from stage ${stage - 1})`,
        status: "done",
        summary: {
          cpm: result.cpm,
          minedCrops: stage === 0 ? 0 : 8 * truth.seriesuids.length,
          steps,
        },
      });
    }
    final = result;
    finalInput = input;
    if (stage === stages - 1) store.putArtifact(run.id, "froc", summary);
  }
  store.putArtifact(run.id, "froc.input", finalInput);
  const summary = store.getArtifact(run.id, "froc") as {
    ci: { cpm: [number, number] };
  };
  store.updateRun(run.id, {
    status: "done",
    endedAt: started + steps * stages * 2000 + 60_000,
    cpm: final!.cpm,
    cpmCi: summary.ci.cpm,
    progress: { task: "train", done: steps * stages, total: steps * stages },
  });
  store.appendEvent(run.id, "log", {
    level: "info",
    message: `Done: CPM ${final!.cpm.toFixed(3)}`,
    time: started + steps * stages * 2000 + 60_000,
  });
  return run.id;
}

/** What {@linkcode seedStore} made. */
export interface SeededStore {
  /** Every run id, in creation order. */
  readonly runIds: string[];
  /** Run ids by experiment name. */
  readonly byName: Record<string, string>;
  /** The ablation grid's id. */
  readonly ablationId: string;
  /** The evaluation set. */
  readonly truth: SyntheticTruth;
}

/** Options of {@linkcode seedStore}. */
export interface SeedStoreOptions {
  /** Dataset folder named in every config (see {@linkcode writePhantomDataset}). */
  readonly dataset: string;
  /** Scans in the evaluation set (default 30). */
  readonly scans?: number;
  /** Extra filler runs beyond the named ones (default 0). */
  readonly extraRuns?: number;
  /** Bootstrap resamples per summary (default 200). */
  readonly resamples?: number;
  /** Training steps per stage (default 120). */
  readonly steps?: number;
}

/**
 * Fills a store: `reference` (topk, 2 hard-mining stages), `focal` (the loss
 * swapped), a miner ablation grid (base, topk k=3, random, all), one running,
 * one queued and one failed run, and `extraRuns` filler runs.
 */
export function seedStore(
  store: RunStore,
  options: SeedStoreOptions,
): SeededStore {
  const truth = syntheticTruth(options.scans ?? 30);
  const context: SeedContext = {
    store,
    truth,
    dataset: options.dataset,
    resamples: options.resamples ?? 200,
    steps: options.steps,
  };
  const byName: Record<string, string> = {};
  const runIds: string[] = [];
  const add = (spec: SeedRunSpec, seed: number) => {
    const id = seedRun(context, spec, seed);
    byName[spec.name] = id;
    runIds.push(id);
    return id;
  };
  const fillers = options.extraRuns ?? 0;
  const miners = ["topk", "random", "all"];
  const losses = ["balanced", "focal"];
  for (let i = 0; i < fillers; i++) {
    add({
      name: `sweep-${String(i).padStart(3, "0")}`,
      slots: {
        miner: { plugin: miners[i % 3], options: { k: 1 + (i % 4) } },
        loss: { plugin: losses[i % 2], options: {} },
      },
      quality: 0.45 + 0.4 * ((i * 37) % 100) / 100,
      status: i % 17 === 5 ? "failed" : "done",
    }, 1000 + i);
  }
  add({ name: "reference", quality: 0.72, stages: 2 }, 1);
  add({
    name: "focal",
    quality: 0.78,
    slots: { loss: { plugin: "focal", options: { gamma: 2, alpha: 0.25 } } },
  }, 2);
  const grid = store.createAblation({
    name: "miner",
    gridJson: canonicalJson({
      name: "miner",
      base: "../base/reference.yaml",
      set: [],
      vary: {
        "model.miner": [
          { plugin: "topk", options: { k: 2 } },
          { plugin: "topk", options: { k: 3 } },
          { plugin: "random", options: { k: 2 } },
          { plugin: "all", options: {} },
        ],
      },
    }),
  });
  const base = add({
    name: "miner-base",
    ablationId: grid.id,
    variant: "base",
    quality: 0.7,
  }, 3);
  store.setAblationBase(grid.id, base);
  add({
    name: "miner-topk3",
    ablationId: grid.id,
    variant: "model.miner=topk(k=3)",
    slots: { miner: { plugin: "topk", options: { k: 3, per_sample: true } } },
    quality: 0.74,
  }, 4);
  add({
    name: "miner-random",
    ablationId: grid.id,
    variant: "model.miner=random(k=2)",
    slots: { miner: { plugin: "random", options: { k: 2 } } },
    quality: 0.6,
  }, 5);
  add({
    name: "miner-all",
    ablationId: grid.id,
    variant: "model.miner=all",
    slots: { miner: { plugin: "all", options: {} } },
    quality: 0.5,
  }, 6);
  add({ name: "long-training", status: "running", quality: 0.7 }, 7);
  add({ name: "waiting", status: "queued" }, 8);
  add({ name: "too-big", status: "failed" }, 9);
  return { runIds, byName, ablationId: grid.id, truth };
}

/**
 * Writes a LUNA16-layout dataset at `root`: phantom CT scans (int16 HU) for
 * the first `images` scans of `truth` in `subset0/`, their lung masks in
 * `seg-lungs-LUNA16/`, and the three CSVs. Each phantom has a body, two
 * lungs (−850 HU with noise) and a soft-tissue sphere at every nodule.
 */
export async function writePhantomDataset(
  root: string,
  truth: SyntheticTruth,
  images = 1,
): Promise<void> {
  mkdirSync(join(root, "subset0"), { recursive: true });
  mkdirSync(join(root, "seg-lungs-LUNA16"), { recursive: true });
  const csv = (rows: SyntheticTruth["annotations"]) =>
    "seriesuid,coordX,coordY,coordZ,diameter_mm\n" +
    rows.map((n) =>
      `${n.seriesuid},${n.worldMm[2]},${n.worldMm[1]},${
        n.worldMm[0]
      },${n.diameterMm}`
    ).join("\n") + "\n";
  writeFileSync(join(root, "annotations.csv"), csv(truth.annotations));
  writeFileSync(join(root, "annotations_excluded.csv"), csv(truth.excluded));
  writeFileSync(
    join(root, "seriesuids.csv"),
    truth.seriesuids.join("\n") + "\n",
  );
  const [nz, ny, nx] = PHANTOM.shape;
  const [sz, sy, sx] = PHANTOM.spacingMm;
  const [oz, oy, ox] = PHANTOM.originMm;
  for (let s = 0; s < Math.min(images, truth.seriesuids.length); s++) {
    const uid = truth.seriesuids[s];
    const rng = createRng(500 + s);
    const image = new Int16Array(nz * ny * nx);
    const mask = new Uint8Array(nz * ny * nx);
    const nodules = truth.annotations.filter((n) => n.seriesuid === uid);
    for (let z = 0; z < nz; z++) {
      const wz = oz + z * sz;
      for (let y = 0; y < ny; y++) {
        const wy = oy + y * sy;
        for (let x = 0; x < nx; x++) {
          const wx = ox + x * sx;
          const i = (z * ny + y) * nx + x;
          const inBody = (wy / 44) ** 2 + (wx / 46) ** 2 <= 1;
          let hu = inBody ? 40 + 12 * rng.normal() : -1000 + 5 * rng.normal();
          for (const lung of PHANTOM.lungs) {
            const [cz, cy, cx] = lung.centreMm, [rz, ry, rx] = lung.radiiMm;
            if (
              ((wz - cz) / rz) ** 2 + ((wy - cy) / ry) ** 2 +
                  ((wx - cx) / rx) ** 2 <= 1
            ) {
              hu = -850 + 40 * rng.normal();
              mask[i] = 1;
            }
          }
          for (const n of nodules) {
            const d2 = (wz - n.worldMm[0]) ** 2 + (wy - n.worldMm[1]) ** 2 +
              (wx - n.worldMm[2]) ** 2;
            if (d2 <= (n.diameterMm / 2) ** 2) hu = 30 + 20 * rng.normal();
          }
          image[i] = Math.round(hu);
        }
      }
    }
    const geometry = {
      spacingMm: PHANTOM.spacingMm,
      originMm: PHANTOM.originMm,
    };
    await writeVolume(
      join(root, "subset0", `${uid}.mhd`),
      createVolume(image, PHANTOM.shape, geometry),
    );
    await writeVolume(
      join(root, "seg-lungs-LUNA16", `${uid}.mhd`),
      createVolume(mask, PHANTOM.shape, geometry),
    );
  }
}
