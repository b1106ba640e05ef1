import assert from "node:assert/strict";
import { convPadding, dropoutMask } from "./_checks.ts";

Deno.test("convPadding() follows TensorFlow's 'same' and 'valid' rules", () => {
  assert.deepEqual(convPadding(64, 3, 1, "same"), [64, 1, 1]);
  assert.deepEqual(convPadding(64, 3, 2, "same"), [32, 0, 1]);
  assert.deepEqual(convPadding(7, 3, 2, "same"), [4, 1, 1]);
  assert.deepEqual(convPadding(7, 3, 2, "valid"), [3, 0, 0]);
  assert.deepEqual(convPadding(5, 1, 2, "same"), [3, 0, 0]);
});

Deno.test("dropoutMask() keeps about 1 − rate, scaled by 1/(1 − rate), reproducibly", () => {
  const a = dropoutMask([2, 10, 10, 10, 8], 0.25, false, 5);
  const b = dropoutMask([2, 10, 10, 10, 8], 0.25, false, 5);
  assert.deepEqual(a.values, b.values);
  const kept = a.values.filter((v) => v !== 0);
  assert.ok(kept.every((v) => Math.abs(v - 4 / 3) < 1e-6));
  const fraction = kept.length / a.values.length;
  assert.ok(Math.abs(fraction - 0.75) < 0.02, `kept ${fraction}`);
  const c = dropoutMask([3, 4, 4, 4, 5], 0.5, true, 5);
  assert.deepEqual(c.shape, [3, 1, 1, 1, 5]);
  assert.equal(c.values.length, 15);
  assert.notDeepEqual(
    dropoutMask([1, 1, 1, 1, 64], 0.5, true, 6).values,
    dropoutMask([1, 1, 1, 1, 64], 0.5, true, 7).values,
  );
});
