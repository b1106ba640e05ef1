import assert from "node:assert/strict";
import type * as tfTypes from "@tensorflow/tfjs-core";
import {
  createEngine,
  type MinerSelection,
  ShapeError,
} from "../../core/mod.ts";
import { computeBalancedLoss } from "./balanced.ts";

const engine = await createEngine("tfjs-cpu");
const tf = engine.tf;

// Five rows (logit, dz, dy, dx, dd); rows 0–1 positive, 2–3 negative, 4 ignored.
const output = [
  [0, 0.5, -2, 0, 0.1],
  [2, 0, 0, 0, 0],
  [-1, 9, 9, 9, 9],
  [3, 9, 9, 9, 9],
  [5, 9, 9, 9, 9],
];
const targets = [
  [1, 0, 0, 0.3, 0.1],
  [1, 1, 0, 0, -0.5],
  [-1, 0, 0, 0, 0],
  [-1, 0, 0, 0, 0],
  [0, 0, 0, 0, 0],
];
const selection: MinerSelection = {
  positives: Int32Array.of(0, 1),
  negatives: Int32Array.of(2, 3),
};

function evaluate(sel: MinerSelection, rows = output) {
  return tf.tidy(() => {
    const result = computeBalancedLoss({
      tf,
      output: tf.tensor2d(rows),
      targets: tf.tensor2d(targets),
      selection: sel,
    });
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

Deno.test("computeBalancedLoss() matches the hand-computed loss of four rows", () => {
  const { total, terms } = evaluate(selection);
  // BCE(σ(x), 1) = ln(1 + e^−x): x = 0 → 0.693147, x = 2 → 0.126928
  // classPositive = 0.5 · (0.693147 + 0.126928) / 2 = 0.205019
  close(terms.classPositive, 0.2050188, "classPositive");
  // BCE(σ(x), 0) = ln(1 + e^x): x = −1 → 0.313262, x = 3 → 3.048587
  // classNegative = 0.5 · (0.313262 + 3.048587) / 2 = 0.840462
  close(terms.classNegative, 0.8404623, "classNegative");
  // SmoothL1 of (pred − target), fields z, y, x, d:
  //   row 0: 0.5 → 0.125, −2 → 1.5, −0.3 → 0.045, 0 → 0
  //   row 1: −1 → |−1| − 0.5 = 0.5, 0, 0, 0.5 → 0.125
  // means: z 0.3125, y 0.75, x 0.0225, d 0.0625; sum 1.1475
  close(terms.regZ, 0.3125, "regZ");
  close(terms.regY, 0.75, "regY");
  close(terms.regX, 0.0225, "regX");
  close(terms.regD, 0.0625, "regD");
  close(terms.regression, 1.1475, "regression");
  close(total, 0.2050188 + 0.8404623 + 1.1475, "total");
  // TPR: p(0) = 0.5 ≥ 0.5 and p(2) ≥ 0.5 → 1; TNR: x = −1 < 0, x = 3 not → 0.5
  assert.equal(terms.tpr, 1);
  assert.equal(terms.tnr, 0.5);
});

Deno.test("computeBalancedLoss() weights the negative mean by the miner's weights", () => {
  const { terms } = evaluate({
    ...selection,
    negativeWeights: Float32Array.of(1, 3),
  });
  // 0.5 · (1 · 0.313262 + 3 · 3.048587) / (1 + 3) = 1.182378
  close(terms.classNegative, 1.182378, "classNegative");
  close(terms.classPositive, 0.2050188, "classPositive");
});

Deno.test("computeBalancedLoss() without positives keeps only the negative term", () => {
  const { total, terms } = evaluate({
    positives: new Int32Array(0),
    negatives: Int32Array.of(2, 3),
  });
  close(total, 0.8404623, "total");
  assert.equal(terms.classPositive, 0);
  assert.equal(terms.regression, 0);
  assert.equal("tpr" in terms, false);
});

Deno.test("computeBalancedLoss() has the analytic logit gradient", () => {
  // d/dx [0.5 · mean softplus(∓x)] = 0.5 · (σ(x) − y) / count
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
  const g = tf.tidy(() =>
    tf.grad((x: tfTypes.Tensor) =>
      computeBalancedLoss({
        tf,
        output: x as tfTypes.Tensor2D,
        targets: tf.tensor2d(targets),
        selection,
      }).total
    )(tf.tensor2d(output)).arraySync() as number[][]
  );
  close(g[0][0], 0.5 * (sigmoid(0) - 1) / 2, "row 0");
  close(g[1][0], 0.5 * (sigmoid(2) - 1) / 2, "row 1");
  close(g[2][0], 0.5 * sigmoid(-1) / 2, "row 2");
  close(g[3][0], 0.5 * sigmoid(3) / 2, "row 3");
  // SmoothL1': x for |x| < 1, sign(x) otherwise, / 2 positives
  assert.deepEqual(g[0].slice(1).map((v) => Math.round(v * 1e6) / 1e6), [
    0.25,
    -0.5,
    -0.15,
    0,
  ]);
  assert.deepEqual(g[4], [0, 0, 0, 0, 0]);
});

Deno.test("computeBalancedLoss() names the bad selection row and weight", () => {
  assert.throws(
    () => evaluate({ ...selection, positives: Int32Array.of(0, 7) }),
    {
      name: "RangeError",
      message:
        "Cannot compute loss: selection.positives[1] is 7, expected a row in [0, 5)",
    },
  );
  assert.throws(
    () => evaluate({ ...selection, negativeWeights: Float32Array.of(1, NaN) }),
    {
      name: "RangeError",
      message:
        "Cannot compute loss: selection.negativeWeights[1] is NaN, expected a finite weight >= 0",
    },
  );
  assert.throws(
    () => evaluate({ ...selection, negativeWeights: Float32Array.of(1) }),
    (error: unknown) =>
      error instanceof ShapeError &&
      error.message ===
        "Cannot use selection.negativeWeights: shape is [1], expected [2]",
  );
});
