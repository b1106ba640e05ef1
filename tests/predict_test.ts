/**
 * End-to-end prediction: a tiny randomly initialised resunet + rpn3d exported
 * to ONNX, the lung_reference segmenter and the real preprocessing, on
 * synthetic scans, the real LIDC slabs and a scan without lungs; then
 * `pleura predict` on a run store.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { buildProgram } from "../main.ts";
import type { CliContext } from "../core/cli/context.ts";
import {
  openLuna16Dataset,
  readCandidatesCsv,
} from "../core/dataset/luna16.ts";
import { createEngine } from "../core/engine/mod.ts";
import {
  canonicalJson,
  EXPERIMENT_SCHEMA_VERSION,
  experimentHash,
  resolveExperiment,
} from "../core/experiment.ts";
import { readVolume, writeVolume } from "../core/io/mod.ts";
import { createRecorder, nullProgress } from "../core/logger.ts";
import type { AnchorHead, Backbone, Segmenter } from "../core/mod.ts";
import { exportDetector } from "../core/onnx/export.ts";
import { createOnnxModel } from "../core/onnx/inference.ts";
import { fuseDetections } from "../core/predict/fuse.ts";
import {
  predictScanDetailed,
  type PredictSettings,
  type ScanPrediction,
} from "../core/predict/predict.ts";
import { createRng } from "../core/random.ts";
import { createRegistry } from "../core/registry.ts";
import { openRunStore } from "../core/run_store_sqlite.ts";
import {
  generateSyntheticScan,
  writeSyntheticDataset,
} from "../core/synth/mod.ts";
import { testPluginContext } from "../core/testing/plugin_context.ts";
import { sharedDataPath, withSharedData } from "../core/testing/shared_data.ts";
import {
  createVolume,
  type Detection,
  type Volume,
  voxelToWorld,
} from "../core/volume.ts";
import { plugins } from "../plugins/mod.ts";

const registry = createRegistry(plugins);

/** Tiny widths: the path, not the accuracy, is under test. */
const TINY_BACKBONE = {
  pre_channels: 2,
  stage_channels: [3, 4, 4, 4],
  stage_blocks: [1, 1, 1, 1],
  back_channels: [4, 6],
  back_blocks: [1, 1],
};
const TINY_HEAD = { hidden_channels: 5 };

/**
 * Random weights give logits near 0, so a very low threshold keeps every
 * cell: every path (decode, inside filter, NMS, cap, world) sees boxes.
 */
const SETTINGS: PredictSettings = {
  side: 128,
  margin: 16,
  min_logit: -1e5,
  nms_iou: 0.1,
  max_marks_per_scan: 50,
};

const context = testPluginContext();
const backbone = registry.create(
  "backbone",
  "resunet",
  registry.get("backbone", "resunet")!.options.parse(TINY_BACKBONE),
  context,
) as Backbone;
const head = registry.create(
  "anchor_head",
  "rpn3d",
  registry.get("anchor_head", "rpn3d")!.options.parse(TINY_HEAD),
  context,
) as AnchorHead;
const segmenter = registry.create(
  "segmenter",
  "lung_reference",
  registry.get("segmenter", "lung_reference")!.options.parse({}),
  context,
) as Segmenter;

/** The tiny detector with weights drawn from `seed`, exported. */
async function exportTiny(seed: number): Promise<Uint8Array> {
  const engine = await createEngine("tfjs-cpu");
  const body = backbone.build(engine, createRng(seed));
  const headNet = head.build(engine, backbone.output, createRng(seed + 1));
  const { bytes } = exportDetector(backbone, body, head, headNet);
  body.dispose();
  headNet.dispose();
  engine.dispose();
  return bytes;
}

/** The tiny detector, exported once per test file. */
const modelBytes = await exportTiny(1);

async function predict(
  volume: Volume,
  seriesuid: string,
  settings: PredictSettings = SETTINGS,
) {
  const model = await createOnnxModel(modelBytes, { threads: 2 });
  const recorder = createRecorder();
  try {
    const result = await predictScanDetailed(volume, {
      segmenter,
      head,
      model,
      eval: settings,
      maxStride: backbone.maxStride,
      seriesuid,
      logger: recorder.logger,
    });
    return { result, records: recorder.records };
  } finally {
    await model.dispose();
  }
}

/**
 * The scan's world box: its voxels' extents, widened by half a voxel
 * because the 1 mm grid has round(n · spacing) voxels, which can end up
 * to half a millimetre past n · spacing.
 */
