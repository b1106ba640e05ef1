import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { createOnnxModelBuilder } from "../../onnx/builder.ts";
import { createOrtSession, ORT_VERSION, ortTensor } from "./ort_binding.ts";

function addOneModel(): Uint8Array {
  const g = createOnnxModelBuilder();
  const x = g.input("x", ["n"]);
  const one = g.initializer("one", [1], new Float32Array([1]));
  const [y] = g.node("Add", [x, one]);
  g.output(y, ["n"]);
  return g.toBytes();
}

Deno.test("the installed onnxruntime-node is the pinned version", () => {
  const require = createRequire(import.meta.url);
  const pkg = require("onnxruntime-node/package.json") as { version: string };
  assert.equal(pkg.version, ORT_VERSION);
});

Deno.test("createOrtSession() loads a model and runs it synchronously", () => {
  const session = createOrtSession(addOneModel(), { threads: 1 });
  assert.deepEqual(session.inputNames, ["x"]);
  assert.deepEqual(session.outputNames, ["Add_0"]);
  const out = session.run({
    x: ortTensor(new Float32Array([1, 2, 3]), [3]),
  });
  assert.deepEqual([...out.Add_0.data], [2, 3, 4]);
  session.dispose();
});

Deno.test("createOrtSession() writes pre-allocated outputs in place", () => {
  const session = createOrtSession(addOneModel(), { threads: 1 });
  const target = new Float32Array(2);
  session.run(
    { x: ortTensor(new Float32Array([5, -1]), [2]) },
    { Add_0: ortTensor(target, [2]) },
  );
  assert.deepEqual([...target], [6, 0]);
  session.dispose();
});

Deno.test("createOrtSession() rejects bad input with a clear error", () => {
  const session = createOrtSession(addOneModel(), { threads: 1 });
  assert.throws(
    () => session.run({}),
    /Cannot run ORT session: input "x" is missing, expected feeds for "x"/,
  );
  assert.throws(
    () => session.run({ x: ortTensor(new Float32Array(4), [2, 2]) }),
    /Cannot run ORT session: .*(rank|dimensions)/i,
  );
  assert.throws(
    () => session.run({ x: ortTensor(new Float32Array(1), [1]) }, ["y"]),
    /output "y" does not exist, expected one of "Add_0"/,
  );
  assert.throws(
    () => ortTensor(new Float32Array(3), [2, 2]),
    /dims \[2, 2\] hold 4 values, expected 3/,
  );
  assert.throws(
    () => createOrtSession(new Uint8Array([1, 2, 3])),
    /Cannot load ONNX model \(3 bytes\) into onnxruntime/,
  );
  session.dispose();
  assert.throws(
    () => session.run({ x: ortTensor(new Float32Array(1), [1]) }),
    /it has been disposed/,
  );
});

Deno.test("createOrtSession() accepts its threading and memory options", () => {
  const session = createOrtSession(addOneModel(), {
    threads: 2,
    arena: false,
    spin: false,
    optimization: "basic",
  });
  const out = session.run({ x: ortTensor(new Float32Array([0.5]), [1]) });
  assert.deepEqual([...out.Add_0.data], [1.5]);
  session.dispose();
});
