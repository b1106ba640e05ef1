/**
 * A minimal backbone for core tests that must not import plugins (trainer,
 * export, contract-suite tests): one 3³ conv → batch norm → ReLU, two 2×
 * max-pools (stride 4), then the coordinate grid concatenated: features
 * `[batch, d/4, h/4, w/4, channels + 3]`. Built with `engine.ops` like a real
 * plugin; exported to ONNX with a BatchNormalization node.
 *
 * @module
 */

import type * as tfTypes from "@tensorflow/tfjs-core";
import type { Backbone, BackboneNetwork, NamedWeights } from "../backbone.ts";
import type { BatchNormParams, ConvParams, Engine } from "../engine/engine.ts";
import { ShapeError } from "../errors.ts";
import type { Rng } from "../random.ts";

/** Options of {@linkcode createToyBackbone}. */
export interface ToyBackboneOptions {
  /** Conv output channels (default 2). */
  readonly channels?: number;
}

/**
 * Creates the toy backbone.
 *
 * @param options conv width
 * @returns a backbone with stride 4 and maxStride 4
 * @example
 * ```ts ignore
 * const backbone = createToyBackbone({ channels: 3 });
 * backbone.output; // { channels: 6, stride: 4 }
 * ```
 */
export function createToyBackbone(options: ToyBackboneOptions = {}): Backbone {
  const channels = options.channels ?? 2;
  const stride = 4;
  return {
    output: { channels: channels + 3, stride },
    inputChannels: 1,
    maxStride: stride,
    counts: () => ({
      parameters: 27 * channels + 3 * channels,
      weightedLayers: 1,
      caffeLayers: 1 + 1 + 1 + 2 + 1,
    }),
    build(engine: Engine, rng: Rng): BackboneNetwork {
      const tf = engine.tf;
      const bound = 1 / Math.sqrt(27);
      const draw = (n: number) =>
        Float32Array.from({ length: n }, () => rng.uniform(-bound, bound));
      const shapes: Record<string, number[]> = {
        filter: [3, 3, 3, 1, channels],
        bias: [channels],
        gamma: [channels],
        beta: [channels],
        movingMean: [channels],
        movingVariance: [channels],
      };
      const initial: Record<string, Float32Array> = {
        filter: draw(27 * channels),
        bias: draw(channels),
        gamma: new Float32Array(channels).fill(1),
        beta: new Float32Array(channels),
        movingMean: new Float32Array(channels),
        movingVariance: new Float32Array(channels).fill(1),
      };
      const vars = new Map<string, tfTypes.Variable>();
      for (const name of Object.keys(shapes)) {
        const init = tf.tensor(initial[name], shapes[name]);
        vars.set(
          name,
          tf.variable(init, name !== "movingMean" && name !== "movingVariance"),
        );
        init.dispose();
      }
      const conv: ConvParams = {
        filter: vars.get("filter") as tfTypes.Variable<tfTypes.Rank.R5>,
        bias: vars.get("bias") as tfTypes.Variable<tfTypes.Rank.R1>,
        strides: 1,
        padding: "same",
      };
      const r1 = (name: string) =>
        vars.get(name) as tfTypes.Variable<tfTypes.Rank.R1>;
      const bn: BatchNormParams = {
        gamma: r1("gamma"),
        beta: r1("beta"),
        movingMean: r1("movingMean"),
        movingVariance: r1("movingVariance"),
        momentum: 0.1,
        epsilon: 1e-5,
      };
      return {
        apply(image, coord, training) {
          const [b, d, h, w] = image.shape;
          if (
            image.shape[4] !== 1 || d % stride || h % stride || w % stride
          ) {
            throw new ShapeError(
              "toy image",
              [b, null, null, null, 1],
              image.shape,
            );
          }
          const grid = [b, d / stride, h / stride, w / stride, 3];
          if (coord.shape.some((n, i) => n !== grid[i])) {
            throw new ShapeError("toy coord", grid, coord.shape);
          }
          return tf.tidy(() => {
            const ops = engine.ops;
            const x = ops.convBn(image, conv, bn, { training, relu: true });
            const pooled = ops.maxPool3d(ops.maxPool3d(x, 2), 2);
            return ops.concatChannels([pooled, coord]);
          });
        },
        trainable: [...vars.values()].filter((v) => v.trainable),
        getWeights(): NamedWeights {
          return new Map(
            [...vars].map(([name, v]) => [name, {
              shape: [...v.shape],
              data: new Float32Array(v.dataSync() as Float32Array),
            }]),
          );
        },
        setWeights(weights) {
          for (const [name, v] of vars) {
            const w = weights.get(name);
            if (!w) {
              throw new RangeError(
                `Cannot load toy weights: "${name}" is missing, expected every weight`,
              );
            }
            if (w.shape.join() !== v.shape.join()) {
              throw new ShapeError(`toy weight "${name}"`, v.shape, w.shape);
            }
          }
          for (const [name, v] of vars) {
            const t = tf.tensor(weights.get(name)!.data, v.shape);
            v.assign(t);
            t.dispose();
          }
        },
        dispose() {
          for (const v of vars.values()) v.dispose();
        },
      };
    },
    exportOnnx(network, graph, inputs) {
      const w = network.getWeights();
      const data = (name: string) => w.get(name)!.data;
      // tfjs [3,3,3,1,C] → ONNX [C,1,3,3,3]
      const filter = new Float32Array(27 * channels);
      for (let t = 0; t < 27; t++) {
        for (let c = 0; c < channels; c++) {
          filter[c * 27 + t] = data("filter")[t * channels + c];
        }
      }
      const init = (name: string, values: Float32Array, shape: number[]) =>
        graph.initializer(`toy.${name}`, shape, values);
      const image = graph.node("Transpose", [inputs.image], {
        perm: [0, 4, 1, 2, 3],
      })[0];
      const coord = graph.node("Transpose", [inputs.coord], {
        perm: [0, 4, 1, 2, 3],
      })[0];
      const [y] = graph.node("Conv", [
        image,
        init("filter", filter, [channels, 1, 3, 3, 3]),
        init("bias", data("bias"), [channels]),
      ], { kernel_shape: [3, 3, 3], pads: [1, 1, 1, 1, 1, 1] });
      const [n] = graph.node(
        "BatchNormalization",
        [
          y,
          ...["gamma", "beta", "movingMean", "movingVariance"].map((k) =>
            init(k, data(k), [channels])
          ),
        ],
        { epsilon: 1e-5 },
      );
      const pool = { kernel_shape: [4, 4, 4], strides: [4, 4, 4] };
      const [p] = graph.node("MaxPool", [graph.node("Relu", [n])[0]], pool);
      const [cat] = graph.node("Concat", [p, coord], { axis: 1 });
      return graph.node("Transpose", [cat], { perm: [0, 2, 3, 4, 1] })[0];
    },
  };
}
