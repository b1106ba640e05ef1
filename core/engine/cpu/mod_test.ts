import assert from "node:assert/strict";
import type * as tfTypes from "@tensorflow/tfjs-core";
import { createCpuEngine } from "./mod.ts";

Deno.test("createCpuEngine() runs fused units on tfjs's cpu backend and names its threads", async () => {
  const engine = await createCpuEngine({ threads: 1 });
  const tf = engine.tf;
  assert.equal(engine.name, "cpu");
  assert.equal(tf.getBackend(), "cpu");
  assert.match(engine.description, /\(1 threads\)/);
  const x = tf.tensor5d([-1, 2, -3, 4, 5, -6, 7, -8], [1, 2, 2, 2, 1]);
  const y = engine.ops.relu(x);
  const p = engine.ops.maxPool3d(y, 2);
  assert.deepEqual([...p.dataSync()], [7]);
  const g = tf.grad((a: tfTypes.Tensor) =>
    engine.ops.maxPool3d(engine.ops.relu(a as tfTypes.Tensor5D), 2).sum()
  )(x);
  assert.deepEqual([...g.dataSync()], [0, 0, 0, 0, 0, 0, 1, 0]);
  tf.dispose([x, y, p, g]);
  engine.dispose();
});
