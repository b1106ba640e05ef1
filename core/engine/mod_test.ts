import assert from "node:assert/strict";
import type * as tfTypes from "@tensorflow/tfjs-core";
import { ConfigError } from "../errors.ts";
import { createRecorder } from "../logger.ts";
import { createEngine } from "./mod.ts";
import type { EngineName } from "./engine.ts";

Deno.test("createEngine() makes the tfjs-cpu engine with gradients and chained ops", async () => {
  const { logger, records } = createRecorder();
  const engine = await createEngine("tfjs-cpu", { logger });
  assert.equal(engine.name, "tfjs-cpu");
  assert.equal(engine.tf.getBackend(), "cpu");
  const x = engine.tf.tensor([1, -2, 3]);
  const sum = x.sum();
  assert.equal(sum.dataSync()[0], 2);
  const g = engine.tf.grad((a: tfTypes.Tensor) => engine.tf.relu(a).sum())(x);
  assert.deepEqual([...g.dataSync()], [1, 0, 1]);
  assert.ok(records.some((r) => r.message.startsWith('engine "tfjs-cpu"')));
  engine.tf.dispose([x, sum, g]);
  engine.dispose();
});

Deno.test("createEngine() rejects unknown names and bad thread counts", async () => {
  await assert.rejects(
    () => createEngine("gpu" as EngineName),
    (error: unknown) =>
      error instanceof ConfigError &&
      /train\.engine: Unknown engine "gpu", expected one of "cpu", "webgpu", "tensorflow", "tfjs-cpu"/
        .test(error.message),
  );
  await assert.rejects(
    () => createEngine("cpu", { threads: 0 }),
    /Cannot create engine "cpu": threads is "0", expected an integer >= 1/,
  );
});

Deno.test("createEngine() makes the cpu engine and releases its sessions on dispose", async () => {
  const engine = await createEngine("cpu", { threads: 1 });
  assert.equal(engine.name, "cpu");
  assert.match(engine.description, /onnxruntime-node 1\.30\.0 \(1 threads\)/);
  const tf = engine.tf;
  const x = tf.ones([1, 2, 2, 2, 1]) as tfTypes.Tensor5D;
  const conv = {
    filter: tf.variable(tf.ones([1, 1, 1, 1, 2])) as tfTypes.Variable<
      tfTypes.Rank.R5
    >,
    bias: null,
    strides: 1,
    padding: "same" as const,
  };
  const y = engine.ops.conv3d(x, conv);
  assert.deepEqual([...y.dataSync()], new Array(16).fill(1));
  engine.dispose();
  tf.dispose([x, y, conv.filter]);
});
