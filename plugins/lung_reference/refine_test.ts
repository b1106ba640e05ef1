import assert from "node:assert/strict";
import { createVolume } from "../../core/mod.ts";
import { growIntoRim } from "./refine.ts";

Deno.test("growIntoRim() grows a given number of 6-connected steps into voxels below the threshold", () => {
  // One row of 10 voxels: lung at x = 0, then HU −700 ×4, then −100, then −700.
  const hu = new Int16Array([
    -900,
    -700,
    -700,
    -700,
    -700,
    -100,
    -700,
    -700,
    -700,
    -700,
  ]);
  const volume = createVolume(hu, [1, 1, 10]);
  for (const steps of [0, 1, 3, 6]) {
    const lung = new Uint8Array(10);
    lung[0] = 1;
    const added = growIntoRim(volume, lung, null, -500, steps);
    // Growth stops at the −100 HU voxel (x = 5) whatever the steps.
    const expected = Math.min(steps, 4);
    assert.equal(added, expected, `steps ${steps}`);
    assert.deepEqual(
      [...lung],
      [...Array(10).keys()].map((x) => x <= expected ? 1 : 0),
    );
  }
});

Deno.test("growIntoRim() never enters the other lung", () => {
  const hu = new Int16Array(9).fill(-800);
  const volume = createVolume(hu, [1, 3, 3]);
  const lung = new Uint8Array(9), other = new Uint8Array(9);
  lung[4] = 1;
  other[1] = other[3] = 1;
  assert.equal(growIntoRim(volume, lung, other, -500, 1), 2);
  assert.deepEqual([...lung], [0, 0, 0, 0, 1, 1, 0, 1, 0]);
});
