import assert from "node:assert/strict";
import type * as tfTypes from "@tensorflow/tfjs-core";
import { createEngine, type MinerSelection } from "../../core/mod.ts";
import { computeFocalLoss } from "./focal.ts";

const engine = await createEngine("tfjs-cpu");
const tf = engine.tf;

// Rows 0–1 positive (logits 0 and 2), rows 2–3 negative (−1 and 3), row 4
// ignored; regression exact, so only the class terms are non-zero.
const output = [
  [0, 0, 0, 0, 0],
  [2, 0, 0, 0, 0],
  [-1, 0, 0, 0, 0],
  [3, 0, 0, 0, 0],
  [9, 0, 0, 0, 0],
];
const targets = [
  [1, 0, 0, 0, 0],
  [1, 0, 0, 0, 0],
  [-1, 0, 0, 0, 0],
  [-1, 0, 0, 0, 0],
  [0, 0, 0, 0, 0],
];
const selection: MinerSelection = {
  positives: Int32Array.of(0, 1),
  negatives: Int32Array.of(2, 3),
};

function evaluate(alpha: number, gamma: number, sel = selection) {
  return tf.tidy(() => {
    const result = computeFocalLoss({
      tf,
      output: tf.tensor2d(output),
      targets: tf.tensor2d(targets),
      selection: sel,
    }, { alpha, gamma });
    const terms: Record<string, number> = {};
    for (const [name, t] of Object.entries(result.terms)) {
      terms[name] = t.dataSync()[0];
    }
    return { total: result.total.dataSync()[0], terms };
  });
}

const close = (actual: number, expected: number, what: string) =>
  assert.ok(
    Math.abs(actual - expected) < 1e-6,
    `${what}: ${actual}, expected ${expected}`,
  );

Deno.test("computeFocalLoss() matches the hand-computed focal loss", () => {
  const { total, terms } = evaluate(0.25, 2);
  // Positives, α (1 − p)² (−ln p):
  //   x = 0: p = 0.5 → 0.25 · 0.25 · 0.693147 = 0.0433217
  //   x = 2: p = 0.880797 → 0.25 · 0.0142092 · 0.126928 = 0.00045089
  //   classPositive = (0.0433217 + 0.00045089) / 2 positives = 0.0218863
  close(terms.classPositive, 0.0218863, "classPositive");
  // Negatives, (1 − α) p² (−ln(1 − p)):
  //   x = −1: p = 0.268941 → 0.75 · 0.0723295 · 0.313262 = 0.0169935
  //   x = 3: p = 0.952574 → 0.75 · 0.907397 · 3.048587 = 2.0747103
  //   classNegative = (0.0169935 + 2.0747103) / 2 = 1.0458519
  close(terms.classNegative, 1.0458519, "classNegative");
  close(total, 0.0218863 + 1.0458519, "total");
});

Deno.test("computeFocalLoss() with gamma 0 is α-weighted BCE over the positive count", () => {
  const { terms } = evaluate(0.25, 0);
  // 0.25 · (0.693147 + 0.126928) / 2 and 0.75 · (0.313262 + 3.048587) / 2
  close(terms.classPositive, 0.1025094, "classPositive");
  close(terms.classNegative, 1.2606934, "classNegative");
});

Deno.test("computeFocalLoss() without positives divides by 1", () => {
  const { terms } = evaluate(0.25, 2, {
    positives: new Int32Array(0),
    negatives: Int32Array.of(2, 3),
  });
  close(terms.classPositive, 0, "classPositive");
  close(terms.classNegative, 0.0169935 + 2.0747103, "classNegative");
});

Deno.test("computeFocalLoss() has the focal loss's analytic gradient", () => {
  // Positive: d/dx [α σ(−x)^γ softplus(−x)]
  //   = α σ(−x)^γ [γ (−σ(x)) softplus(−x) − σ(−x)]   (σ(−x)' = −σ(x)σ(−x))
  const s = (x: number) => 1 / (1 + Math.exp(-x));
  const sp = (x: number) => Math.log1p(Math.exp(x));
  const dPositive = (x: number, a: number, g: number) =>
    a * s(-x) ** g * (-g * s(x) * sp(-x) - s(-x));
  const dNegative = (x: number, a: number, g: number) =>
    -dPositive(-x, 1 - a, g);
  const grad = tf.tidy(() =>
    tf.grad((x: tfTypes.Tensor) =>
      computeFocalLoss({
        tf,
        output: x as tfTypes.Tensor2D,
        targets: tf.tensor2d(targets),
        selection,
      }, { alpha: 0.25, gamma: 2 }).total
    )(tf.tensor2d(output)).arraySync() as number[][]
  );
  close(grad[0][0], dPositive(0, 0.25, 2) / 2, "row 0");
  close(grad[1][0], dPositive(2, 0.25, 2) / 2, "row 1");
  close(grad[2][0], dNegative(-1, 0.25, 2) / 2, "row 2");
  close(grad[3][0], dNegative(3, 0.25, 2) / 2, "row 3");
  assert.deepEqual(grad[4], [0, 0, 0, 0, 0]);
});
