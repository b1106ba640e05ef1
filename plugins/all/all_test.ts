import assert from "node:assert/strict";
import { ShapeError } from "../../core/mod.ts";
import { selectAll } from "./all.ts";

Deno.test("selectAll() keeps every positive and every candidate negative", () => {
  const selection = selectAll({
    logits: new Float32Array([5, -2, 0, 9, 1, 3]),
    labels: new Float32Array([-1, 1, 0, -1, 1, -1]),
    batchSize: 2,
    rowsPerSample: 3,
  });
  assert.deepEqual([...selection.positives], [1, 4]);
  assert.deepEqual([...selection.negatives], [0, 3, 5]);
  assert.equal(selection.negativeWeights, undefined);
});

Deno.test("selectAll() names the mismatched array", () => {
  assert.throws(
    () =>
      selectAll({
        logits: new Float32Array(4),
        labels: new Float32Array(6),
        batchSize: 2,
        rowsPerSample: 3,
      }),
    (error: unknown) =>
      error instanceof ShapeError &&
      error.message === "Cannot use miner logits: shape is [4], expected [6]",
  );
});
