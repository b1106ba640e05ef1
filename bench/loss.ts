// deno-lint-ignore-file no-console -- the bench prints its report
/**
 * `deno task bench loss`: one forward + backward of the `balanced` loss on a
 * 64³ batch of 2 (2 · 16³ · 3 = 24,576 rows), with the row gather of
 * `gatherRows` (scatter-add gradient) against tfjs's own `tf.gather`
 * (gradient by `unsortedSegmentSum`), for the topk selection (2 positives,
 * 4 negatives) and the `all` miner's (2 positives, 1,600 negatives).
 *
 * @module
 */

import type * as tfTypes from "@tensorflow/tfjs-core";
import { createEngine, createRng, type LossInput } from "../core/mod.ts";
import { computeBalancedLoss } from "../plugins/balanced/balanced.ts";
import type { BenchSection } from "./main.ts";

/** Runs the section. */
export const run: BenchSection = async () => {
  const engine = await createEngine("tfjs-cpu");
  const tf = engine.tf;
  const rows = 24_576;
  const rng = createRng(1);
  const output = tf.variable(
    tf.tensor2d(Float32Array.from({ length: rows * 5 }, () => rng.normal()), [
      rows,
      5,
    ]),
  );
  const targets = tf.tensor2d(new Float32Array(rows * 5), [rows, 5]);
  const pick = (n: number) =>
    Int32Array.from({ length: n }, (_, i) => (i * 7919) % rows).sort();
  const step = (selection: LossInput["selection"]) => {
    const start = performance.now();
    const { value, grads } = tf.variableGrads(() =>
      computeBalancedLoss({ tf, output, targets, selection }).total
    );
    grads[output.name].dataSync();
    tf.dispose([value, ...Object.values(grads)]);
    return performance.now() - start;
  };
  const summary: Record<string, number> = {};
  for (const [label, n] of [["topk", 4], ["all", 1600]] as const) {
    const selection = {
      positives: Int32Array.of(11, 20000),
      negatives: pick(n),
    };
    step(selection); // warm-up
    const ours = step(selection);
    // Baseline: only the two BCE gathers through tf.gather (the code before
    // gatherRows), without the regression terms.
    stepWithTfGather(tf, output, selection); // warm-up
    const baseline = stepWithTfGather(tf, output, selection);
    console.log(
      `balanced loss fwd+bwd, ${rows} rows, ${label} (${n} negatives): ${
        ours.toFixed(1)
      } ms; BCE alone through tf.gather ${baseline.toFixed(1)} ms (${
        (baseline / ours).toFixed(1)
      }× slower)`,
    );
    summary[`loss_${label}_ms`] = ours;
    summary[`loss_${label}_tf_gather_ms`] = baseline;
  }
  tf.dispose([output, targets]);
  engine.dispose();
  return summary;
};

/** BCE terms of the balanced loss through `tf.gather` (gradient: unsortedSegmentSum). */
function stepWithTfGather(
  tf: Awaited<ReturnType<typeof createEngine>>["tf"],
  output: tfTypes.Variable,
  selection: { positives: Int32Array; negatives: Int32Array },
): number {
  const start = performance.now();
  const { value, grads } = tf.variableGrads(() => {
    const pos = tf.gather(output, tf.tensor1d(selection.positives, "int32"));
    const neg = tf.gather(output, tf.tensor1d(selection.negatives, "int32"));
    return tf.add(
      tf.mean(tf.softplus(tf.neg(tf.slice(pos, [0, 0], [-1, 1])))),
      tf.mean(tf.softplus(tf.slice(neg, [0, 0], [-1, 1]))),
    ) as tfTypes.Scalar;
  });
  grads[output.name].dataSync();
  tf.dispose([value, ...Object.values(grads)]);
  return performance.now() - start;
}
