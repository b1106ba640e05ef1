import assert from "node:assert/strict";
import { join } from "node:path";
import type { AnchorHead, ScoredCube } from "../anchor_head.ts";
import { readCandidatesCsv } from "../dataset/luna16.ts";
import { writeVolume } from "../io/mod.ts";
import { createRecorder } from "../logger.ts";
import { emptyLungMasks, lungMasksFrom } from "../lung_masks.ts";
import type { Segmenter } from "../segmenter.ts";
import { createVolume, cubeIou, type Volume, type Zyx } from "../volume.ts";
import { createRng } from "../random.ts";
import { BLOB_CHANNEL_OPTIONS, blobResponse } from "../blob_filter.ts";
import { readPreprocessed } from "../preprocess_cache.ts";
import {
  nmsTopKept,
  predictDataset,
  predictPreprocessed,
  predictScanDetailed,
} from "./predict.ts";

const ANCHORS = [10, 30, 60];
const STRIDE = 4;

/**
 * A test head with the reference decoding (§3.4) and greedy NMS (§3.5),
 * written out plainly; the network and layers are never used here.
 */
const testHead: AnchorHead = {
  anchors: ANCHORS,
  stride: STRIDE,
  countParameters: () => 0,
  build: () => {
    throw new Error("not used");
  },
  exportOnnx: () => {
    throw new Error("not used");
  },
  targets: () => {
    throw new Error("not used");
  },
  decode(output, grid, minLogit) {
    const boxes: ScoredCube[] = [];
    let i = 0;
    for (let z = 0; z < grid[0]; z++) {
      for (let y = 0; y < grid[1]; y++) {
        for (let x = 0; x < grid[2]; x++) {
          for (const a of ANCHORS) {
            const [logit, dz, dy, dx, dd] = output.subarray(i, i + 5);
            i += 5;
            if (!(logit > minLogit)) continue;
            boxes.push({
              voxel: [
                1.5 + 4 * z + dz * a,
                1.5 + 4 * y + dy * a,
                1.5 + 4 * x + dx * a,
              ],
              diameter: a * Math.exp(dd),
              score: logit,
            });
          }
        }
      }
    }
    return boxes;
  },
  nms(boxes, threshold) {
    const kept: ScoredCube[] = [];
    for (const box of [...boxes].sort((a, b) => b.score - a.score)) {
      if (kept.every((k) => cubeIou(k, box) < threshold)) kept.push(box);
    }
    return kept;
  },
};

/** One firing output cell: global grid cell, anchor index, values. */
interface Firing {
  cell: Zyx;
  anchor: number;
  values: [number, number, number, number, number];
}

/**
 * A fake network that fires on given global cells. A patch does not know
 * where it lies, but its coord input does: cell g of an axis with n cells
 * has coord −0.5 + g/(n − 1), so g is recovered from it.
 */
function firingNetwork(shape: Zyx, firings: Firing[], calls: Zyx[] = []) {
  const full = shape.map((L) => Math.ceil(L / STRIDE));
  return (_image: Float32Array, coord: Float32Array, size: Zyx) => {
    calls.push(size);
    const cells = size.map((n) => n / STRIDE);
    const count = cells[0] * cells[1] * cells[2];
    const out = new Float32Array(count * 15);
    for (let c = 0; c < count; c++) {
      for (let a = 0; a < 3; a++) out[c * 15 + a * 5] = -10;
      const g = [0, 1, 2].map((axis) =>
        Math.round((coord[c * 3 + axis] + 0.5) * (full[axis] - 1))
      );
      for (const f of firings) {
        if (f.cell.every((v, axis) => v === g[axis])) {
          out.set(f.values, c * 15 + f.anchor * 5);
        }
      }
    }
    return out;
  };
}

const SETTINGS = {
  side: 32,
  margin: 16,
  min_logit: -3,
  nms_iou: 0.1,
  max_marks_per_scan: 100,
};

