import assert from "node:assert/strict";
import type { AnchorHead, Backbone, Loss, Miner } from "../core/mod.ts";
import { createEngine } from "../core/engine/mod.ts";
import { createRecorder } from "../core/logger.ts";
import { createRegistry } from "../core/registry.ts";
import { createRng } from "../core/random.ts";
import type { Checkpoint } from "../core/train/checkpoint.ts";
import {
  buildSampleList,
  type CropOptions,
  type PreparedScan,
} from "../core/train/crops.ts";
import {
  type StageModel,
  type StageSettings,
  trainStage,
} from "../core/train/trainer.ts";
import type { Zyx } from "../core/volume.ts";
import { plugins } from "../plugins/mod.ts";

const registry = createRegistry(plugins);

/** A 48³ preprocessed scan: tissue 60, a bright 8 mm ball at `at`. */
function syntheticScan(at: Zyx): PreparedScan {
  const n = 48;
  const image = new Uint8Array(n ** 3).fill(60);
  for (let z = 0; z < n; z++) {
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        if ((z - at[0]) ** 2 + (y - at[1]) ** 2 + (x - at[2]) ** 2 <= 16) {
          image[(z * n + y) * n + x] = 200;
        }
      }
    }
  }
  return {
    seriesuid: `scan-${at.join("-")}`,
    image,
    shape: [n, n, n],
    nodules: [{ voxel: at, diameter: 8 }],
  };
}

const CROP: CropOptions = {
  cropSize: 32,
  stride: 4,
  boundSize: 4,
  padValue: 170,
  randomFraction: 0.3,
  scaleRange: [0.9, 1.1],
  flip: true,
  swap: false,
};

function settings(maxSteps: number): StageSettings {
  return {
    stage: 0,
    seed: 7,
    batchSize: 2,
    epochs: 10,
    maxSteps,
    maxMinutes: 0,
    lr: 0.01,
    momentum: 0.9,
    weightDecay: 1e-4,
    warmupSteps: 2,
    milestones: [0.5],
    factors: [0.1],
    checkpointEvery: 2,
    crop: CROP,
  };
}

async function buildModel(): Promise<StageModel> {
  const engine = await createEngine("tfjs-cpu");
  const recorder = createRecorder();
  const context = {
    logger: recorder.logger,
    progress: recorder.progress,
    rng: createRng(1),
    paths: { cacheDir: ".cache/test" },
  };
  const backbone = registry.create("backbone", "resunet", {
    preset: "small",
    pre_channels: 4,
    stage_channels: [4, 4, 4, 4],
    stage_blocks: [1, 1, 1, 1],
    back_channels: [4, 8],
    back_blocks: [1, 1],
    dropout: 0,
    dropout_mode: "channel",
    bn_affine: true,
    bn_momentum: 0.1,
    bn_epsilon: 1e-5,
    conv_bias: true,
  }, context) as Backbone;
  const headDefinition = registry.get("anchor_head", "rpn3d")!;
  const head = registry.create(
    "anchor_head",
    "rpn3d",
    { ...headDefinition.options.parse({}), hidden_channels: 8 },
    context,
  ) as AnchorHead;
  const miner = registry.create(
    "miner",
    "topk",
    registry.get("miner", "topk")!.options.parse({}),
    context,
  ) as Miner;
  const loss = registry.create(
    "loss",
    "balanced",
    registry.get("loss", "balanced")!.options.parse({}),
    context,
  ) as Loss;
  const backboneNetwork = backbone.build(engine, createRng(2));
  const headNetwork = head.build(engine, backbone.output, createRng(3));
  return {
    engine,
    backbone: backboneNetwork,
    headNetwork,
    head,
    miner,
    loss,
  };
}

function dispose(model: StageModel): void {
  model.backbone.dispose();
  model.headNetwork.dispose();
  model.engine.dispose();
}

const scans = [syntheticScan([20, 22, 25]), syntheticScan([28, 24, 18])];
const list = buildSampleList(scans, [{ min_mm: 0, max_mm: 100, copies: 2 }]);