function assertInsideScan(volume: Volume, detections: readonly Detection[]) {
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (const cz of [-1, volume.shape[0]]) {
    for (const cy of [-1, volume.shape[1]]) {
      for (const cx of [-1, volume.shape[2]]) {
        const w = voxelToWorld(volume, [cz, cy, cx]);
        for (let a = 0; a < 3; a++) {
          lo[a] = Math.min(lo[a], w[a]);
          hi[a] = Math.max(hi[a], w[a]);
        }
      }
    }
  }
  for (const d of detections) {
    for (let a = 0; a < 3; a++) {
      assert.ok(
        d.worldMm[a] >= lo[a] && d.worldMm[a] <= hi[a],
        `detection at [${d.worldMm}] outside the scan box [${lo}]–[${hi}]`,
      );
    }
    assert.ok(d.diameterMm > 0 && Number.isFinite(d.score));
  }
}

function assertOrderedAndCapped(result: ScanPrediction, cap: number) {
  assert.ok(result.detections.length <= cap);
  for (let i = 1; i < result.detections.length; i++) {
    assert.ok(result.detections[i - 1].score >= result.detections[i].score);
  }
}

Deno.test("predictScan() runs a synthetic scan end to end through a tiny exported resunet + rpn3d", async () => {
  // Stored flipped (LUNA16's -1 0 0 0 -1 0 0 0 1), so the world transform
  // matters.
  const scan = generateSyntheticScan(11, {
    size: 96,
    slices: 48,
    flags: { flippedXY: true },
  });
  const { result, records } = await predict(scan.volume, "synth-11");
  assert.equal(result.emptyReason, undefined);
  assert.equal(result.detections.length, SETTINGS.max_marks_per_scan);
  assert.ok(result.patchesRun > 0);
  assertInsideScan(scan.volume, result.detections);
  assertOrderedAndCapped(result, SETTINGS.max_marks_per_scan);
  assert.ok(
    records.some((r) =>
      r.level === "info" && r.message.startsWith('Predicted "synth-11"')
    ),
  );
});

for (
  const name of [
    "lidc0001_slab.mhd",
    "lidc0002_slab.mhd",
    "lidc0003_slab.mhd",
    "lidc0001_dicom3", // a DICOM folder of 3 slices: 8 mm of lung
  ]
) {
  Deno.test(
    withSharedData(
      `predictScan() handles the thin real slab ${name} (3-16 slices)`,
      async () => {
        const volume = await readVolume(sharedDataPath("real-ct", name)!);
        // The reference tiling (side 144, margin 32): the slab is thinner
        // than one patch core, so z has one patch, padded past its end.
        const { result } = await predict(volume, name, {
          ...SETTINGS,
          side: 144,
          margin: 32,
        });
        assert.ok(
          result.preprocessedShape[0] <= 50,
          `${result.preprocessedShape}`,
        );
        if (result.emptyReason === undefined) {
          assert.ok(result.detections.length > 0);
          assertInsideScan(volume, result.detections);
          assertOrderedAndCapped(result, SETTINGS.max_marks_per_scan);
        } else {
          assert.deepEqual(result.detections, []);
        }
      },
    ),
  );
}

Deno.test("predictScan() of a scan without lungs gives zero detections and says why", async () => {
  // Soft tissue everywhere: nothing to segment.
  const volume = createVolume(
    new Int16Array(24 * 48 * 48).fill(40),
    [24, 48, 48],
    { spacingMm: [5, 4, 4] },
  );
  const { result, records } = await predict(volume, "no-lung");
  assert.deepEqual(result.detections, []);
  assert.equal(result.patchesRun, 0);
  assert.ok(result.emptyReason && result.emptyReason.length > 0);
  const warning = records.find((r) => r.level === "warn");
  assert.equal(
    warning?.message,
    `No lung found in "no-lung": ${result.emptyReason}; 0 detections`,
  );
});

// ---------------------------------------------------------------------------
// pleura predict

/**
 * A run store with one trained two-stage run (tiny model, also stage 1's;
 * its stage-0 model has other weights) and one still training, with only
 * stage 0's model.
 */
