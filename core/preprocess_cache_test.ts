import assert from "node:assert/strict";
import { join } from "node:path";
import { writeMetaImage } from "./io/metaimage.ts";
import { createRecorder, nullProgress } from "./logger.ts";
import { lungMasksFrom } from "./lung_masks.ts";
import {
  INFERENCE_PREPROCESS,
  preprocessScan,
  TRAINING_PREPROCESS,
} from "./preprocess.ts";
import { BLOB_CHANNEL_OPTIONS, blobResponse } from "./blob_filter.ts";
import {
  cachedBlobChannel,
  cachedScanPaths,
  preprocessCacheKey,
  preprocessDataset,
  readPreprocessed,
  writePreprocessed,
} from "./preprocess_cache.ts";
import type { LungMasks, Segmenter } from "./segmenter.ts";
import { chestPhantom } from "./testing/segmenter_contract.ts";
import type { Volume } from "./volume.ts";

// A segmenter that labels the phantom's lungs (voxels at −850 ± noise below
// −600 HU inside the body) and counts its calls.
function countingSegmenter(): Segmenter & { calls: number } {
  const s = {
    calls: 0,
    segment(volume: Volume): Promise<LungMasks> {
      s.calls++;
      const [, , nx] = volume.shape;
      const a = new Uint8Array(volume.data.length);
      const b = new Uint8Array(volume.data.length);
      for (let i = 0; i < a.length; i++) {
        if (volume.data[i] < -600 && volume.data[i] > -950) {
          if (i % nx < nx / 2) a[i] = 1;
          else b[i] = 1;
        }
      }
      return Promise.resolve(lungMasksFrom(volume, a, b, "counting", []));
    },
  };
  return s;
}

Deno.test("preprocessCacheKey() changes with the segmenter, its options and the preprocessing, not with key order", () => {
  const base = {
    segmenterId: "lung_reference",
    segmenterOptions: { threshold_hu: -600, distance_mm: 62 },
    preprocess: TRAINING_PREPROCESS,
  };
  const key = preprocessCacheKey(base);
  assert.match(key, /^[0-9a-f]{16}$/);
  assert.equal(
    preprocessCacheKey({
      ...base,
      segmenterOptions: { distance_mm: 62, threshold_hu: -600 },
    }),
    key,
  );
  assert.notEqual(preprocessCacheKey({ ...base, segmenterId: "none" }), key);
  assert.notEqual(
    preprocessCacheKey({
      ...base,
      segmenterOptions: { threshold_hu: -150, distance_mm: 62 },
    }),
    key,
  );
  assert.notEqual(
    preprocessCacheKey({ ...base, preprocess: INFERENCE_PREPROCESS }),
    key,
  );
});

