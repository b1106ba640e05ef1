import assert from "node:assert/strict";
import { loadTf, tf } from "./_tf.ts";
import { compareOps, relativeError } from "./_parity.ts";
import { createPlainOps } from "./plain_ops.ts";
import type { NetworkOps } from "./engine.ts";

Deno.test("relativeError() is the norm of the difference over the norm of the reference", () => {
  assert.equal(relativeError([3, 4], [3, 4]), 0);
  assert.equal(relativeError([3, 5], [3, 4]), 1 / 5);
  assert.equal(relativeError([0, 1e-3], [0, 0], 1), 1e-3);
  assert.equal(relativeError([1], [1, 2]), Infinity);
});

Deno.test("compareOps() notices a wrong gradient", async () => {
  await loadTf();
  await tf.setBackend("cpu");
  const plain = createPlainOps(tf);
  // ReLU whose gradient is doubled: the output agrees, the input gradient does not.
  const broken: NetworkOps = {
    ...plain,
    relu: (x) =>
      tf.customGrad((a, _save) => ({
        value: tf.relu(a as typeof x),
        gradFunc: (dy) => tf.mul(tf.mul(dy, tf.step(a as typeof x)), 2),
      }))(x) as typeof x,
  };
  const { errors } = await compareOps(tf, plain, broken, {
    kind: "relu",
    input: [1, 2, 2, 2, 3],
  }, 1);
  assert.equal(errors.output, 0);
  assert.ok(Math.abs(errors.d_x - 1) < 1e-6, `d_x error ${errors.d_x}`);
});
