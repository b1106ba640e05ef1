/**
 * The contract every AnchorHead plugin passes: the output shape it publishes
 * for a feature spec, parameter counts that agree with the variables built,
 * deterministic init and a weights round trip, an ONNX export that computes
 * what `apply()` computes, targets of the right shape with classes in
 * {−1, 0, 1}, exactly one positive per target crop, none (and at most
 * `numNeg` negatives) on a random crop, no ignored entry without nodules,
 * `decode()` inverting the encoding, NMS that never keeps two boxes at or
 * above its threshold, and no leaked tensors.
 *
 * A plugin's test calls {@linkcode anchorHeadContract} first, then adds its
 * own cases.
 *
 * @module
 */

import assert from "node:assert/strict";
import type * as tfTypes from "@tensorflow/tfjs-core";
import {
  type AnchorHead,
  type CropLabels,
  type HeadNetwork,
  type ScoredCube,
  VALUES_PER_ANCHOR,
} from "../anchor_head.ts";
import type { FeatureSpec } from "../backbone.ts";
import type { Engine, EngineName } from "../engine/engine.ts";
import { createEngine } from "../engine/mod.ts";
import { ShapeError } from "../errors.ts";
import { createOnnxModelBuilder } from "../onnx/builder.ts";
import { exportDetector } from "../onnx/export.ts";
import { createOnnxModel } from "../onnx/inference.ts";
import { createRng, type Rng } from "../random.ts";
import { type Cube, cubeIou, type Zyx } from "../volume.ts";
import { backboneInputs } from "./backbone_contract.ts";
import { createToyBackbone } from "./toy_backbone.ts";

/** What the contract runs against. */
export interface AnchorHeadContractSetup {
  /** Creates the head under test. */
  readonly create: () => AnchorHead;
  /** Features to build for (default: 8 channels at the head's stride). */
  readonly features?: FeatureSpec;
  /** Crop size for the target checks (default: 8 cells per axis, 6 in y). */
  readonly cropShape?: Zyx;
  /** The head's negatives per training crop, to check the random-crop bound. */
  readonly numNeg?: number;
  /** Engines to run the network checks on (default `["tfjs-cpu"]`). */
  readonly engines?: readonly EngineName[];
}

function featuresOf(setup: AnchorHeadContractSetup, head: AnchorHead) {
  return setup.features ?? { channels: 8, stride: head.stride };
}

function cropOf(setup: AnchorHeadContractSetup, head: AnchorHead): Zyx {
  const s = head.stride;
  return setup.cropShape ?? [8 * s, 6 * s, 8 * s];
}

/** Normal random features `[batch, ...grid, channels]`; the caller disposes. */
function randomFeatures(
  engine: Engine,
  batch: number,
  grid: Zyx,
  channels: number,
  seed: number,
): tfTypes.Tensor5D {
  const rng = createRng(seed);
  const shape = [batch, grid[0], grid[1], grid[2], channels] as const;
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return engine.tf.tensor5d(data, [...shape]);
}

function withNetwork<T>(
  head: AnchorHead,
  engine: Engine,
  features: FeatureSpec,
  seed: number,
  body: (network: HeadNetwork) => T,
): T {
  const network = head.build(engine, features, createRng(seed));
  try {
    return body(network);
  } finally {
    network.dispose();
  }
}

/** A nodule with its centre inside the crop and a diameter in [3, 40). */
function randomNodule(rng: Rng, crop: Zyx): Cube {
  return {
    voxel: [
      rng.uniform(2, crop[0] - 2),
      rng.uniform(2, crop[1] - 2),
      rng.uniform(2, crop[2] - 2),
    ],
    diameter: rng.uniform(3, 40),
  };
}

/** Counts of each class and whether the regression is zero off positives. */
function summarise(targets: Float32Array) {
  const counts = { positive: 0, negative: 0, ignored: 0, other: 0 };
  let regressionOffPositives = 0;
  const positives: number[] = [];
  for (let r = 0; r < targets.length / VALUES_PER_ANCHOR; r++) {
    const label = targets[r * VALUES_PER_ANCHOR];
    if (label === 1) {
      counts.positive++;
      positives.push(r);
      continue;
    }
    if (label === -1) counts.negative++;
    else if (label === 0) counts.ignored++;
    else counts.other++;
    for (let f = 1; f < VALUES_PER_ANCHOR; f++) {
      if (targets[r * VALUES_PER_ANCHOR + f] !== 0) regressionOffPositives++;
    }
  }
  return { ...counts, regressionOffPositives, positives };
}

