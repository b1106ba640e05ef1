import assert from "node:assert/strict";
import type * as tfTypes from "@tensorflow/tfjs-core";
import { createEngine } from "./engine/mod.ts";
import { gatherRows } from "./loss.ts";

const engine = await createEngine("tfjs-cpu");
const tf = engine.tf;

Deno.test("gatherRows() equals tf.gather, value and gradient, repeats included", () => {
  const x = tf.tensor2d(
    Array.from({ length: 7 * 3 }, (_, i) => Math.sin(i)),
    [7, 3],
  );
  const rows = Int32Array.of(5, 0, 5, 2);
  const weights = tf.tensor2d(
    Array.from({ length: 4 * 3 }, (_, i) => i + 1),
    [4, 3],
  );
  const f = (gather: (v: tfTypes.Tensor2D) => tfTypes.Tensor2D) =>
    tf.grad((v: tfTypes.Tensor) =>
      tf.sum(tf.mul(gather(v as tfTypes.Tensor2D), weights))
    )(x);
  const mine = gatherRows(tf, x, rows);
  const theirs = tf.gather(x, tf.tensor1d(rows, "int32"));
  assert.deepEqual([...mine.dataSync()], [...theirs.dataSync()]);
  const gMine = f((v) => gatherRows(tf, v, rows));
  const gTheirs = f((v) => tf.gather(v, tf.tensor1d(rows, "int32")));
  // Row 5 was taken twice: weights rows 0 and 2 add up (1+7, 2+8, 3+9).
  assert.deepEqual([...gMine.dataSync()].slice(15, 18), [8, 10, 12]);
  assert.deepEqual([...gMine.dataSync()], [...gTheirs.dataSync()]);
  tf.dispose([x, weights, mine, theirs, gMine, gTheirs]);
});

Deno.test("gatherRows() with no rows gives [0, c] and a zero gradient", () => {
  const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
  const empty = gatherRows(tf, x, new Int32Array(0));
  assert.deepEqual(empty.shape, [0, 2]);
  const g = tf.grad((v: tfTypes.Tensor) =>
    tf.add(tf.sum(gatherRows(tf, v as tfTypes.Tensor2D, new Int32Array(0))), 0)
  )(x);
  assert.deepEqual([...g.dataSync()], [0, 0, 0, 0]);
  tf.dispose([x, empty, g]);
});