Deno.test("predictPreprocessed() decodes a firing cell to its voxel and drops boxes outside the scan", async () => {
  const shape: Zyx = [40, 40, 38];
  const image = new Uint8Array(40 * 40 * 38).fill(60);
  const firings: Firing[] = [
    // Anchor 30 at cell (3, 5, 7): centre 1.5 + 4·(3, 5, 7) + 30·(0.1, 0, −0.2),
    // diameter 30·e^ln(0.5) = 15.
    { cell: [3, 5, 7], anchor: 1, values: [5, 0.1, 0, -0.2, Math.log(0.5)] },
    // A weaker 15 mm box 1 voxel further in z (anchor 60, dz = 4/60): cube
    // IoU with the first 14·15² / (2·15³ − 14·15²) = 0.875, dropped by NMS.
    {
      cell: [3, 5, 7],
      anchor: 2,
      values: [4, 4 / 60, 0, -0.1, Math.log(0.25)],
    },
    // Below min_logit: never decoded.
    { cell: [6, 6, 6], anchor: 0, values: [-3, 0, 0, 0, 0] },
    // The last cell in x (9 of 10, centre 37.5): with dx = −0.1 · 10 it is at
    // 36.5, inside. The padded cells 10 and 11 replicate its coord and fire
    // too, at 40.5 and 44.5: outside the scan (x < 37.5), so dropped.
    { cell: [1, 1, 9], anchor: 0, values: [2, 0, 0, -0.1, 0] },
  ];
  const calls: Zyx[] = [];
  const recorder = createRecorder();
  const result = await predictPreprocessed(image, shape, {
    head: testHead,
    runPatch: firingNetwork(shape, firings, calls),
    eval: SETTINGS,
    logger: recorder.logger,
  });
  // 40 → 2 patches of 32 (z, y); 38 → 2 of 32 (x): 8 patches of 64³.
  assert.equal(result.patchesRun, 8);
  assert.deepEqual(calls[0], [64, 64, 64]);
  assert.equal(result.candidates, 3);
  assert.equal(result.boxes.length, 2);
  const [first, second] = result.boxes;
  assert.equal(first.score, 5);
  for (let axis = 0; axis < 3; axis++) {
    assert.ok(Math.abs(first.voxel[axis] - [16.5, 21.5, 23.5][axis]) < 1e-5);
    assert.ok(Math.abs(second.voxel[axis] - [5.5, 5.5, 36.5][axis]) < 1e-5);
  }
  assert.ok(Math.abs(first.diameter - 15) < 1e-5);
  assert.equal(second.score, 2);
  assert.ok(
    recorder.records.some((r) =>
      r.message === "Split-combine" && r.data?.patchesRun === 8
    ),
  );
});

Deno.test("predictPreprocessed() needs a network", async () => {
  await assert.rejects(
    () =>
      predictPreprocessed(new Uint8Array(16 ** 3), [16, 16, 16], {
        head: testHead,
        eval: SETTINGS,
      }),
    {
      name: "TypeError",
      message:
        "Cannot predict scan: no network, expected a model (an exported ONNX detector) or a runPatch function",
    },
  );
});

/**
 * A 24×60×60 scan at 2.5 × 0.8 × 0.8 mm, stored flipped in x and y as some
 * LUNA16 scans are, with a block of lung (−800 HU) at z 10–17, y 20–39,
 * x 25–49 in soft tissue (40 HU), or no lung at all.
 */
function testScan(withLung = true): Volume<Int16Array> {
  const shape: Zyx = [24, 60, 60];
  const data = new Int16Array(24 * 60 * 60).fill(40);
  if (withLung) {
    for (let z = 10; z < 18; z++) {
      for (let y = 20; y < 40; y++) {
        data.fill(-800, (z * 60 + y) * 60 + 25, (z * 60 + y) * 60 + 50);
      }
    }
  }
  return createVolume(data, shape, {
    spacingMm: [2.5, 0.8, 0.8],
    originMm: [-100, 20, -30],
    direction: [1, 0, 0, 0, -1, 0, 0, 0, -1],
  });
}

