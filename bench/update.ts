// deno-lint-ignore-file no-console -- the bench prints its report
/**
 * `deno task bench update`: one optimizer update of every trainable weight
 * of the `small` resunet + rpn3d head (1.35 M weights; the CPU preset now
 * keeps fewer residual blocks of the same widths, 0.62 M), Adam and SGD, as one typed-array pass per weight
 * (`applyUpdateArrays`, what the trainer runs on the cpu backend) against
 * the same rule as tfjs ops (`applyUpdateOps`, the code before, still used on
 * WebGPU), in the same process.
 *
 * @module
 */

import type * as tfTypes from "@tensorflow/tfjs-core";
import { createEngine } from "../core/engine/mod.ts";
import { createRng } from "../core/random.ts";
import { testPluginContext } from "../core/testing/plugin_context.ts";
import {
  applyUpdateArrays,
  applyUpdateOps,
  type OptimizerSlots,
  type UpdateSettings,
} from "../core/train/trainer.ts";
import { resunet } from "../plugins/resunet/mod.ts";
import { rpn3dAnchorHead } from "../plugins/rpn3d/mod.ts";
import type { BenchSection } from "./main.ts";

/** Runs the section; see the module doc. */
export const run: BenchSection = async () => {
  const engine = await createEngine("cpu");
  const tf = engine.tf;
  const context = testPluginContext(0);
  const backbone = resunet.create(
    resunet.options.parse({ preset: "small" }),
    context,
  );
  const head = rpn3dAnchorHead.create(
    rpn3dAnchorHead.options.parse({}),
    context,
  );
  const body = backbone.build(engine, createRng(1));
  const headNet = head.build(engine, backbone.output, createRng(2));
  const variables = [
    ...body.trainable,
    ...headNet.trainable,
  ] as tfTypes.Variable[];
  const weights = variables.reduce((n, v) => n + v.size, 0);
  const rng = createRng(3);
  const grads = variables.map((v) =>
    tf.tensor(
      Float32Array.from({ length: v.size }, () => rng.normal()),
      v.shape,
    )
  );
  const slots: OptimizerSlots[] = variables.map((v) => ({
    first: tf.variable(tf.zerosLike(v)),
    second: tf.variable(tf.zerosLike(v)),
  }));
  const summary: Record<string, number> = {};
  for (
    const settings of [
      { optimizer: "adam", momentum: 0.9, beta2: 0.999, weightDecay: 0 },
      { optimizer: "sgd", momentum: 0.9, weightDecay: 1e-4 },
    ] satisfies UpdateSettings[]
  ) {
    const time = (apply: typeof applyUpdateOps) => {
      const ms: number[] = [];
      for (let t = 1; t <= 6; t++) {
        const start = performance.now();
        tf.tidy(() =>
          variables.forEach((v, i) =>
            apply(tf, v, grads[i], slots[i], settings, 1e-4, t, 0.5)
          )
        );
        ms.push(performance.now() - start);
      }
      return ms.slice(1).sort((a, b) => a - b)[2]; // median after a warm-up
    };
    const arrays = time(applyUpdateArrays);
    const ops = time(applyUpdateOps);
    console.log(
      `${settings.optimizer} update of ${variables.length} tensors (${weights} weights): typed arrays ${
        arrays.toFixed(1)
      } ms, tfjs ops ${ops.toFixed(1)} ms (${(ops / arrays).toFixed(1)}×)`,
    );
    summary[`update_${settings.optimizer}_ms`] = arrays;
    summary[`update_${settings.optimizer}_ops_ms`] = ops;
  }
  tf.dispose([...grads, ...slots.flatMap((s) => [s.first, s.second!])]);
  body.dispose();
  headNet.dispose();
  engine.dispose();
  return summary;
};
