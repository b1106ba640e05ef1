import assert from "node:assert/strict";
import { join } from "node:path";
import {
  countNaN,
  decodeElements,
  encodeElements,
  swapBytes,
  writeFilesAtomic,
} from "./_util.ts";

Deno.test("swapBytes() reverses 2-, 4- and 8-byte elements in place", () => {
  const b2 = new Uint8Array([1, 2, 3, 4]);
  swapBytes(b2, 2);
  assert.deepEqual(Array.from(b2), [2, 1, 4, 3]);
  const b4 = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  swapBytes(b4, 4);
  assert.deepEqual(Array.from(b4), [4, 3, 2, 1, 8, 7, 6, 5]);
  const b8 = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  swapBytes(b8, 8);
  assert.deepEqual(Array.from(b8), [8, 7, 6, 5, 4, 3, 2, 1]);
});

Deno.test("decodeElements() reads big-endian values at an unaligned offset", () => {
  const bytes = new Uint8Array(1 + 4);
  const view = new DataView(bytes.buffer);
  view.setInt16(1, -2, false);
  view.setInt16(3, 300, false);
  const out = decodeElements(bytes, 1, 2, Int16Array, true);
  assert.deepEqual(Array.from(out), [-2, 300]);
  // encodeElements() is its inverse and leaves the source untouched.
  const source = new Int16Array([-2, 300]);
  assert.deepEqual(Array.from(encodeElements(source, true)), [255, 254, 1, 44]);
  assert.deepEqual(Array.from(source), [-2, 300]);
});

Deno.test("countNaN() counts NaN voxels of float arrays only", () => {
  assert.equal(countNaN(new Float32Array([NaN, 1, NaN, Infinity])), 2);
  assert.equal(countNaN(new Float64Array([0, NaN])), 1);
  assert.equal(countNaN(new Int16Array([0, 1])), 0);
});

Deno.test("writeFilesAtomic() leaves no temporary file when a write fails", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pleura_util_" });
  try {
    await assert.rejects(
      writeFilesAtomic([
        { path: join(dir, "a.raw"), bytes: new Uint8Array([1]) },
        { path: join(dir, "missing", "b.mhd"), bytes: new Uint8Array([2]) },
      ]),
      Deno.errors.NotFound,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    await writeFilesAtomic([{
      path: join(dir, "c"),
      bytes: new Uint8Array([3]),
    }]);
    assert.deepEqual(Array.from(await Deno.readFile(join(dir, "c"))), [3]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