Deno.test("writePreprocessed() and readPreprocessed() round-trip a scan", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { volume } = chestPhantom({ slices: 16 });
    const masks = await countingSegmenter().segment(volume);
    const scan = preprocessScan(volume, masks, TRAINING_PREPROCESS);
    await writePreprocessed(dir, "1.2.3", scan);
    const back = await readPreprocessed(dir, "1.2.3");
    assert.ok(back);
    assert.deepEqual(back.image, scan.image);
    assert.deepEqual(back.mask, scan.mask);
    assert.deepEqual(back.shape, scan.shape);
    assert.deepEqual(back.grid, scan.grid);
    assert.deepEqual(back.extendboxEnd, scan.extendboxEnd);
    assert.deepEqual(back.source, scan.source);
    assert.deepEqual(back.report, scan.report);
    assert.equal(await readPreprocessed(dir, "other"), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readPreprocessed() treats a partial entry as absent", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { volume } = chestPhantom({ slices: 12 });
    const scan = preprocessScan(
      volume,
      await countingSegmenter().segment(volume),
      TRAINING_PREPROCESS,
    );
    await writePreprocessed(dir, "a", scan);
    const paths = cachedScanPaths(dir, "a");
    // A truncated image file (as if a copy was cut short).
    const raw = paths.image.replace(/\.mhd$/, ".raw");
    const bytes = await Deno.readFile(raw);
    await Deno.writeFile(raw, bytes.subarray(0, bytes.length - 10));
    assert.equal(await readPreprocessed(dir, "a"), null);
    // No sidecar (a run stopped before its last write).
    await writePreprocessed(dir, "b", scan);
    await Deno.remove(cachedScanPaths(dir, "b").sidecar);
    assert.equal(await readPreprocessed(dir, "b"), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cachedBlobChannel() computes the blob channel once, then reads it until the entry changes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { volume } = chestPhantom({ slices: 16 });
    const masks = await countingSegmenter().segment(volume);
    const scan = preprocessScan(volume, masks, TRAINING_PREPROCESS);
    await writePreprocessed(dir, "a", scan);
    const want = blobResponse(scan.image, scan.shape, BLOB_CHANNEL_OPTIONS);
    assert.deepEqual(await cachedBlobChannel(dir, "a", scan), want);
    const raw = join(dir, "a_blob.raw");
    assert.deepEqual(await Deno.readFile(raw), want);
    // A marked copy on disk is what the next call returns: it reads, it
    // does not compute again.
    const marked = want.map((v, i) => i === 0 ? v + 1 : v);
    await Deno.writeFile(raw, marked);
    assert.deepEqual(await cachedBlobChannel(dir, "a", scan), marked);
    // The entry written again from other voxels: its sidecar differs, so the
    // stored channel no longer belongs to it and is computed anew.
    const other = preprocessScan(
      chestPhantom({ slices: 20 }).volume,
      await countingSegmenter().segment(chestPhantom({ slices: 20 }).volume),
      TRAINING_PREPROCESS,
    );
    await writePreprocessed(dir, "a", other);
    assert.deepEqual(
      await cachedBlobChannel(dir, "a", other),
      blobResponse(other.image, other.shape, BLOB_CHANNEL_OPTIONS),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cachedScanPaths() rejects a series id with a path separator", () => {
  assert.throws(() => cachedScanPaths("/tmp", "../x"), {
    name: "DataError",
    message:
      'Cannot read "../x": field "seriesuid" is "../x", expected a file name without path separators',
  });
});

Deno.test("preprocessDataset() fills the cache once, skips cached scans, redoes partial ones and reports failures", async () => {
  const root = await Deno.makeTempDir();
  try {
    const scans = [];
    for (const [uid, slices] of [["s1", 12], ["s2", 14]] as const) {
      const path = join(root, `${uid}.mhd`);
      await writeMetaImage(path, chestPhantom({ slices, seed: slices }).volume);
      scans.push({ seriesuid: uid, imagePath: path });
    }
    scans.push({ seriesuid: "missing", imagePath: join(root, "missing.mhd") });
    const segmenter = countingSegmenter();
    const cacheRoot = join(root, "cache");
    const recorder = createRecorder();
    const first = await preprocessDataset(
      scans,
      { id: "counting", options: {}, segmenter },
      cacheRoot,
      recorder.progress,
    );
    assert.deepEqual(first.processed, ["s1", "s2"]);
    assert.deepEqual(first.cached, []);
    assert.equal(first.failed.length, 1);
    assert.equal(first.failed[0].seriesuid, "missing");
    assert.match(first.failed[0].reason, /missing\.mhd/);
    assert.equal(segmenter.calls, 2);
    assert.equal(first.dir, join(cacheRoot, first.key));
    assert.deepEqual(
      recorder.events.filter((e) => e.kind === "step").map((e) =>
        e.kind === "step" && e.done
      ),
      [1, 2, 3],
    );
    // Second run: nothing to do for the scans already there.
    const second = await preprocessDataset(
      scans.slice(0, 2),
      { id: "counting", options: {}, segmenter },
      cacheRoot,
      nullProgress,
    );
    assert.deepEqual(second.cached, ["s1", "s2"]);
    assert.equal(segmenter.calls, 2);
    // An interrupted write of s2 (no sidecar): it is redone.
    await Deno.remove(cachedScanPaths(first.dir, "s2").sidecar);
    const third = await preprocessDataset(
      scans.slice(0, 2),
      { id: "counting", options: {}, segmenter },
      cacheRoot,
      nullProgress,
    );
    assert.deepEqual(third.processed, ["s2"]);
    assert.equal(segmenter.calls, 3);
    // Other options: another folder.
    const other = await preprocessDataset(
      scans.slice(0, 1),
      { id: "counting", options: { k: 1 }, segmenter },
      cacheRoot,
      nullProgress,
    );
    assert.notEqual(other.dir, first.dir);
    assert.deepEqual(other.processed, ["s1"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("preprocessDataset() redoes a cached scan whose files changed under the same id, not one whose folder moved", async () => {
  const root = await Deno.makeTempDir();
  try {
    const path = join(root, "s1.mhd");
    await writeMetaImage(path, chestPhantom({ slices: 12, seed: 1 }).volume);
    const scans = [{ seriesuid: "s1", imagePath: path }];
    const segmenter = countingSegmenter();
    const cacheRoot = join(root, "cache");
    const run = () =>
      preprocessDataset(
        scans,
        { id: "counting", options: {}, segmenter },
        cacheRoot,
        nullProgress,
      );
    await run();
    assert.deepEqual((await run()).cached, ["s1"]);
    // A regenerated dataset reuses the id with another geometry.
    await writeMetaImage(path, chestPhantom({ slices: 16, seed: 1 }).volume);
    const again = await run();
    assert.deepEqual(again.processed, ["s1"]);
    assert.equal(segmenter.calls, 2);
    // The same geometry with other voxels (the same scan seed with other
    // nodules): the files changed, so the scan is redone.
    await writeMetaImage(path, chestPhantom({ slices: 16, seed: 2 }).volume);
    assert.deepEqual((await run()).processed, ["s1"]);
    assert.equal(segmenter.calls, 3);
    // Moving the dataset keeps the files' names, sizes and times: cached.
    const moved = join(root, "moved");
    await Deno.mkdir(moved);
    for (const name of ["s1.mhd", "s1.raw"]) {
      await Deno.rename(join(root, name), join(moved, name));
    }
    const fromMoved = await preprocessDataset(
      [{ seriesuid: "s1", imagePath: join(moved, "s1.mhd") }],
      { id: "counting", options: {}, segmenter },
      cacheRoot,
      nullProgress,
    );
    assert.deepEqual(fromMoved.cached, ["s1"]);
    assert.equal(segmenter.calls, 3);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
