import assert from "node:assert/strict";
import { createRng, ShapeError } from "../../core/mod.ts";
import { selectRandom } from "./random.ts";

// Two samples of six rows; sample 0 has candidates 0, 2, 3, 5 and a positive
// at 1; sample 1 has candidates 7 and 9 only.
const input = {
  logits: new Float32Array(12),
  labels: new Float32Array([-1, 1, -1, -1, 0, -1, 0, -1, 0, -1, 0, 0]),
  batchSize: 2,
  rowsPerSample: 6,
};

Deno.test("selectRandom() draws k candidate negatives from each sample", () => {
  for (let seed = 0; seed < 20; seed++) {
    const selection = selectRandom(input, true, 3, createRng(seed));
    const negatives = [...selection.negatives];
    // sample 0: 3 of its 4 candidates; sample 1: both of its 2 candidates
    assert.equal(negatives.filter((r) => r < 6).length, 3);
    assert.ok(
      negatives.filter((r) => r < 6).every((r) => [0, 2, 3, 5].includes(r)),
    );
    assert.deepEqual(negatives.filter((r) => r >= 6), [7, 9]);
    assert.deepEqual([...selection.positives], [1]);
  }
});

Deno.test("selectRandom() picks every candidate with probability k / n", () => {
  // 4 candidates, k = 1: each should come up about 1/4 of 4000 draws.
  const counts = new Map<number, number>();
  const rng = createRng(99);
  for (let i = 0; i < 4000; i++) {
    const [row] = selectRandom(input, true, 1, rng).negatives.filter((r) =>
      r < 6
    );
    counts.set(row, (counts.get(row) ?? 0) + 1);
  }
  assert.deepEqual([...counts.keys()].sort(), [0, 2, 3, 5]);
  for (const count of counts.values()) {
    // binomial(4000, 1/4): sd ≈ 27; 6 sd either side
    assert.ok(Math.abs(count - 1000) < 165, `count ${count} is far from 1000`);
  }
});

Deno.test("selectRandom() in validation keeps every candidate negative", () => {
  const selection = selectRandom(input, false, 1, createRng(0));
  assert.deepEqual([...selection.negatives], [0, 2, 3, 5, 7, 9]);
});

Deno.test("selectRandom() names the mismatched array", () => {
  assert.throws(
    () =>
      selectRandom(
        { ...input, labels: new Float32Array(5) },
        true,
        2,
        createRng(0),
      ),
    (error: unknown) =>
      error instanceof ShapeError &&
      error.message === "Cannot use miner labels: shape is [5], expected [12]",
  );
});
