import assert from "node:assert/strict";
import type * as tfTypes from "@tensorflow/tfjs-core";
import { createTfjsCpuEngine } from "./tfjs_cpu.ts";

Deno.test("createTfjsCpuEngine() runs plain ops on tfjs's cpu backend", async () => {
  const engine = await createTfjsCpuEngine();
  assert.equal(engine.name, "tfjs-cpu");
  assert.equal(engine.tf.getBackend(), "cpu");
  assert.match(engine.description, /^tfjs 4\.22\.0 cpu backend/);
  const a = engine.tf.ones([1, 1, 1, 1, 2]) as tfTypes.Tensor5D;
  const c = engine.ops.concatChannels([a, a]);
  assert.deepEqual(c.shape, [1, 1, 1, 1, 4]);
  engine.tf.dispose([a, c]);
  engine.dispose();
});
