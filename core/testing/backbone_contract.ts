/**
 * The contract every backbone plugin satisfies, as a test suite it runs:
 * published output shapes for several input sizes, counts that agree with
 * the variables built, deterministic init per seed, a get/setWeights round
 * trip, ShapeError on bad input, and no leaked tensors. Plugins call
 * {@linkcode backboneContract} from their `mod_test.ts`, then add their own
 * cases.
 *
 * @module
 */

import assert from "node:assert/strict";
import type * as tfTypes from "@tensorflow/tfjs-core";
import type { Backbone, BackboneNetwork, NamedWeights } from "../backbone.ts";
import type { Engine, EngineName } from "../engine/engine.ts";
import { createEngine } from "../engine/mod.ts";
import type { OnnxModel, OnnxTensor } from "../onnx/inference.ts";
import { ShapeError } from "../errors.ts";
import { createRng } from "../random.ts";
import type { Zyx } from "../volume.ts";

/**
 * Random backbone inputs: an image `[batch, d, h, w, channels]` of normal values
 * (sd 0.5, as normalised CT) and the coordinate grid
 * `[batch, d/stride, h/stride, w/stride, 3]` (linspace −0.5..0.5 per axis,
 * reference §4.6). The caller disposes of both.
 *
 * @param engine the engine whose `tf` makes the tensors
 * @param stride the backbone's output stride
 * @param batch batch size
 * @param size input `[d, h, w]`
 * @param seed seed of the image values
 * @param channels image channels (the backbone's `inputChannels`; default 1)
 * @returns the two tensors
 * @example
 * ```ts ignore
 * const { image, coord } = backboneInputs(engine, 4, 1, [16, 16, 16], 0);
 * ```
 */
export function backboneInputs(
  engine: Engine,
  stride: number,
  batch: number,
  size: Zyx,
  seed: number,
  channels = 1,
): { image: tfTypes.Tensor5D; coord: tfTypes.Tensor5D } {
  const rng = createRng(seed);
  const [d, h, w] = size;
  const values = new Float32Array(batch * d * h * w * channels);
  for (let i = 0; i < values.length; i++) values[i] = 0.5 * rng.normal();
  const [gd, gh, gw] = [d / stride, h / stride, w / stride];
  const grid = new Float32Array(batch * gd * gh * gw * 3);
  const at = (i: number, n: number) => n === 1 ? 0 : -0.5 + i / (n - 1);
  let k = 0;
  for (let b = 0; b < batch; b++) {
    for (let z = 0; z < gd; z++) {
      for (let y = 0; y < gh; y++) {
        for (let x = 0; x < gw; x++) {
          grid[k++] = at(z, gd);
          grid[k++] = at(y, gh);
          grid[k++] = at(x, gw);
        }
      }
    }
  }
  return {
    image: engine.tf.tensor5d(values, [batch, d, h, w, channels]),
    coord: engine.tf.tensor5d(grid, [batch, gd, gh, gw, 3]),
  };
}

/**
 * Runs an exported model (inputs `image` and `coord`) on
 * {@linkcode backboneInputs}' tensors and returns its output named `output`.
 */
export async function runOnBackboneInputs(
  model: OnnxModel,
  input: { image: tfTypes.Tensor5D; coord: tfTypes.Tensor5D },
  output: string,
): Promise<OnnxTensor> {
  const out = await model.run({
    image: {
      data: input.image.dataSync() as Float32Array,
      dims: input.image.shape,
    },
    coord: {
      data: input.coord.dataSync() as Float32Array,
      dims: input.coord.shape,
    },
  });
  return out[output];
}