async function runStoreFixture(dir: string) {
  const experiment = resolveExperiment({
    name: "tiny",
    model: {
      segmenter: { plugin: "lung_reference", options: {} },
      backbone: { plugin: "resunet", options: TINY_BACKBONE },
      anchor_head: { plugin: "rpn3d", options: TINY_HEAD },
      miner: { plugin: "topk", options: {} },
      loss: { plugin: "balanced", options: {} },
    },
    data: { cache_dir: join(dir, "cache") },
    train: { crop_size: 32, hard_mining: { stages: 2 } },
    eval: { side: 128, margin: 16, max_marks_per_scan: 20 },
  }, registry);
  const store = openRunStore(join(dir, "runs"));
  const input = {
    name: experiment.name,
    configJson: canonicalJson(experiment),
    configHash: experimentHash(experiment),
    schemaVersion: EXPERIMENT_SCHEMA_VERSION,
    slots: experiment.model,
  };
  const trained = store.createRun(input);
  store.updateRun(trained.id, { status: "done" });
  await Deno.writeFile(
    join(store.runDir(trained.id), "model.onnx"),
    modelBytes,
  );
  await Deno.writeFile(
    join(store.runDir(trained.id), "model.stage0.onnx"),
    await exportTiny(5),
  );
  await Deno.writeFile(
    join(store.runDir(trained.id), "model.stage1.onnx"),
    modelBytes,
  );
  for (const index of [0, 1]) {
    store.putStage(trained.id, {
      index,
      label: `stage ${index}`,
      status: "done",
      summary: {},
    });
  }
  // Still training (stage 1): stage 0's model is there, the final one not.
  const untrained = store.createRun(input);
  store.updateRun(untrained.id, { status: "running" });
  await Deno.writeFile(
    join(store.runDir(untrained.id), "model.stage0.onnx"),
    modelBytes,
  );
  store.putStage(untrained.id, {
    index: 0,
    label: "stage 0",
    status: "done",
    summary: {},
  });
  store.close();
  return { trained: trained.id, untrained: untrained.id };
}

async function pleura(...args: string[]) {
  const lines: string[] = [];
  const recorder = createRecorder();
  const cli: CliContext = {
    registry,
    logger: recorder.logger,
    progress: nullProgress,
    print: (line) => lines.push(line),
  };
  await buildProgram(cli).parseAsync(["predict", ...args], { from: "user" });
  return lines;
}

