import assert from "node:assert/strict";
import { join } from "node:path";
import type { NamedWeights } from "../backbone.ts";
import {
  decodeCheckpoint,
  encodeCheckpoint,
  readCheckpoint,
  writeCheckpoint,
} from "./checkpoint.ts";

function sample(): NamedWeights {
  return new Map([
    ["conv.filter", {
      shape: [3, 1, 2],
      data: new Float32Array([1, -2, 3.5, 1e-8, -0, 7]),
    }],
    ["bn.mean", { shape: [1], data: new Float32Array([0.25]) }],
    ["empty", { shape: [0], data: new Float32Array(0) }],
  ]);
}

Deno.test("encodeCheckpoint() and decodeCheckpoint() round-trip tensors and meta", () => {
  const meta = { step: 12, rng: [1, 2, 3, 4], nested: { a: "b" } };
  const decoded = decodeCheckpoint(
    encodeCheckpoint({ meta, tensors: sample() }),
    "c",
  );
  assert.deepEqual(decoded.meta, meta);
  assert.deepEqual([...decoded.tensors.keys()], [
    "conv.filter",
    "bn.mean",
    "empty",
  ]);
  for (const [name, t] of sample()) {
    const got = decoded.tensors.get(name)!;
    assert.deepEqual(got.shape, t.shape);
    assert.deepEqual([...got.data], [...t.data]);
  }
});

Deno.test("decodeCheckpoint() rejects truncated and foreign files, naming them", () => {
  const bytes = encodeCheckpoint({ meta: {}, tensors: sample() });
  assert.throws(
    () => decodeCheckpoint(bytes.subarray(0, bytes.length - 4), "run/ck.bin"),
    /Cannot read "run\/ck\.bin": field "data" is \d+ bytes, expected \d+ bytes of float32 data \(truncated or corrupt file\)/,
  );
  assert.throws(
    () => decodeCheckpoint(new TextEncoder().encode("hello world!!"), "x.bin"),
    /Cannot read "x\.bin": not a Pleura checkpoint/,
  );
  assert.throws(
    () =>
      encodeCheckpoint({
        meta: {},
        tensors: new Map([["w", { shape: [3], data: new Float32Array(2) }]]),
      }),
    /shape \[3\] holds 3 values, data has 2/,
  );
});

Deno.test("writeCheckpoint() replaces the file atomically and leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "ck.bin");
    writeCheckpoint(path, { meta: { step: 1 }, tensors: sample() });
    writeCheckpoint(path, { meta: { step: 2 }, tensors: sample() });
    assert.equal((await readCheckpoint(path)).meta.step, 2);
    const names = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.deepEqual(names, ["ck.bin"]);
    await assert.rejects(
      () => readCheckpoint(join(dir, "missing.bin")),
      /missing\.bin": missing or unreadable, expected a checkpoint file/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
