import assert from "node:assert/strict";
import { createRng } from "../random.ts";
import { SliceNoise } from "./noise.ts";

Deno.test("SliceNoise adds zero-mean noise of the requested SD and lag-1 correlation", () => {
  const n = 256, sd = 25, rho = 0.45;
  const noise = new SliceNoise(createRng(5), n, { sdHu: sd, correlation: rho });
  const slice = new Float32Array(n * n);
  let sum = 0, sum2 = 0, cx = 0, cy = 0, count = 0;
  for (let s = 0; s < 4; s++) {
    slice.fill(0);
    noise.addTo(slice, n, n);
    for (let y = 1; y < n; y++) {
      for (let x = 1; x < n; x++) {
        const v = slice[y * n + x];
        sum += v;
        sum2 += v * v;
        cx += v * slice[y * n + x - 1];
        cy += v * slice[(y - 1) * n + x];
        count++;
      }
    }
  }
  const mean = sum / count, variance = sum2 / count - mean * mean;
  assert.ok(Math.abs(mean) < 1, `mean ${mean}`);
  assert.ok(
    Math.abs(Math.sqrt(variance) - sd) < 0.05 * sd,
    `sd ${Math.sqrt(variance)}`,
  );
  // An AR(1) process along x and y has correlation rho at lag 1 on both axes.
  assert.ok(
    Math.abs(cx / count / variance - rho) < 0.03,
    `x correlation ${cx / count / variance}`,
  );
  assert.ok(
    Math.abs(cy / count / variance - rho) < 0.03,
    `y correlation ${cy / count / variance}`,
  );
});

Deno.test("SliceNoise is deterministic per seed and changes from slice to slice", () => {
  const make = () =>
    new SliceNoise(createRng(9), 16, { sdHu: 10, correlation: 0.3 });
  const a = make(), b = make();
  const sa = new Float32Array(256), sb = new Float32Array(256);
  a.addTo(sa, 16, 16);
  b.addTo(sb, 16, 16);
  assert.deepEqual(sa, sb);
  const next = new Float32Array(256);
  a.addTo(next, 16, 16);
  assert.notDeepEqual(next, sa);
});

Deno.test("SliceNoise rejects bad settings and slices of the wrong width", () => {
  assert.throws(
    () => new SliceNoise(createRng(1), 8, { sdHu: -1, correlation: 0 }),
    /sdHu is -1, expected a value >= 0/,
  );
  assert.throws(
    () => new SliceNoise(createRng(1), 8, { sdHu: 1, correlation: 0.99 }),
    /correlation is 0.99, expected a value in \[0, 0.95\]/,
  );
  const noise = new SliceNoise(createRng(1), 8, { sdHu: 1, correlation: 0 });
  assert.throws(
    () => noise.addTo(new Float32Array(64), 16, 4),
    /Cannot add noise: slice is 16x4 \(64 values\), expected width 8/,
  );
});