/** The largest |got − want| and the largest |want|, for a relative tolerance. */
export function worstAndScale(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
): { worst: number; scale: number } {
  let worst = 0, scale = 0;
  for (let i = 0; i < want.length; i++) {
    worst = Math.max(worst, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return { worst, scale };
}

/** What the contract checks run against. */
export interface BackboneContractSetup {
  /** Creates the backbone under test (use small widths: tests must be light). */
  readonly create: () => Backbone;
  /** Engines to run on (default `["tfjs-cpu"]`). */
  readonly engines?: readonly EngineName[];
  /**
   * Input sizes `[d, h, w]` for the shape check (default: `[m, m, m]` and
   * `[2m, m, 2m]` with m = maxStride). Training-mode checks use batch 2 and
   * the first size.
   */
  readonly sizes?: readonly Zyx[];
}

/** One contract check. */
export interface BackboneCheck {
  /** Sentence naming the property. */
  readonly name: string;
  /** Throws an AssertionError (or the backbone's own error) when violated. */
  run(setup: BackboneContractSetup, engine: Engine): void;
}

function sizesOf(setup: BackboneContractSetup, backbone: Backbone): Zyx[] {
  const m = backbone.maxStride;
  return setup.sizes ? [...setup.sizes] : [[m, m, m], [2 * m, m, 2 * m]];
}

function withNetwork<T>(
  backbone: Backbone,
  engine: Engine,
  seed: number,
  body: (network: BackboneNetwork) => T,
): T {
  const network = backbone.build(engine, createRng(seed));
  try {
    return body(network);
  } finally {
    network.dispose();
  }
}

function runOnce(
  engine: Engine,
  backbone: Backbone,
  network: BackboneNetwork,
  batch: number,
  size: Zyx,
  training: boolean,
): Float32Array {
  const { image, coord } = backboneInputs(
    engine,
    backbone.output.stride,
    batch,
    size,
    7,
    backbone.inputChannels,
  );
  try {
    const out = network.apply(image, coord, training);
    const data = out.dataSync() as Float32Array;
    const copy = new Float32Array(data);
    out.dispose();
    return copy;
  } finally {
    image.dispose();
    coord.dispose();
  }
}

function assertSameWeights(a: NamedWeights, b: NamedWeights, what: string) {
  assert.deepEqual([...a.keys()], [...b.keys()], `${what}: weight names`);
  for (const [name, w] of a) {
    const other = b.get(name)!;
    assert.deepEqual(other.shape, w.shape, `${what}: shape of "${name}"`);
    assert.ok(
      w.data.every((v, i) => Object.is(v, other.data[i])),
      `${what}: values of "${name}" differ`,
    );
  }
}

/** The checks, in the order the suite runs them. */
export const BACKBONE_CHECKS: readonly BackboneCheck[] = [
  {
    name:
      "publishes a positive channel count and a stride that divides maxStride",
    run(setup) {
      const backbone = setup.create();
      const { channels, stride } = backbone.output;
      assert.ok(Number.isInteger(channels) && channels > 0, "output.channels");
      assert.ok(Number.isInteger(stride) && stride > 0, "output.stride");
      assert.equal(
        backbone.maxStride % stride,
        0,
        `maxStride ${backbone.maxStride} is not a multiple of stride ${stride}`,
      );
    },
  },
  {
    name:
      "outputs [batch, d/stride, h/stride, w/stride, channels] for each input size",
    run(setup, engine) {
      const backbone = setup.create();
      const { channels, stride } = backbone.output;
      withNetwork(backbone, engine, 1, (network) => {
        for (const size of sizesOf(setup, backbone)) {
          assert.ok(
            size.every((n) => n % backbone.maxStride === 0),
            `contract setup: size [${size}] is not a multiple of maxStride`,
          );
          const { image, coord } = backboneInputs(
            engine,
            stride,
            1,
            size,
            3,
            backbone.inputChannels,
          );
          const out = network.apply(image, coord, false);
          assert.deepEqual(out.shape, [
            1,
            size[0] / stride,
            size[1] / stride,
            size[2] / stride,
            channels,
          ]);
          assert.equal(out.dtype, "float32");
          const data = out.dataSync();
          assert.ok(
            data.every(Number.isFinite),
            "output has non-finite values",
          );
          tfDispose([image, coord, out]);
        }
      });
    },
  },
  {
    name: "counts() agrees with the variables built",
    run(setup, engine) {
      const backbone = setup.create();
      const counts = backbone.counts();
      withNetwork(backbone, engine, 1, (network) => {
        const parameters = network.trainable.reduce((s, v) => s + v.size, 0);
        assert.equal(counts.parameters, parameters, "parameters");
        const filters = network.trainable.filter((v) => v.rank === 5).length;
        assert.equal(counts.weightedLayers, filters, "weighted layers");
        assert.ok(
          counts.caffeLayers >= counts.weightedLayers,
          "caffeLayers counts at least every weighted layer",
        );
        const weights = network.getWeights();
        const stored = [...weights.values()].reduce(
          (s, w) => s + w.data.length,
          0,
        );
        assert.ok(
          stored >= parameters,
          `getWeights() holds ${stored} values, fewer than the ${parameters} parameters`,
        );
      });
    },
  },
  {
    name: "initialises deterministically from the seed",
    run(setup, engine) {
      const backbone = setup.create();
      const a = withNetwork(backbone, engine, 11, (n) => n.getWeights());
      const b = withNetwork(backbone, engine, 11, (n) => n.getWeights());
      const c = withNetwork(backbone, engine, 12, (n) => n.getWeights());
      assertSameWeights(a, b, "same seed");
      const differs = [...a].some(([name, w]) =>
        w.data.some((v, i) => v !== c.get(name)!.data[i])
      );
      assert.ok(differs, "another seed gives the same weights");
    },
  },
  {
    name: "getWeights() and setWeights() round-trip weights and outputs",
    run(setup, engine) {
      const backbone = setup.create();
      const size = sizesOf(setup, backbone)[0];
      withNetwork(
        backbone,
        engine,
        21,
        (a) =>
          withNetwork(backbone, engine, 22, (b) => {
            // A training pass moves a's running statistics off their initial
            // values, so the eval outputs below depend on them being copied.
            runOnce(engine, backbone, a, 2, size, true);
            const weights = a.getWeights();
            b.setWeights(weights);
            assertSameWeights(b.getWeights(), weights, "after setWeights");
            const ya = runOnce(engine, backbone, a, 1, size, false);
            const yb = runOnce(engine, backbone, b, 1, size, false);
            assert.deepEqual(yb, ya);
          }),
      );
    },
  },
  {
    name: "setWeights() rejects a wrong shape and a missing weight",
    run(setup, engine) {
      const backbone = setup.create();
      withNetwork(backbone, engine, 1, (network) => {
        const weights = network.getWeights();
        const [first] = weights.keys();
        const wrong: NamedWeights = new Map(weights);
        const w = weights.get(first)!;
        wrong.set(first, {
          shape: [...w.shape, 1],
          data: w.data,
        });
        assert.throws(() => network.setWeights(wrong), ShapeError);
        const missing: NamedWeights = new Map(weights);
        missing.delete(first);
        assert.throws(
          () => network.setWeights(missing),
          (e: Error) =>
            (e instanceof RangeError || e instanceof ShapeError) &&
            e.message.includes(first),
        );
        // A failed load leaves the weights alone.
        assertSameWeights(network.getWeights(), weights, "after failed loads");
      });
    },
  },
  {
    name: "apply() throws a ShapeError on a wrong image or coord",
    run(setup, engine) {
      const backbone = setup.create();
      const m = backbone.maxStride;
      const s = backbone.output.stride;
      const tf = engine.tf;
      withNetwork(backbone, engine, 1, (network) => {
        const before = tf.memory().numTensors;
        // A depth that is not a multiple of maxStride (but of the stride when it can be).
        const odd = m > s ? m + s : m + 1;
        type Shape5 = [number, number, number, number, number];
        const c = backbone.inputChannels;
        const cases: [Shape5, Shape5][] = [
          [[1, m, m, m, c + 1], [1, m / s, m / s, m / s, 3]], // one channel too many
          [[1, odd, m, m, c], [1, Math.ceil(odd / s), m / s, m / s, 3]], // not a multiple
          [[1, m, m, m, c], [1, m / s, m / s, m / s, 2]], // coord channels
          [[1, m, m, m, c], [2, m / s, m / s, m / s, 3]], // coord batch
          [[1, m, m, m, c], [1, 2 * m / s, m / s, m / s, 3]], // coord grid
        ];
        for (const [imageShape, coordShape] of cases) {
          const image = tf.zeros(imageShape) as tfTypes.Tensor5D;
          const coord = tf.zeros(coordShape) as tfTypes.Tensor5D;
          assert.throws(
            () => network.apply(image, coord, false),
            ShapeError,
            `image [${imageShape}], coord [${coordShape}]`,
          );
          tfDispose([image, coord]);
        }
        assert.equal(tf.memory().numTensors, before, "tensors leaked on error");
      });
    },
  },
  {
    name:
      "imageGradient: false leaves the output and every variable gradient unchanged",
    run(setup, engine) {
      const tf = engine.tf;
      const backbone = setup.create();
      const size = sizesOf(setup, backbone)[0];
      withNetwork(backbone, engine, 1, (network) => {
        const { image, coord } = backboneInputs(
          engine,
          backbone.output.stride,
          2,
          size,
          6,
          backbone.inputChannels,
        );
        const run = (imageGradient: boolean) => {
          // The same dropout masks for both passes.
          network.reseed?.(11);
          const { value, grads } = tf.variableGrads(
            () =>
              tf.mean(
                tf.square(network.apply(image, coord, true, { imageGradient })),
              ) as tfTypes.Scalar,
            network.trainable as tfTypes.Variable[],
          );
          const out = {
            loss: value.dataSync()[0],
            grads: network.trainable.map((v) =>
              Array.from(grads[v.name].dataSync())
            ),
          };
          tfDispose([value, ...Object.values(grads)]);
          return out;
        };
        const full = run(true);
        const skipped = run(false);
        assert.equal(skipped.loss, full.loss);
        assert.deepEqual(skipped.grads, full.grads);
        tfDispose([image, coord]);
      });
    },
  },
  {
    name: "leaks no tensors in inference, training with gradients, and dispose",
    run(setup, engine) {
      const tf = engine.tf;
      const backbone = setup.create();
      const size = sizesOf(setup, backbone)[0];
      const start = tf.memory().numTensors;
      withNetwork(backbone, engine, 1, (network) => {
        const { image, coord } = backboneInputs(
          engine,
          backbone.output.stride,
          2,
          size,
          5,
          backbone.inputChannels,
        );
        const held = tf.memory().numTensors;
        for (let i = 0; i < 2; i++) {
          network.apply(image, coord, false).dispose();
          const { value, grads } = tf.variableGrads(
            () => tf.mean(network.apply(image, coord, true)) as tfTypes.Scalar,
            network.trainable as tfTypes.Variable[],
          );
          const gradList = Object.values(grads);
          assert.equal(gradList.length, network.trainable.length);
          assert.ok(
            gradList.every((g) => g.dataSync().every(Number.isFinite)),
            "non-finite gradient",
          );
          tfDispose([value, ...gradList]);
          assert.equal(tf.memory().numTensors, held, `step ${i}`);
        }
        tfDispose([image, coord]);
      });
      assert.equal(tf.memory().numTensors, start, "after dispose()");
    },
  },
];

function tfDispose(tensors: readonly tfTypes.Tensor[]): void {
  for (const t of tensors) t.dispose();
}

/**
 * Registers the contract suite as one `Deno.test` per engine, a step per check.
 *
 * @param name the plugin id, used in the test names
 * @param setup how to create the backbone, engines and sizes
 * @returns nothing; tests are registered
 * @example
 * ```ts ignore
 * import { backboneContract } from "../../core/testing/backbone_contract.ts";
 * import { testPluginContext } from "../../core/testing/plugin_context.ts";
 * backboneContract("resunet", {
 *   create: () => resunet.create(resunet.options.parse({ preset: "small" }), testPluginContext()),
 * });
 * ```
 */
export function backboneContract(
  name: string,
  setup: BackboneContractSetup,
): void {
  for (const engineName of setup.engines ?? ["tfjs-cpu"]) {
    Deno.test(`${name} satisfies the backbone contract on "${engineName}"`, async (t) => {
      const engine = await createEngine(engineName);
      try {
        for (const check of BACKBONE_CHECKS) {
          await t.step(check.name, () => check.run(setup, engine));
        }
      } finally {
        engine.dispose();
      }
    });
  }
}
