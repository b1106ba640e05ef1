import assert from "node:assert/strict";
import { createOnnxModelBuilder } from "../../onnx/builder.ts";
import { createScratch, createSessionCache, runInto } from "./sessions.ts";

function scaleModel(factor: number): { model: Uint8Array; names: string } {
  const g = createOnnxModelBuilder();
  const x = g.input("x", ["n"]);
  const [y] = g.node("Mul", [
    x,
    g.initializer("f", [1], new Float32Array([factor])),
  ]);
  g.output(y, ["n"]);
  return { model: g.toBytes(), names: y };
}

Deno.test("createSessionCache() builds each key once and evicts the least recently used", () => {
  const cache = createSessionCache({ threads: 1, maxSessions: 2 });
  let builds = 0;
  const get = (factor: number) =>
    cache.get(`scale|${factor}`, () => {
      builds++;
      return scaleModel(factor);
    });
  const two = get(2);
  assert.equal(get(2), two);
  get(3);
  get(2); // 2 is now the most recent
  get(4); // evicts 3
  assert.equal(cache.size, 2);
  assert.equal(builds, 3);
  get(3);
  assert.equal(builds, 4);
  assert.equal(cache.created, 4);
  const out = new Float32Array(2);
  const kernel = get(3);
  runInto(kernel.session, { x: [new Float32Array([1, 2]), [2]] }, {
    [kernel.names]: [out, [2]],
  });
  assert.deepEqual([...out], [3, 6]);
  cache.dispose();
  assert.equal(cache.size, 0);
  assert.throws(
    () => kernel.session.run({}),
    /it has been disposed/,
  );
});

Deno.test("createScratch() reuses buffers per name and grows them on demand", () => {
  const scratch = createScratch(1024);
  assert.equal(scratch.chunkBytes, 1024);
  const a = scratch.get("taps", 10);
  assert.equal(scratch.get("taps", 8), a);
  const b = scratch.get("taps", 20);
  assert.notEqual(b, a);
  assert.ok(b.length >= 20);
  scratch.get("grads", 5);
  assert.equal(scratch.bytes, (20 + 5) * 4);
  scratch.clear();
  assert.equal(scratch.bytes, 0);
});
