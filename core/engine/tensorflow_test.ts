import assert from "node:assert/strict";
import {
  createTensorflowEngine,
  tensorflowInstallHint,
  tensorflowPackage,
} from "./tensorflow.ts";

Deno.test("createTensorflowEngine() explains how to install a missing tfjs-node", async () => {
  const asked: string[] = [];
  const missing = (specifier: string) => {
    asked.push(specifier);
    return Promise.reject(new Error(`Could not find package "${specifier}"`));
  };
  await assert.rejects(
    () => createTensorflowEngine({}, missing),
    (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.equal(
        error.message,
        'Cannot create engine "tensorflow": package "@tensorflow/tfjs-node" could not be loaded; install it on a machine with internet access (its install script downloads libtensorflow): add "@tensorflow/tfjs-node": "npm:@tensorflow/tfjs-node@4.22.0" to deno.json "imports", run `deno install --allow-scripts=npm:@tensorflow/tfjs-node`, or use engine "cpu"',
      );
      assert.match(String(error.cause), /Could not find package/);
      return true;
    },
  );
  await assert.rejects(
    () => createTensorflowEngine({ gpu: true }, missing),
    /package "@tensorflow\/tfjs-node-gpu" could not be loaded; .*downloads libtensorflow with CUDA/,
  );
  assert.deepEqual(asked, [
    "npm:@tensorflow/tfjs-node",
    "npm:@tensorflow/tfjs-node-gpu",
  ]);
});

Deno.test("createTensorflowEngine() reports a backend that does not start", async () => {
  const broken = () =>
    Promise.resolve({ setBackend: () => Promise.resolve(false) });
  await assert.rejects(
    () => createTensorflowEngine({}, broken),
    /"@tensorflow\/tfjs-node" loaded but its "tensorflow" backend did not start/,
  );
});

Deno.test("tensorflowPackage() and tensorflowInstallHint() name the right package", () => {
  assert.equal(tensorflowPackage(true), "@tensorflow/tfjs-node-gpu");
  assert.match(
    tensorflowInstallHint(false),
    /"npm:@tensorflow\/tfjs-node@4\.22\.0"/,
  );
});