/** One contract check. */
interface AnchorHeadCheck {
  readonly name: string;
  run(setup: AnchorHeadContractSetup, engine: Engine): void | Promise<void>;
}

const CHECKS: readonly AnchorHeadCheck[] = [
  {
    name: "publishes positive anchors and an integer stride",
    run(setup) {
      const head = setup.create();
      assert.ok(head.anchors.length > 0, "no anchors");
      assert.ok(head.anchors.every((a) => Number.isFinite(a) && a > 0));
      assert.ok(Number.isInteger(head.stride) && head.stride > 0);
    },
  },
  {
    name:
      "build() outputs [batch, gz, gy, gx, anchors · 5] and countParameters() matches the variables",
    run(setup, engine) {
      const head = setup.create();
      const features = featuresOf(setup, head);
      withNetwork(head, engine, features, 1, (network) => {
        const size = network.trainable.reduce((n, v) => n + v.size, 0);
        assert.equal(head.countParameters(features), size);
        for (const training of [false, true]) {
          const x = randomFeatures(engine, 2, [3, 2, 4], features.channels, 2);
          const out = network.apply(x, training);
          assert.deepEqual(out.shape, [
            2,
            3,
            2,
            4,
            head.anchors.length * VALUES_PER_ANCHOR,
          ]);
          assert.equal(out.dtype, "float32");
          assert.ok(out.dataSync().every(Number.isFinite));
          engine.tf.dispose([x, out]);
        }
      });
    },
  },
  {
    name: "apply() throws a ShapeError on features with other channels",
    run(setup, engine) {
      const head = setup.create();
      const features = featuresOf(setup, head);
      withNetwork(head, engine, features, 1, (network) => {
        const before = engine.tf.memory().numTensors;
        const x = randomFeatures(
          engine,
          1,
          [2, 2, 2],
          features.channels + 1,
          0,
        );
        assert.throws(() => network.apply(x, false), ShapeError);
        x.dispose();
        assert.equal(engine.tf.memory().numTensors, before, "leak on error");
      });
    },
  },
  {
    name:
      "build() is deterministic per seed and setWeights() reproduces another network",
    run(setup, engine) {
      const head = setup.create();
      const features = featuresOf(setup, head);
      const tf = engine.tf;
      const x = randomFeatures(engine, 1, [2, 3, 2], features.channels, 4);
      const run = (network: HeadNetwork) => {
        const out = network.apply(x, false);
        const data = (out.dataSync() as Float32Array).slice();
        out.dispose();
        return data;
      };
      const a = withNetwork(head, engine, features, 7, run);
      const b = withNetwork(head, engine, features, 7, run);
      assert.deepEqual(a, b, "same seed, different outputs");
      withNetwork(head, engine, features, 8, (other) => {
        assert.notDeepEqual(run(other), a, "different seeds, same outputs");
        withNetwork(head, engine, features, 7, (source) => {
          other.setWeights(source.getWeights());
        });
        assert.deepEqual(run(other), a, "setWeights() did not reproduce");
      });
      tf.dispose(x);
    },
  },
  {
    name: "exportOnnx() computes what apply() computes (onnxruntime)",
    async run(setup, engine) {
      const head = setup.create();
      const features = featuresOf(setup, head);
      const network = head.build(engine, features, createRng(3));
      try {
        const graph = createOnnxModelBuilder({ docString: "head contract" });
        const input = graph.input("features", [
          "batch",
          "d",
          "h",
          "w",
          features.channels,
        ]);
        graph.output(head.exportOnnx(network, graph, input));
        const model = await createOnnxModel(graph.toBytes(), { threads: 1 });
        try {
          const x = randomFeatures(engine, 2, [2, 3, 4], features.channels, 6);
          const expected = network.apply(x, false);
          const fed = { data: x.dataSync() as Float32Array, dims: x.shape };
          const result = Object.values(await model.run({ features: fed }))[0];
          assert.deepEqual(result.dims, expected.shape);
          const want = expected.dataSync();
          let worst = 0;
          result.data.forEach((v, i) => {
            worst = Math.max(worst, Math.abs(v - want[i]));
          });
          assert.ok(worst < 1e-4, `ONNX differs from apply() by ${worst}`);
          engine.tf.dispose([x, expected]);
        } finally {
          await model.dispose();
        }
      } finally {
        network.dispose();
      }
    },
  },
  {
    name:
      "exportDetector() with a toy backbone computes backbone + head (onnxruntime)",
    async run(setup, engine) {
      const head = setup.create();
      const backbone = createToyBackbone({ channels: 2 });
      if (head.stride !== backbone.output.stride) return; // toy is stride 4
      const body = backbone.build(engine, createRng(1));
      const network = head.build(engine, backbone.output, createRng(2));
      const { image, coord } = backboneInputs(engine, 4, 1, [8, 12, 8], 3);
      try {
        const exported = exportDetector(backbone, body, head, network);
        const model = await createOnnxModel(exported.bytes, { threads: 1 });
        try {
          const expected = engine.tf.tidy(() =>
            network.apply(body.apply(image, coord, false), false)
          );
          const feed = (t: tfTypes.Tensor) => ({
            data: t.dataSync() as Float32Array,
            dims: t.shape,
          });
          const outputs = await model.run({
            [exported.inputs.image]: feed(image),
            [exported.inputs.coord]: feed(coord),
          });
          const result = outputs[exported.output];
          assert.deepEqual(result.dims, expected.shape);
          const want = expected.dataSync();
          let worst = 0;
          result.data.forEach((v, i) => {
            worst = Math.max(worst, Math.abs(v - want[i]));
          });
          assert.ok(worst < 1e-4, `ONNX differs from apply() by ${worst}`);
          expected.dispose();
        } finally {
          await model.dispose();
        }
      } finally {
        engine.tf.dispose([image, coord]);
        network.dispose();
        body.dispose();
      }
    },
  },
  {
    name: "leaks no tensors in inference, gradients and dispose",
    run(setup, engine) {
      const tf = engine.tf;
      const head = setup.create();
      const features = featuresOf(setup, head);
      const start = tf.memory().numTensors;
      withNetwork(head, engine, features, 1, (network) => {
        const x = randomFeatures(engine, 2, [2, 2, 2], features.channels, 1);
        const held = tf.memory().numTensors;
        for (let i = 0; i < 2; i++) {
          network.apply(x, false).dispose();
          const { value, grads } = tf.variableGrads(
            () => tf.mean(tf.square(network.apply(x, true))) as tfTypes.Scalar,
            network.trainable as tfTypes.Variable[],
          );
          const list = Object.values(grads);
          assert.equal(list.length, network.trainable.length);
          assert.ok(list.every((g) => g.dataSync().some((v) => v !== 0)));
          tf.dispose([value, ...list]);
          assert.equal(tf.memory().numTensors, held, `step ${i}`);
        }
        x.dispose();
      });
      assert.equal(tf.memory().numTensors, start, "after dispose()");
    },
  },
  {
    name:
      "targets() are [gz, gy, gx, anchors, 5] with classes in {-1, 0, 1} and regression only at positives",
    run(setup) {
      const head = setup.create();
      const crop = cropOf(setup, head);
      const rows = crop.reduce((n, c) => n * (c / head.stride), 1) *
        head.anchors.length;
      const rng = createRng(1);
      for (let trial = 0; trial < 8; trial++) {
        const nodules = [randomNodule(rng, crop), randomNodule(rng, crop)];
        const labels: CropLabels = {
          cropShape: crop,
          target: trial % 2 === 0 ? nodules[0] : null,
          nodules,
        };
        const targets = head.targets(labels, trial % 4 < 2, rng);
        assert.equal(targets.length, rows * VALUES_PER_ANCHOR);
        const s = summarise(targets);
        assert.equal(s.other, 0, "a class outside {-1, 0, 1}");
        assert.equal(s.regressionOffPositives, 0, "regression off positives");
        assert.ok(targets.every(Number.isFinite));
      }
    },
  },
  {
    name: "targets() mark exactly one positive on a target crop",
    run(setup) {
      const head = setup.create();
      const crop = cropOf(setup, head);
      const rng = createRng(2);
      for (let trial = 0; trial < 16; trial++) {
        const target = randomNodule(rng, crop);
        const labels = {
          cropShape: crop,
          target,
          nodules: [target, randomNodule(rng, crop)],
        };
        const s = summarise(head.targets(labels, trial % 2 === 0, rng));
        assert.equal(s.positive, 1, `trial ${trial}: ${s.positive} positives`);
      }
    },
  },
  {
    name:
      "targets() on a random crop have no positive and at most numNeg negatives",
    run(setup) {
      const head = setup.create();
      const crop = cropOf(setup, head);
      const rng = createRng(3);
      for (let trial = 0; trial < 6; trial++) {
        const labels = {
          cropShape: crop,
          target: null,
          nodules: trial % 3 === 0 ? [] : [randomNodule(rng, crop)],
        };
        for (const training of [true, false]) {
          const s = summarise(head.targets(labels, training, rng));
          assert.equal(s.positive, 0);
          assert.ok(s.negative > 0, "no candidate negative");
          if (training && setup.numNeg !== undefined) {
            assert.ok(s.negative <= setup.numNeg, `${s.negative} negatives`);
          }
        }
      }
    },
  },
  {
    name:
      "targets() of a crop without nodules have no positive and no ignored entry",
    run(setup) {
      const head = setup.create();
      const crop = cropOf(setup, head);
      const s = summarise(
        head.targets(
          { cropShape: crop, target: null, nodules: [] },
          false,
          createRng(0),
        ),
      );
      assert.equal(s.positive, 0);
      assert.equal(s.ignored, 0);
    },
  },
  {
    name: "targets() are deterministic per seed",
    run(setup) {
      const head = setup.create();
      const crop = cropOf(setup, head);
      const target = randomNodule(createRng(4), crop);
      const labels = { cropShape: crop, target, nodules: [target] };
      assert.deepEqual(
        head.targets(labels, true, createRng(9)),
        head.targets(labels, true, createRng(9)),
      );
    },
  },
  {
    name: "decode() of the encoded target recovers the nodule",
    run(setup) {
      const head = setup.create();
      const crop = cropOf(setup, head);
      const grid: Zyx = [
        crop[0] / head.stride,
        crop[1] / head.stride,
        crop[2] / head.stride,
      ];
      const rng = createRng(5);
      for (let trial = 0; trial < 12; trial++) {
        const target = randomNodule(rng, crop);
        const targets = head.targets(
          { cropShape: crop, target, nodules: [target] },
          trial % 2 === 0,
          rng,
        );
        // A perfect output: logit +8 at the positive, −8 elsewhere.
        const output = targets.slice();
        for (let r = 0; r < output.length / VALUES_PER_ANCHOR; r++) {
          const i = r * VALUES_PER_ANCHOR;
          output[i] = output[i] === 1 ? 8 : -8;
        }
        const boxes = head.decode(output, grid, 0);
        assert.equal(boxes.length, 1);
        const [box] = boxes;
        box.voxel.forEach((v, axis) =>
          assert.ok(Math.abs(v - target.voxel[axis]) < 1e-3, `axis ${axis}`)
        );
        assert.ok(Math.abs(box.diameter - target.diameter) < 1e-3);
        assert.equal(box.score, 8);
      }
    },
  },
  {
    name: "nms() never keeps two boxes with IoU >= its threshold",
    run(setup) {
      const head = setup.create();
      const rng = createRng(6);
      for (const threshold of [0.05, 0.3, 0.7]) {
        const boxes: ScoredCube[] = [];
        for (let i = 0; i < 120; i++) {
          boxes.push({
            voxel: [
              rng.uniform(0, 50),
              rng.uniform(0, 50),
              rng.uniform(0, 50),
            ],
            diameter: rng.uniform(3, 30),
            score: rng.normal(),
          });
        }
        const kept = head.nms(boxes, threshold);
        assert.ok(kept.length > 0);
        assert.equal(
          kept[0].score,
          Math.max(...boxes.map((b) => b.score)),
          "the best box must be kept",
        );
        for (const box of kept) assert.ok(boxes.includes(box));
        for (let i = 0; i < kept.length; i++) {
          for (let j = i + 1; j < kept.length; j++) {
            assert.ok(cubeIou(kept[i], kept[j]) < threshold);
          }
        }
        // Every dropped box overlaps a kept box with a score at least its own.
        for (const box of boxes) {
          if (kept.includes(box)) continue;
          assert.ok(
            kept.some((k) =>
              k.score >= box.score && cubeIou(k, box) >= threshold
            ),
          );
        }
      }
      assert.deepEqual(head.nms([], 0.5), []);
    },
  },
];

/**
 * Registers the AnchorHead contract as one `Deno.test` per engine, a step
 * per check.
 *
 * @param name the plugin id (and options), used in test names
 * @param setup the factory, feature spec, crop and engines
 * @example
 * ```ts ignore
 * import { anchorHeadContract } from "../../core/testing/anchor_head_contract.ts";
 * anchorHeadContract("rpn3d", { create: () => rpn3dAnchorHead.create(options, testPluginContext()), numNeg: 800 });
 * ```
 */
export function anchorHeadContract(
  name: string,
  setup: AnchorHeadContractSetup,
): void {
  for (const engineName of setup.engines ?? ["tfjs-cpu"]) {
    Deno.test(
      `${name} satisfies the anchor head contract on "${engineName}"`,
      async (t) => {
        const engine = await createEngine(engineName);
        try {
          for (const check of CHECKS) {
            await t.step(check.name, () => check.run(setup, engine));
          }
        } finally {
          engine.dispose();
        }
      },
    );
  }
}