/** Segments voxels below -500 HU as one lung (or nothing, when told so). */
function thresholdSegmenter(empty = false): Segmenter {
  return {
    segment(volume) {
      if (empty) {
        return Promise.resolve(
          emptyLungMasks(volume, "threshold", "no air in the scan"),
        );
      }
      const lung = new Uint8Array(volume.data.length);
      for (let i = 0; i < lung.length; i++) {
        lung[i] = volume.data[i] < -500 ? 1 : 0;
      }
      return Promise.resolve(
        lungMasksFrom(
          volume,
          lung,
          new Uint8Array(lung.length),
          "threshold",
          [],
        ),
      );
    },
  };
}

Deno.test("predictScanDetailed() returns an explicit empty result when no lung is found", async () => {
  const recorder = createRecorder();
  const calls: Zyx[] = [];
  const result = await predictScanDetailed(testScan(), {
    segmenter: thresholdSegmenter(true),
    head: testHead,
    runPatch: firingNetwork([16, 16, 16], [], calls),
    eval: SETTINGS,
    seriesuid: "empty-1",
    logger: recorder.logger,
  });
  assert.deepEqual(result.detections, []);
  assert.equal(result.emptyReason, "no air in the scan");
  assert.equal(result.patchesRun, 0);
  assert.equal(calls.length, 0);
  const warning = recorder.records.find((r) => r.level === "warn");
  assert.equal(
    warning?.message,
    'No lung found in "empty-1": no air in the scan; 0 detections',
  );
});

Deno.test("predictScanDetailed() maps a kept box through the preprocessed grid to world mm", async () => {
  const volume = testScan();
  // Preprocessing (1 mm, reference margins 5 below, 10 above): the lung's
  // voxel box [10, 17] × [20, 39] × [25, 49] times spacing, floored, gives
  // the crop start (25 − 5, 16 − 5, 20 − 5) = (20, 11, 15) and end
  // (42 + 10, 31 + 10, min(48, 39 + 10)) = (52, 41, 48): shape [32, 30, 33].
  const shape: Zyx = [32, 30, 33];
  const recorder = createRecorder();
  const result = await predictScanDetailed(volume, {
    segmenter: thresholdSegmenter(),
    head: testHead,
    runPatch: firingNetwork(shape, [
      { cell: [2, 3, 4], anchor: 0, values: [1.5, 0, 0.05, 0, Math.log(0.8)] },
    ]),
    eval: SETTINGS,
    seriesuid: "s1",
    logger: recorder.logger,
  });
  assert.deepEqual(result.preprocessedShape, shape);
  assert.equal(result.detections.length, 1);
  const [d] = result.detections;
  // Cell (2, 3, 4) → preprocessed voxel (9.5, 13.5 + 0.5, 17.5); on the full
  // 1 mm grid (29.5, 25, 32.5) mm from the origin along the direction,
  // which reverses y and x.
  const expected = [-100 + 29.5, 20 - 25, -30 - 32.5];
  for (let axis = 0; axis < 3; axis++) {
    assert.ok(
      Math.abs(d.worldMm[axis] - expected[axis]) < 1e-4,
      `axis ${axis}: ${d.worldMm[axis]} vs ${expected[axis]}`,
    );
  }
  assert.deepEqual(
    result.boxes[0].voxel.map((v) => Math.round(v * 1e4) / 1e4),
    [
      9.5,
      14,
      17.5,
    ],
  );
  assert.equal(d.seriesuid, "s1");
  assert.ok(Math.abs(d.diameterMm - 8) < 1e-5);
  assert.equal(d.score, 1.5);
  const info = recorder.records.find((r) =>
    r.level === "info" && r.message.startsWith('Predicted "s1"')
  );
  assert.match(
    info?.message ?? "",
    /^Predicted "s1": 1 detections in [\d.]+ s \(segment [\d.]+, preprocess [\d.]+, network [\d.]+, decode\+NMS [\d.]+\)$/,
  );
  assert.ok(result.timings.totalMs >= result.timings.networkMs);
});

