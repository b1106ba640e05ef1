import assert from "node:assert/strict";
import type { ScoredCube } from "../anchor_head.ts";
import type { PreparedScan } from "./crops.ts";
import { mineHardExamples } from "./mining.ts";

const scan = (nodules: PreparedScan["nodules"]): PreparedScan => ({
  seriesuid: "s",
  image: new Uint8Array(1),
  shape: [1, 1, 1],
  nodules,
});

Deno.test("mineHardExamples() keeps the top false positives and repeats missed nodules", () => {
  const scans = [
    scan([{ voxel: [10, 10, 10], diameter: 6 }, {
      voxel: [50, 50, 50],
      diameter: 10,
    }]),
    scan([]),
  ];
  const box = (z: number, score: number, diameter = 5): ScoredCube => ({
    voxel: [z, 10, 10],
    diameter,
    score,
  });
  const detections = [
    [
      box(12, 3), // hits nodule 1 (distance 2 < 3)
      box(13, 2.5), // distance exactly 3: a miss, so a false positive
      box(30, 1),
      box(40, -2), // below minLogit: not mined
    ],
    [box(20, 0.5), box(21, 0.7), box(22, 0.9)],
  ];
  const result = mineHardExamples(scans, detections, {
    fpPerScan: 2,
    minLogit: 0,
    missedCopies: 3,
  });
  assert.deepEqual(result.summary, {
    scans: 2,
    detections: 7,
    falsePositives: 6,
    hardNegatives: 4,
    nodules: 2,
    missed: 1,
  });
  const hard = result.entries.filter((e) => e.kind === "hard_negative");
  assert.deepEqual(hard.map((e) => [e.scan, e.centre[0]]), [
    [0, 13],
    [0, 30],
    [1, 22],
    [1, 21],
  ]);
  const missed = result.entries.filter((e) => e.kind === "nodule");
  assert.equal(missed.length, 3);
  assert.ok(missed.every((e) => e.centre[0] === 50 && e.diameter === 10));
});

Deno.test("mineHardExamples() counts a low-scoring hit as a miss", () => {
  const result = mineHardExamples(
    [scan([{ voxel: [0, 0, 0], diameter: 8 }])],
    [[{ voxel: [1, 0, 0], diameter: 8, score: -1.5 }]],
    { fpPerScan: 5, minLogit: -1, missedCopies: 1 },
  );
  assert.equal(result.summary.missed, 1);
  assert.equal(result.summary.falsePositives, 0);
  assert.equal(result.entries.length, 1);
});
