import assert from "node:assert/strict";
import { createRng, ShapeError } from "../../core/mod.ts";
import { selectTopK } from "./topk.ts";

// Two samples of five rows. Candidates (label −1) and their logits:
// sample 0: row 0 (0.5), row 2 (2.0), row 4 (−1); row 1 is positive, row 3 ignored
// sample 1: row 5 (−3), row 6 (4), row 7 (1), row 8 (3.5); row 9 ignored
const handMade = {
  logits: new Float32Array([0.5, 9, 2, 8, -1, -3, 4, 1, 3.5, 7]),
  labels: new Float32Array([-1, 1, -1, 0, -1, -1, -1, -1, -1, 0]),
  batchSize: 2,
  rowsPerSample: 5,
};

Deno.test("selectTopK() keeps the k highest-logit candidate negatives of each sample", () => {
  const selection = selectTopK(handMade, true, { k: 2, perSample: true });
  // sample 0: 2.0 (row 2) and 0.5 (row 0); sample 1: 4 (row 6) and 3.5 (row 8)
  assert.deepEqual([...selection.negatives], [0, 2, 6, 8]);
  assert.deepEqual([...selection.positives], [1]);
  assert.equal(selection.negativeWeights, undefined);
});

Deno.test("selectTopK() over the whole batch keeps the k · batch highest candidates", () => {
  const selection = selectTopK(handMade, true, { k: 2, perSample: false });
  // k · batch = 4 over every candidate: 4 (6), 3.5 (8), 2.0 (2), 1 (7); the
  // per-sample mode took row 0 (0.5) instead of row 7 (1)
  assert.deepEqual([...selection.negatives], [2, 6, 7, 8]);
});

Deno.test("selectTopK() in validation keeps every candidate negative", () => {
  const selection = selectTopK(handMade, false, { k: 1, perSample: true });
  assert.deepEqual([...selection.negatives], [0, 2, 4, 5, 6, 7, 8]);
  assert.deepEqual([...selection.positives], [1]);
});

Deno.test("selectTopK() keeps every candidate when a sample has fewer than k", () => {
  const selection = selectTopK(handMade, true, { k: 4, perSample: true });
  // sample 0 has only 3 candidates; sample 1 has exactly 4
  assert.deepEqual([...selection.negatives], [0, 2, 4, 5, 6, 7, 8]);
});

Deno.test("selectTopK() breaks ties by the lower row and ranks NaN logits lowest", () => {
  const input = {
    logits: new Float32Array([NaN, 1, 1, 1, NaN, 0]),
    labels: new Float32Array([-1, -1, -1, -1, -1, -1]),
    batchSize: 1,
    rowsPerSample: 6,
  };
  assert.deepEqual([
    ...selectTopK(input, true, { k: 2, perSample: true }).negatives,
  ], [1, 2]);
  assert.deepEqual([
    ...selectTopK(input, true, { k: 5, perSample: true }).negatives,
  ], [0, 1, 2, 3, 5]);
});

Deno.test("selectTopK() agrees with sorting every candidate on random batches", () => {
  const rng = createRng(12345);
  const next = () => rng.next();
  for (let trial = 0; trial < 20; trial++) {
    const batchSize = 1 + trial % 4, rowsPerSample = 64;
    const rows = batchSize * rowsPerSample;
    const labels = new Float32Array(rows), logits = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      labels[r] = next() < 0.6 ? -1 : next() < 0.1 ? 1 : 0;
      logits[r] = Math.round(next() * 40) / 4; // coarse values: many ties
    }
    const input = { logits, labels, batchSize, rowsPerSample };
    const k = 1 + trial % 7;
    const byLogit = (from: number, to: number, n: number) =>
      [...Array(to - from).keys()].map((i) => i + from)
        .filter((r) => labels[r] === -1)
        .sort((a, b) => logits[b] - logits[a] || a - b)
        .slice(0, n);
    const perSample = [...Array(batchSize).keys()].flatMap((s) =>
      byLogit(s * rowsPerSample, (s + 1) * rowsPerSample, k)
    ).sort((a, b) => a - b);
    assert.deepEqual([
      ...selectTopK(input, true, { k, perSample: true }).negatives,
    ], perSample);
    const whole = byLogit(0, rows, k * batchSize).sort((a, b) => a - b);
    assert.deepEqual([
      ...selectTopK(input, true, { k, perSample: false }).negatives,
    ], whole);
  }
});

Deno.test("selectTopK() names the mismatched array", () => {
  assert.throws(
    () =>
      selectTopK({ ...handMade, logits: new Float32Array(3) }, true, {
        k: 2,
        perSample: true,
      }),
    (error: unknown) =>
      error instanceof ShapeError &&
      error.message === "Cannot use miner logits: shape is [3], expected [10]",
  );
  assert.throws(
    () =>
      selectTopK({ ...handMade, batchSize: 1.5 }, true, {
        k: 2,
        perSample: true,
      }),
    {
      name: "RangeError",
      message:
        "Cannot select negatives: batchSize is 1.5 and rowsPerSample is 5, expected non-negative integers",
    },
  );
});