Deno.test("trainStage() runs end to end on synthetic 32³ crops: finite losses, checkpoints, no leaks", async () => {
  const model = await buildModel();
  try {
    const before = model.backbone.getWeights();
    const tensorsBefore = model.engine.tf.memory().numTensors;
    const steps: Record<string, number>[] = [];
    const checkpoints: number[] = [];
    const recorder = createRecorder();
    const result = trainStage(model, scans, list, settings(4), {
      onStep: (_, metrics) => steps.push(metrics),
      onCheckpoint: (step, checkpoint) => {
        checkpoints.push(step);
        assert.equal(checkpoint.meta.step, step);
      },
      logger: recorder.logger,
      progress: recorder.progress,
    });
    assert.equal(result.steps, 4);
    assert.equal(result.stoppedBy, "max_steps");
    assert.deepEqual(checkpoints, [2, 4]);
    assert.equal(steps.length, 4);
    for (const metrics of steps) {
      assert.ok(Number.isFinite(metrics.loss) && metrics.loss > 0);
      assert.ok(metrics.negatives > 0);
      for (
        const key of ["classPositive", "classNegative", "regression", "lr"]
      ) {
        assert.ok(Number.isFinite(metrics[key]), key);
      }
    }
    // Warm-up then the step schedule: lr of steps 0..3 of 4 = 0.005, 0.01, 0.001, 0.001.
    assert.deepEqual(steps.map((m) => Number(m.lr.toFixed(6))), [
      0.005,
      0.01,
      0.001,
      0.001,
    ]);
    const after = model.backbone.getWeights();
    const changed = [...before.keys()].filter((name) => {
      const a = before.get(name)!.data, b = after.get(name)!.data;
      return a.some((v, i) => v !== b[i]);
    });
    assert.ok(changed.length > before.size / 2, "most weights were updated");
    assert.equal(model.engine.tf.memory().numTensors, tensorsBefore);
  } finally {
    dispose(model);
  }
});

for (const optimizer of ["sgd", "adam"] as const) {
  Deno.test(`trainStage() resumed from a checkpoint ends with the weights of an uninterrupted run (${optimizer})`, async () => {
    const stage = { ...settings(4), optimizer };
    const quiet = createRecorder();
    const straight = await buildModel();
    let straightWeights;
    try {
      trainStage(straight, scans, list, stage, {
        onCheckpoint: () => {},
        logger: quiet.logger,
        progress: quiet.progress,
      });
      straightWeights = straight.backbone.getWeights();
    } finally {
      dispose(straight);
    }
    // A run that crashes right after writing its step-2 checkpoint…
    let saved: Checkpoint | undefined;
    const crashed = await buildModel();
    try {
      assert.throws(
        () =>
          trainStage(crashed, scans, list, stage, {
            onCheckpoint: (step, checkpoint) => {
              saved = checkpoint;
              if (step === 2) throw new Error("simulated crash");
            },
            logger: quiet.logger,
            progress: quiet.progress,
          }),
        /simulated crash/,
      );
    } finally {
      dispose(crashed);
    }
    assert.equal(saved?.meta.step, 2);
    // …is resumed by a fresh model from that checkpoint.
    const resumed = await buildModel();
    try {
      const result = trainStage(resumed, scans, list, stage, {
        onCheckpoint: () => {},
        logger: quiet.logger,
        progress: quiet.progress,
      }, saved);
      assert.equal(result.steps, 4);
      const weights = resumed.backbone.getWeights();
      for (const [name, tensor] of straightWeights) {
        const other = weights.get(name)!.data;
        const maxDiff = tensor.data.reduce(
          (m, v, i) => Math.max(m, Math.abs(v - other[i])),
          0,
        );
        assert.ok(maxDiff < 1e-6, `${name} differs by ${maxDiff}`);
      }
    } finally {
      dispose(resumed);
    }
  });
}

Deno.test("trainStage() clips the global gradient norm: the first step moves the weights by lr × clip", async () => {
  const model = await buildModel();
  try {
    const trainable = [
      ...model.backbone.trainable,
      ...model.headNetwork.trainable,
    ];
    const before = trainable.map((v) => Float64Array.from(v.dataSync()));
    const norms: number[] = [];
    const quiet = createRecorder();
    trainStage(
      model,
      scans,
      list,
      { ...settings(1), weightDecay: 0, gradClip: 0.1 },
      {
        onStep: (_, metrics) => norms.push(metrics.gradNorm),
        onCheckpoint: () => {},
        logger: quiet.logger,
        progress: quiet.progress,
      },
    );
    // The unclipped norm is reported; the step uses the clipped gradient.
    assert.ok(norms[0] > 0.1, `gradient norm ${norms[0]}`);
    let moved = 0;
    trainable.forEach((v, i) => {
      const after = v.dataSync();
      for (let j = 0; j < after.length; j++) {
        moved += (after[j] - before[i][j]) ** 2;
      }
    });
    // Step 0 of a 2-step warm-up: lr = 0.01 / 2; SGD's first velocity is the gradient.
    const expected = 0.005 * 0.1;
    assert.ok(
      Math.abs(Math.sqrt(moved) - expected) < expected * 1e-3,
      `moved ${Math.sqrt(moved)}, expected ${expected}`,
    );
  } finally {
    dispose(model);
  }
});
