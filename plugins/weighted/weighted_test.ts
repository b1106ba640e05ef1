import assert from "node:assert/strict";
import type * as tfTypes from "@tensorflow/tfjs-core";
import { createEngine, type MinerSelection } from "../../core/mod.ts";
import { lossFixture } from "../../core/testing/loss_contract.ts";
import { computeWeightedLoss } from "./weighted.ts";

const engine = await createEngine("tfjs-cpu");
const tf = engine.tf;

// Rows 0–1 positive (logits −1: misclassified, 2: right), rows 2–3 negative
// (logits −1: right, 3: misclassified), row 4 ignored. Regression is exact
// (pred = target) so only the class terms are non-zero.
const output = [
  [-1, 0.1, 0, 0, 0],
  [2, 0, 0, 0, 0.2],
  [-1, 0, 0, 0, 0],
  [3, 0, 0, 0, 0],
  [0, 0, 0, 0, 0],
];
const targets = [
  [1, 0.1, 0, 0, 0],
  [1, 0, 0, 0, 0.2],
  [-1, 0, 0, 0, 0],
  [-1, 0, 0, 0, 0],
  [0, 0, 0, 0, 0],
];
const selection: MinerSelection = {
  positives: Int32Array.of(0, 1),
  negatives: Int32Array.of(2, 3),
};

function evaluate(lambda: number, sel = selection) {
  return tf.tidy(() => {
    const result = computeWeightedLoss({
      tf,
      output: tf.tensor2d(output),
      targets: tf.tensor2d(targets),
      selection: sel,
    }, lambda);
    const terms: Record<string, number> = {};
    for (const [name, t] of Object.entries(result.terms)) {
      terms[name] = t.dataSync()[0];
    }
    return { total: result.total.dataSync()[0], terms };
  });
}

const close = (actual: number, expected: number, what: string) =>
  assert.ok(
    Math.abs(actual - expected) < 1e-5,
    `${what}: ${actual}, expected ${expected}`,
  );

Deno.test("computeWeightedLoss() up-weights the misclassified rows (hand-computed)", () => {
  const { total, terms } = evaluate(1);
  // Positives: softplus(1) = 1.313262 (w 2), softplus(−2) = 0.126928 (w 1)
  //   0.5 · (2 · 1.313262 + 0.126928) / 3 = 0.458909
  close(terms.classPositive, 0.4589086, "classPositive");
  // Negatives: softplus(−1) = 0.313262 (w 1), softplus(3) = 3.048587 (w 2)
  //   0.5 · (0.313262 + 2 · 3.048587) / 3 = 1.068406
  close(terms.classNegative, 1.0684061, "classNegative");
  close(terms.regression, 0, "regression");
  close(total, 0.4589086 + 1.0684061, "total");
  assert.equal(terms.tpr, 0.5);
  assert.equal(terms.tnr, 0.5);
  assert.equal(terms.misclassified, 0.5);
});

Deno.test("computeWeightedLoss() multiplies the miner's weights in", () => {
  const { terms } = evaluate(1, {
    ...selection,
    negativeWeights: Float32Array.of(1, 3),
  });
  // w = (1 + λ·m) · u = [1, 6]: 0.5 · (0.313262 + 6 · 3.048587) / 7 = 1.328913
  close(terms.classNegative, 1.3289133, "classNegative");
});

Deno.test("computeWeightedLoss() with lambda 0 is the balanced loss", () => {
  const { terms } = evaluate(0);
  // 0.5 · (1.313262 + 0.126928) / 2 and 0.5 · (0.313262 + 3.048587) / 2
  close(terms.classPositive, 0.3600475, "classPositive");
  close(terms.classNegative, 0.8404623, "classNegative");
});

Deno.test("computeWeightedLoss() treats the weights as constants in the gradient", () => {
  // With constant w: d/dx_i = 0.5 · w_i · (σ(x_i) − y_i) / Σ w
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
  const g = tf.tidy(() =>
    tf.grad((x: tfTypes.Tensor) =>
      computeWeightedLoss({
        tf,
        output: x as tfTypes.Tensor2D,
        targets: tf.tensor2d(targets),
        selection,
      }, 1).total
    )(tf.tensor2d(output)).arraySync() as number[][]
  );
  close(g[0][0], 0.5 * 2 * (sigmoid(-1) - 1) / 3, "row 0"); // −0.243686
  close(g[1][0], 0.5 * 1 * (sigmoid(2) - 1) / 3, "row 1");
  close(g[2][0], 0.5 * 1 * sigmoid(-1) / 3, "row 2");
  close(g[3][0], 0.5 * 2 * sigmoid(3) / 3, "row 3");
  assert.deepEqual(g[4], [0, 0, 0, 0, 0]);
});

Deno.test("computeWeightedLoss() equals the weighted means on random batches", () => {
  const softplus = (x: number) =>
    Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  for (const seed of [1, 2, 3]) {
    const f = lossFixture(seed, 60, true);
    const lambda = seed;
    const { terms } = tf.tidy(() => {
      const result = computeWeightedLoss({
        tf,
        output: tf.tensor2d(f.output, [f.rows, 5]),
        targets: tf.tensor2d(f.targets, [f.rows, 5]),
        selection: f.selection,
      }, lambda);
      return {
        terms: Object.fromEntries(
          Object.entries(result.terms).map(([k, t]) => [k, t.dataSync()[0]]),
        ),
      };
    });
    let num = 0, den = 0;
    for (const r of f.selection.positives) {
      const x = f.output[r * 5], w = 1 + lambda * (x < 0 ? 1 : 0);
      num += w * softplus(-x);
      den += w;
    }
    close(terms.classPositive, 0.5 * num / den, `seed ${seed} positive`);
    num = den = 0;
    f.selection.negatives.forEach((r, i) => {
      const x = f.output[r * 5];
      const w = (1 + lambda * (x >= 0 ? 1 : 0)) *
        f.selection.negativeWeights![i];
      num += w * softplus(x);
      den += w;
    });
    close(terms.classNegative, 0.5 * num / den, `seed ${seed} negative`);
  }
});