Deno.test("pleura predict writes a candidates CSV with a run's model and explains bad runs and inputs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { trained, untrained } = await runStoreFixture(dir);
    const runs = join(dir, "runs");
    const scanPath = join(dir, "synth-3.mhd");
    await writeVolume(
      scanPath,
      generateSyntheticScan(3, { size: 64, slices: 32 }).volume,
    );
    const out = join(dir, "candidates.csv");
    const predictTo = (run: string, input: string, ...extra: string[]) =>
      pleura(
        "--run",
        run,
        "--runs",
        runs,
        "--input",
        input,
        "--out",
        out,
        ...extra,
      );
    const lines = await predictTo(
      trained,
      scanPath,
      "--set",
      "eval.min_logit=-100000",
    );
    const candidates = await readCandidatesCsv(out);
    // The run's eval caps each scan at 20 marks.
    assert.equal(candidates.length, 20);
    assert.ok(candidates.every((c) => c.seriesuid === "synth-3"));
    assert.deepEqual(lines, [
      `20 candidates from 1 scan written to ${out}`,
    ]);

    // --stage 0 predicts with the stage's own model (other weights, so
    // other scores); --stage 2 names the stages the run has.
    const low = ["--set", "eval.min_logit=-10"];
    await predictTo(trained, scanPath, ...low, "--stage", "0");
    const stage0 = await readCandidatesCsv(out);
    assert.equal(stage0.length, 20);
    await predictTo(trained, scanPath, ...low, "--stage", "1");
    const stage1 = await readCandidatesCsv(out);
    assert.notDeepEqual(
      stage0.map((c) => c.score),
      stage1.map((c) => c.score),
    );
    await assert.rejects(
      () => predictTo(trained, scanPath, "--stage", "2"),
      {
        name: "UsageError",
        message: new RegExp(
          `^predict: --stage 2: run "${trained}" has no model ".*model\\.stage2\\.onnx", expected one of its finished stages: 0, 1$`,
        ),
      },
    );
    // eval.stage_weights fuses both stages' candidates.
    const fusedLines = await predictTo(
      trained,
      scanPath,
      ...low,
      "--set",
      "eval.stage_weights=[1, 3]",
    );
    assert.deepEqual(fusedLines, [
      `20 candidates from 1 scan written to ${out} (stages 0, 1 fused; 1 read from the preprocessing cache)`,
    ]);
    assert.deepEqual(
      await readCandidatesCsv(out),
      fuseDetections([stage0, stage1], {
        weights: [1, 3],
        floor: -10,
        radiusMm: 4,
        maxKept: 20,
      }),
    );
    await assert.rejects(
      () => predictTo(trained, scanPath, "--stage", "last"),
      {
        name: "UsageError",
        message:
          'predict: --stage is "last", expected a stage number (0 for the first stage)',
      },
    );

    // A LUNA16-layout dataset: subset 1 only (scans 1 and 3 of 4).
    const dataset = join(dir, "dataset");
    await writeSyntheticDataset(dataset, {
      scans: 4,
      seed: 7,
      subsets: 2,
      shape: { size: 48, slices: 24 },
    });
    const datasetOut = join(dir, "dataset.csv");
    const predictFold = async (...extra: string[]) => {
      const lines = await pleura(
        "--run",
        trained,
        "--runs",
        runs,
        "--input",
        dataset,
        "--subsets",
        "1",
        "--out",
        datasetOut,
        "--set",
        "eval.min_logit=-100000",
        "--diameter",
        ...extra,
      );
      return { lines, rows: await readCandidatesCsv(datasetOut) };
    };
    const { lines: datasetLines, rows } = await predictFold();
    const fold = (await openLuna16Dataset(dataset)).folds([1]).seriesuids;
    assert.equal(fold.length, 2);
    assert.deepEqual(
      [...new Set(rows.map((r) => r.seriesuid))].sort(),
      [
        ...fold,
      ].sort(),
    );
    assert.equal(rows.length, 40);
    assert.match(
      await Deno.readTextFile(datasetOut),
      /^seriesuid,coordX,coordY,coordZ,probability,diameter_mm\n/,
    );
    assert.deepEqual(datasetLines, [
      `40 candidates from 2 scans written to ${datasetOut}`,
    ]);

    // Again: both scans come from the preprocessing cache the first call
    // filled (data.cache_dir), with the same candidates; --no-cache
    // segments them again.
    const cached = await predictFold();
    assert.deepEqual(cached.lines, [
      `40 candidates from 2 scans written to ${datasetOut} (2 read from the preprocessing cache)`,
    ]);
    assert.deepEqual(cached.rows, rows);
    const uncached = await predictFold("--no-cache");
    assert.deepEqual(uncached.lines, [
      `40 candidates from 2 scans written to ${datasetOut}`,
    ]);
    assert.deepEqual(uncached.rows, rows);

    await assert.rejects(
      () => predictTo("nope", scanPath),
      (error: Error) => {
        assert.match(
          error.message,
          /^Cannot predict: no run "nope" in ".*runs", expected one of the latest runs: "[^"]+", "[^"]+"$/,
        );
        assert.ok(error.message.includes(`"${trained}"`));
        return true;
      },
    );
    await assert.rejects(
      () => predictTo(untrained, scanPath),
      (error: Error) => {
        assert.match(
          error.message,
          new RegExp(
            `^Cannot predict with run "${untrained}": it has no exported model ".*model\\.onnx" \\(status "running"\\), expected a run whose training finished`,
          ),
        );
        return true;
      },
    );
    // Its finished stage predicts: the same weights as the trained run's
    // final model, so the same candidates as the first prediction above.
    await predictTo(
      untrained,
      scanPath,
      "--set",
      "eval.min_logit=-100000",
      "--stage",
      "0",
    );
    assert.deepEqual(await readCandidatesCsv(out), candidates);
    const notAScan = join(dir, "notes.txt");
    await Deno.writeTextFile(notAScan, "hello");
    await assert.rejects(
      () => predictTo(trained, notAScan),
      /notes\.txt/,
    );
    await assert.rejects(
      () => predictTo(trained, join(dir, "missing.mhd")),
      /^Error: Cannot predict: input ".*missing\.mhd" does not exist, expected a scan file/,
    );
    await assert.rejects(
      () =>
        pleura(
          "--run",
          trained,
          "--runs",
          join(dir, "elsewhere"),
          "--input",
          scanPath,
          "--out",
          out,
        ),
      /holds no run store \(runs\.db\)/,
    );
    await assert.rejects(
      () => predictTo(trained, scanPath, "--set", "train.lr=1"),
      {
        name: "UsageError",
        message:
          'predict: cannot override "train.lr=1": only eval.* and model.segmenter.* settings can change at prediction time (the network was trained with the rest)',
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
