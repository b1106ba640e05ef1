import assert from "node:assert/strict";
import type * as tfTypes from "@tensorflow/tfjs-core";
import { loadTf, tf } from "./_tf.ts";

Deno.test("loadTf() registers gradients and chained ops, idempotently", async () => {
  await Promise.all([loadTf(), loadTf()]);
  await tf.setBackend("cpu");
  const x = tf.tensor1d([1, -2, 3]);
  const s = x.square().sum();
  assert.equal(s.dataSync()[0], 14);
  const g = tf.grad((a: tfTypes.Tensor) => a.square().sum())(x);
  assert.deepEqual([...g.dataSync()], [2, -4, 6]);
  tf.dispose([x, s, g]);
});

Deno.test("loadTf() adds the missing conv3dTranspose gradient (checked by finite differences)", async () => {
  await loadTf();
  const x = tf.tensor5d([0.5, -1, 2, 0.25], [1, 1, 1, 2, 2]);
  const f = tf.tensor5d(Array.from({ length: 48 }, (_, i) => Math.sin(i)), [
    2,
    2,
    2,
    3,
    2,
  ]);
  const up = (a: tfTypes.Tensor, b: tfTypes.Tensor) =>
    tf.conv3dTranspose(
      a as tfTypes.Tensor5D,
      b as tfTypes.Tensor5D,
      [1, 2, 2, 4, 3],
      2,
      "valid",
    );
  const loss = (a: tfTypes.Tensor, b: tfTypes.Tensor) =>
    up(a, b).square().sum();
  const [dx, df] = tf.grads(loss)([x, f]);
  const fd = (which: 0 | 1, i: number) => {
    const base = [x, f][which].dataSync();
    const plus = Float32Array.from(base), minus = Float32Array.from(base);
    plus[i] += 1e-2;
    minus[i] -= 1e-2;
    const shape = [x, f][which].shape;
    const lp =
      tf.tidy(() =>
        which === 0
          ? loss(tf.tensor(plus, shape), f)
          : loss(x, tf.tensor(plus, shape))
      ).dataSync()[0];
    const lm =
      tf.tidy(() =>
        which === 0
          ? loss(tf.tensor(minus, shape), f)
          : loss(x, tf.tensor(minus, shape))
      ).dataSync()[0];
    return (lp - lm) / 2e-2;
  };
  for (let i = 0; i < 4; i++) {
    assert.ok(Math.abs(dx.dataSync()[i] - fd(0, i)) < 1e-2, `dx[${i}]`);
  }
  for (const i of [0, 7, 29, 47]) {
    assert.ok(Math.abs(df.dataSync()[i] - fd(1, i)) < 1e-2, `df[${i}]`);
  }
  tf.dispose([x, f, dx, df]);
});