Deno.test("predictDataset() reads each scan, reports progress per scan and writes the LUNA16 CSV", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeVolume(join(dir, "a.mhd"), testScan());
    await writeVolume(join(dir, "b.mhd"), testScan(false));
    const recorder = createRecorder();
    const out = join(dir, "candidates.csv");
    const result = await predictDataset([
      { seriesuid: "a", imagePath: join(dir, "a.mhd") },
      { seriesuid: "b", imagePath: join(dir, "b.mhd") },
    ], {
      segmenter: thresholdSegmenter(),
      head: testHead,
      runPatch: firingNetwork([32, 30, 33], [
        { cell: [1, 1, 1], anchor: 0, values: [0.5, 0, 0, 0, 0] },
        { cell: [5, 4, 6], anchor: 1, values: [2, 0, 0, 0, 0] },
      ]),
      eval: { ...SETTINGS, nms_iou: 0.5 },
      progress: recorder.progress,
      out,
      diameter: true,
    });
    assert.equal(result.detections.length, 2);
    assert.deepEqual(result.scans.map((s) => s.emptyReason), [
      undefined,
      "no lung was found",
    ]);
    assert.ok(result.scans[0].timings.readMs > 0);
    const csv = await readCandidatesCsv(out);
    assert.deepEqual(csv.map((d) => [d.seriesuid, d.score]), [
      ["a", 2],
      ["a", 0.5],
    ]);
    for (let i = 0; i < 2; i++) {
      for (let axis = 0; axis < 3; axis++) {
        assert.ok(
          Math.abs(csv[i].worldMm[axis] - result.detections[i].worldMm[axis]) <
            1e-6,
        );
      }
    }
    assert.deepEqual(
      recorder.events.map((e) => e.kind === "step" ? e.done : e.kind),
      ["start", 1, 2, "end"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("predictDataset() with a cache folder preprocesses a scan once and predicts the same from the cache until its source changes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeVolume(join(dir, "a.mhd"), testScan());
    await writeVolume(join(dir, "b.mhd"), testScan(false));
    const segmented: string[] = [];
    const inner = thresholdSegmenter();
    const segmenter: Segmenter = {
      segment(volume) {
        segmented.push(volume.data.some((v) => v < 0) ? "a" : "b");
        return inner.segment(volume);
      },
    };
    const cacheDir = join(dir, "cache", "key");
    const predict = (recorder = createRecorder()) =>
      predictDataset([
        { seriesuid: "a", imagePath: join(dir, "a.mhd") },
        { seriesuid: "b", imagePath: join(dir, "b.mhd") },
      ], {
        segmenter,
        head: testHead,
        runPatch: firingNetwork([32, 30, 33], [
          { cell: [1, 1, 1], anchor: 0, values: [0.5, 0, 0, 0, 0] },
          { cell: [5, 4, 6], anchor: 1, values: [2, 0, 0, 0, 0] },
        ]),
        eval: { ...SETTINGS, nms_iou: 0.5 },
        cacheDir,
        logger: recorder.logger,
      });

    const first = await predict();
    assert.deepEqual(segmented, ["a", "b"]);
    assert.deepEqual(first.scans.map((s) => s.cached), [false, false]);
    assert.equal(first.detections.length, 2);
    // Only the scan with a lung gets an entry.
    assert.deepEqual(
      [...Deno.readDirSync(cacheDir)].map((e) => e.name).sort(),
      ["a.json", "a.mhd", "a.raw", "a_mask.mhd", "a_mask.raw"],
    );

    const recorder = createRecorder();
    const second = await predict(recorder);
    assert.deepEqual(segmented, ["a", "b", "b"]);
    assert.deepEqual(second.scans.map((s) => s.cached), [true, false]);
    assert.deepEqual(second.detections, first.detections);
    assert.deepEqual(second.scans[0].segmentation, first.scans[0].segmentation);
    assert.deepEqual(second.scans[0].preprocessedShape, [32, 30, 33]);
    assert.equal(second.scans[0].timings.segmentMs, 0);
    assert.match(
      recorder.records.find((r) => r.message.startsWith('Predicted "a"'))
        ?.message ?? "",
      /\(read from the preprocessing cache [\d.]+, network /,
    );

    // A rewritten source (a regenerated dataset under the same id) is
    // segmented again.
    const later = new Date(Date.now() + 60_000);
    await Deno.utime(join(dir, "a.raw"), later, later);
    const third = await predict();
    assert.deepEqual(segmented, ["a", "b", "b", "a", "b"]);
    assert.deepEqual(third.scans.map((s) => s.cached), [false, false]);
    assert.deepEqual(third.detections, first.detections);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("nmsTopKept() equals full NMS cut to the first maxKept boxes", () => {
  const rng = createRng(5);
  const boxes: ScoredCube[] = [];
  for (let i = 0; i < 9000; i++) {
    boxes.push({
      voxel: [rng.uniform(0, 60), rng.uniform(0, 60), rng.uniform(0, 60)],
      diameter: rng.uniform(3, 12),
      // Coarse scores: many ties, which must keep input order.
      score: Math.round(rng.normal() * 4) / 4,
    });
  }
  let calls = 0;
  const counting = {
    nms: (b: readonly ScoredCube[], t: number) => {
      calls++;
      return testHead.nms(b, t);
    },
  };
  const full = testHead.nms(boxes, 0.05);
  assert.ok(full.length > 300, `${full.length} kept`);
  for (const maxKept of [1, 100, 300, full.length + 5]) {
    assert.deepEqual(
      nmsTopKept(counting, boxes, 0.05, maxKept),
      full.slice(0, maxKept),
      `maxKept ${maxKept}`,
    );
  }
  assert.deepEqual(nmsTopKept(testHead, boxes, 0.05, 0), full);
  assert.deepEqual(nmsTopKept(testHead, [], 0.05, 10), []);
  // maxKept 1 and 100 look at the best 4096 boxes only (one call each).
  calls = 0;
  nmsTopKept(counting, boxes, 0.05, 100);
  assert.equal(calls, 1);
});

Deno.test("predictDataset() with blobChannel feeds the blob response as channel 1, the same computed or read from the cache", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // testScan's air box with a 0 HU ball (radius 4 mm) in it.
    const scan = testScan();
    const [, H, W] = scan.shape;
    for (let z = 10; z < 18; z++) {
      for (let y = 20; y < 40; y++) {
        for (let x = 25; x < 50; x++) {
          const d2 = ((z - 14) * 2.5) ** 2 + ((y - 30) * 0.8) ** 2 +
            ((x - 37) * 0.8) ** 2;
          if (d2 <= 16) scan.data[(z * H + y) * W + x] = 0;
        }
      }
    }
    await writeVolume(join(dir, "a.mhd"), scan);
    const cacheDir = join(dir, "cache", "key");
    const predict = async () => {
      const inputs: Float32Array[] = [];
      const network = firingNetwork([32, 30, 33], []);
      await predictDataset(
        [{ seriesuid: "a", imagePath: join(dir, "a.mhd") }],
        {
          segmenter: thresholdSegmenter(),
          head: testHead,
          runPatch: (image, coord, size) => {
            inputs.push(image);
            assert.equal(image.length, 2 * size[0] * size[1] * size[2]);
            return network(image, coord, size);
          },
          eval: SETTINGS,
          cacheDir,
          blobChannel: true,
        },
      );
      return inputs;
    };
    const computed = await predict();
    const cached = await predict();
    assert.deepEqual(cached, computed);
    const entry = await readPreprocessed(cacheDir, "a");
    assert.ok(entry);
    const blob = blobResponse(entry.image, entry.shape, BLOB_CHANNEL_OPTIONS);
    assert.deepEqual(await Deno.readFile(join(cacheDir, "a_blob.raw")), blob);
    const peak = Math.max(...blob);
    assert.ok(peak > 20, `the ball's response (peak ${peak})`);
    // Channel 1 carries the peak, normalised like the image.
    assert.ok(
      computed.some((input) =>
        input.some((v, i) => i % 2 === 1 && v === (peak - 128) / 128)
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
