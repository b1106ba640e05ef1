import assert from "node:assert/strict";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { DataError } from "../errors.ts";
import { createRng } from "../random.ts";
import { sharedDataPath, withSharedData } from "../testing/shared_data.ts";
import {
  createVolume,
  type Matrix3,
  type VoxelArray,
  voxelToWorld,
  worldToVoxel,
  type Zyx,
  zyxFromXyz,
} from "../volume.ts";
import {
  directionFromTransformMatrix,
  orientationCode,
  readMetaImage,
  readMetaImageHeader,
  transformMatrixFromDirection,
  writeMetaImage,
} from "./metaimage.ts";
import type { VoxelArrayConstructor } from "./_util.ts";

const TYPES: [string, VoxelArrayConstructor, number, number][] = [
  ["MET_CHAR", Int8Array, -128, 127],
  ["MET_UCHAR", Uint8Array, 0, 255],
  ["MET_SHORT", Int16Array, -32768, 32767],
  ["MET_USHORT", Uint16Array, 0, 65535],
  ["MET_INT", Int32Array, -2147483648, 2147483647],
  ["MET_UINT", Uint32Array, 0, 4294967295],
  ["MET_FLOAT", Float32Array, -3.4028234663852886e38, 3.4028234663852886e38],
  ["MET_DOUBLE", Float64Array, -Number.MAX_VALUE, Number.MAX_VALUE],
];

/** Random values of the type, with both extremes and zero at the start. */
function randomData(
  ctor: VoxelArrayConstructor,
  lo: number,
  hi: number,
  n: number,
  seed: number,
): VoxelArray {
  const rng = createRng(seed);
  const data = new ctor(n);
  const float = ctor === Float32Array || ctor === Float64Array;
  for (let i = 0; i < n; i++) {
    data[i] = float
      ? rng.normal() * 1000
      : Math.floor(lo + rng.next() * (hi - lo + 1));
  }
  data[0] = lo;
  data[1] = hi;
  data[2] = 0;
  if (float) data[3] = 1e-30;
  return data;
}

// A rotated, flipped, non-uniform geometry: voxel x → world -y, voxel y → world x.
const ROTATED: Matrix3 = [1, 0, 0, 0, 0, -1, 0, 1, 0];

function assertGeometry(
  actual: {
    shape: Zyx;
    spacingMm: Zyx;
    originMm: Zyx;
    direction: Matrix3;
  },
  expected: typeof actual,
): void {
  assert.deepEqual(actual.shape, expected.shape);
  assert.deepEqual(actual.spacingMm, expected.spacingMm);
  assert.deepEqual(actual.originMm, expected.originMm);
  assert.deepEqual(
    actual.direction.map((v) => v + 0),
    expected.direction.map((v) => v + 0),
  );
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pleura_mhd_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Writes a hand-made header (lines joined) and optional data file. */
async function writeCase(
  dir: string,
  name: string,
  headerLines: string[],
  data?: { name: string; bytes: Uint8Array },
): Promise<string> {
  const path = join(dir, name);
  await Deno.writeTextFile(path, headerLines.join("\n") + "\n");
  if (data) await Deno.writeFile(join(dir, data.name), data.bytes);
  return path;
}

function header(overrides: Record<string, string | null> = {}): string[] {
  const base: Record<string, string> = {
    ObjectType: "Image",
    NDims: "3",
    BinaryData: "True",
    BinaryDataByteOrderMSB: "False",
    CompressedData: "False",
    TransformMatrix: "1 0 0 0 1 0 0 0 1",
    Offset: "0 0 0",
    ElementSpacing: "1 1 1",
    DimSize: "4 3 2",
    ElementType: "MET_SHORT",
    ElementDataFile: "case.raw",
  };
  const merged: Record<string, string | null> = { ...base, ...overrides };
  const lines: string[] = [];
  for (const [key, value] of Object.entries(merged)) {
    if (key !== "ElementDataFile" && value !== null) {
      lines.push(`${key} = ${value}`);
    }
  }
  if (merged.ElementDataFile !== null) {
    lines.push(`ElementDataFile = ${merged.ElementDataFile}`);
  }
  return lines;
}

function int16Bytes(values: number[], bigEndian = false): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setInt16(i * 2, v, !bigEndian));
  return out;
}

const RAMP24 = Array.from({ length: 24 }, (_, i) => i * 100 - 1000);

Deno.test("writeMetaImage() and readMetaImage() round-trip every element type, byte order and layout", async () => {
  await withTempDir(async (dir) => {
    const shape: Zyx = [3, 4, 5];
    let seed = 1;
    for (const [name, ctor, lo, hi] of TYPES) {
      for (const msb of [false, true]) {
        for (const layout of ["raw", "zraw", "mha"] as const) {
          const data = randomData(ctor, lo, hi, 60, seed++);
          const volume = createVolume(data, shape, {
            spacingMm: [2.5, 0.703125, 0.8],
            originMm: [-132.5, -171.699997, -166.1],
            direction: ROTATED,
          });
          const path = join(
            dir,
            `${name}_${msb}_${layout}.${layout === "mha" ? "mha" : "mhd"}`,
          );
          await writeMetaImage(path, volume, {
            compress: layout !== "raw",
            byteOrderMsb: msb,
          });
          const back = await readMetaImage(path);
          const label = `${name} msb=${msb} ${layout}`;
          assert.equal(back.data.constructor, ctor, label);
          assert.deepEqual(Array.from(back.data), Array.from(data), label);
          assertGeometry(back, volume);
          const head = await readMetaImageHeader(path);
          assert.equal(head.elementType, name, label);
          assert.equal(head.byteOrderMsb, msb, label);
          assert.equal(head.compressed, layout !== "raw", label);
          if (layout === "raw" && ctor.BYTES_PER_ELEMENT > 1) {
            // The bytes on disk really are in the declared order.
            const raw = await Deno.readFile(path.replace(/\.mhd$/, ".raw"));
            const view = new DataView(raw.buffer);
            const first = ctor === Float32Array
              ? view.getFloat32(0, !msb)
              : ctor === Float64Array
              ? view.getFloat64(0, !msb)
              : ctor === Int16Array
              ? view.getInt16(0, !msb)
              : ctor === Uint16Array
              ? view.getUint16(0, !msb)
              : ctor === Int32Array
              ? view.getInt32(0, !msb)
              : view.getUint32(0, !msb);
            assert.equal(first, data[0], label);
          }
        }
      }
    }
  });
});

Deno.test("writeMetaImage() writes ITK's header keys and leaves no temporary files", async () => {
  await withTempDir(async (dir) => {
    const volume = createVolume(new Int16Array(24), [2, 3, 4], {
      spacingMm: [2.5, 0.5, 0.75],
      originMm: [-10, 20.25, -30],
    });
    await writeMetaImage(join(dir, "a.mhd"), volume, { compress: true });
    // Overwriting an existing file works and is atomic too.
    await writeMetaImage(join(dir, "a.mhd"), volume, { compress: true });
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["a.mhd", "a.zraw"]);
    const text = await Deno.readTextFile(join(dir, "a.mhd"));
    const zraw = await Deno.stat(join(dir, "a.zraw"));
    assert.match(text, /^ObjectType = Image\nNDims = 3\n/);
    assert.match(text, new RegExp(`CompressedDataSize = ${zraw.size}\n`));
    assert.match(text, /TransformMatrix = 1 0 0 0 1 0 0 0 1\n/);
    assert.match(text, /Offset = -30 20.25 -10\n/);
    assert.match(text, /AnatomicalOrientation = RAI\n/);
    assert.match(text, /ElementSpacing = 0.75 0.5 2.5\n/);
    assert.match(text, /DimSize = 4 3 2\n/);
    assert.match(text, /ElementType = MET_SHORT\nElementDataFile = a.zraw\n$/);
    await assert.rejects(
      writeMetaImage(join(dir, "a.nrrd"), volume),
      /extension is "\.nrrd", expected "\.mhd" or "\.mha"/,
    );
  });
});

Deno.test("readMetaImage() maps a flipped LUNA16-style TransformMatrix to world LPS", async () => {
  await withTempDir(async (dir) => {
    const path = await writeCase(
      dir,
      "case.mhd",
      header({
        TransformMatrix: "-1 0 0 0 -1 0 0 0 1",
        Offset: "100 50 -300",
        ElementSpacing: "0.5 0.7 2.5",
      }),
      { name: "case.raw", bytes: int16Bytes(RAMP24) },
    );
    const v = await readMetaImage(path);
    assert.deepEqual(v.shape, [2, 3, 4]);
    assert.deepEqual(v.spacingMm, [2.5, 0.7, 0.5]);
    assert.deepEqual(v.originMm, [-300, 50, 100]);
    assert.deepEqual(v.direction, [1, 0, 0, 0, -1, 0, 0, 0, -1]);
    // ITK: world = Offset + M^T (spacing ⊙ index), with x and y flipped here.
    const world = voxelToWorld(v, [1, 2, 3]);
    assert.deepEqual(world, zyxFromXyz([100 - 3 * 0.5, 50 - 2 * 0.7, -297.5]));
    const back = worldToVoxel(v, world);
    back.forEach((c, i) => assert.ok(Math.abs(c - [1, 2, 3][i]) < 1e-12));
    assert.equal(v.data[(1 * 3 + 2) * 4 + 3], RAMP24[23]);
    assert.equal(orientationCode(v.direction), "LPI");
  });
});

Deno.test("readMetaImage() maps an axis-permuting TransformMatrix row by row", async () => {
  await withTempDir(async (dir) => {
    // Row 0 (voxel x) = world +y; row 1 (voxel y) = world +x; row 2 (voxel z) = world -z.
    const path = await writeCase(
      dir,
      "case.mhd",
      header({
        TransformMatrix: "0 1 0 1 0 0 0 0 -1",
        ElementSpacing: "2 3 5",
      }),
      { name: "case.raw", bytes: int16Bytes(RAMP24) },
    );
    const v = await readMetaImage(path);
    assert.deepEqual(voxelToWorld(v, [0, 0, 1]), [0, 2, 0]);
    assert.deepEqual(voxelToWorld(v, [0, 1, 0]), [0, 0, 3]);
    assert.deepEqual(voxelToWorld(v, [1, 0, 0]), [-5, 0, 0]);
    const m = [0, 1, 0, 1, 0, 0, 0, 0, -1];
    assert.deepEqual(transformMatrixFromDirection(v.direction), m);
    assert.deepEqual(
      transformMatrixFromDirection(directionFromTransformMatrix(m)),
      m,
    );
  });
});

Deno.test("readMetaImage() honours HeaderSize, -1, relative paths, ElementSize, Position and ElementByteOrderMSB", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "data"));
    const payload = int16Bytes(RAMP24, true);
    const padded = new Uint8Array(payload.length + 7);
    padded.set(payload, 7);
    const a = await writeCase(
      dir,
      "a.mhd",
      header({
        BinaryDataByteOrderMSB: null,
        ElementByteOrderMSB: "True",
        HeaderSize: "7",
        ElementSpacing: null,
        ElementSize: "0.5 0.25 3",
        Offset: null,
        Position: "1 2 3",
        ElementDataFile: "data/a.raw",
      }),
      { name: "data/a.raw", bytes: padded },
    );
    const va = await readMetaImage(a);
    assert.deepEqual(Array.from(va.data), RAMP24);
    assert.deepEqual(va.spacingMm, [3, 0.25, 0.5]);
    assert.deepEqual(va.originMm, [3, 2, 1]);

    const junk = new Uint8Array(payload.length + 100).fill(0xab);
    junk.set(int16Bytes(RAMP24), 100);
    const b = await writeCase(
      dir,
      "b.mhd",
      header({
        HeaderSize: "-1",
        Offset: null,
        Origin: "4 5 6",
        ElementDataFile: "b.raw",
      }),
      { name: "b.raw", bytes: junk },
    );
    const vb = await readMetaImage(b);
    assert.deepEqual(Array.from(vb.data), RAMP24);
    assert.deepEqual(vb.originMm, [6, 5, 4]);

    // Compressed without CompressedDataSize, absolute data path.
    const c = await writeCase(
      dir,
      "c.mhd",
      header({
        CompressedData: "True",
        ElementDataFile: join(dir, "c.zraw"),
      }),
      { name: "c.zraw", bytes: deflateSync(int16Bytes(RAMP24)) },
    );
    assert.deepEqual(Array.from((await readMetaImage(c)).data), RAMP24);

    // Compressed data at the end of a file, located by CompressedDataSize.
    const stream = deflateSync(int16Bytes(RAMP24));
    const tail = new Uint8Array(stream.length + 10).fill(7);
    tail.set(stream, 10);
    const e = await writeCase(
      dir,
      "e.mhd",
      header({
        CompressedData: "True",
        CompressedDataSize: String(stream.length),
        HeaderSize: "-1",
        ElementDataFile: "e.zraw",
      }),
      { name: "e.zraw", bytes: tail },
    );
    assert.deepEqual(Array.from((await readMetaImage(e)).data), RAMP24);

    // A single-file .mha with a CRLF header.
    const head = new TextEncoder().encode(
      header({ ElementDataFile: "LOCAL", AnatomicalOrientation: "RAI" }).join(
        "\r\n",
      ) + "\r\n",
    );
    const mha = new Uint8Array(head.length + 48);
    mha.set(head);
    mha.set(int16Bytes(RAMP24), head.length);
    await Deno.writeFile(join(dir, "d.mha"), mha);
    const vd = await readMetaImage(join(dir, "d.mha"));
    assert.deepEqual(Array.from(vd.data), RAMP24);
    const hd = await readMetaImageHeader(join(dir, "d.mha"));
    assert.equal(hd.dataFile, null);
    assert.equal(hd.localDataOffset, head.length);
    assert.equal(hd.anatomicalOrientation, "RAI");
  });
});

/** Bad-input corpus: each case's message must name the file and the field. */
Deno.test("readMetaImage() rejects malformed input naming the file and field", async () => {
  await withTempDir(async (dir) => {
    const good = int16Bytes(RAMP24);
    const floats = new Float32Array(24).fill(1.5);
    floats[3] = NaN;
    floats[9] = NaN;
    const cases: {
      name: string;
      lines: string[];
      data?: Uint8Array;
      field: string;
      pattern: RegExp;
    }[] = [
      {
        name: "truncated",
        lines: header(),
        data: good.subarray(0, 40),
        field: "DimSize",
        pattern: /holds 40 bytes \(truncated\), expected 48 bytes/,
      },
      {
        name: "too_long",
        lines: header(),
        data: new Uint8Array(50),
        field: "DimSize",
        pattern: /"4 3 2" \(24 voxels × 2 bytes = 48 bytes\)/,
      },
      {
        name: "element_type",
        lines: header({ ElementType: "MET_FOO" }),
        data: good,
        field: "ElementType",
        pattern: /is "MET_FOO", expected one of MET_CHAR/,
      },
      {
        name: "missing_data",
        lines: header({ ElementDataFile: "nowhere.raw" }),
        field: "ElementDataFile",
        pattern: /nowhere\.raw", which does not exist/,
      },
      {
        name: "ndims",
        lines: header({ NDims: "2", DimSize: "4 6" }),
        data: good,
        field: "NDims",
        pattern: /is "2", expected 3/,
      },
      {
        name: "spacing_zero",
        lines: header({ ElementSpacing: "1 0 1" }),
        data: good,
        field: "ElementSpacing",
        pattern: /is "1 0 1", expected 3 finite numbers > 0/,
      },
      {
        name: "spacing_negative",
        lines: header({ ElementSpacing: "1 1 -2.5" }),
        data: good,
        field: "ElementSpacing",
        pattern: /is "1 1 -2.5"/,
      },
      {
        name: "spacing_text",
        lines: header({ ElementSpacing: "1 one 1" }),
        data: good,
        field: "ElementSpacing",
        pattern: /is "1 one 1"/,
      },
      {
        name: "spacing_count",
        lines: header({ ElementSpacing: "1 1" }),
        data: good,
        field: "ElementSpacing",
        pattern: /is "1 1", expected 3/,
      },
      {
        name: "dimsize",
        lines: header({ DimSize: "4 3 0" }),
        data: good,
        field: "DimSize",
        pattern: /is "4 3 0", expected 3 positive integers/,
      },
      {
        name: "nan",
        lines: header({ ElementType: "MET_FLOAT" }),
        data: new Uint8Array(floats.buffer),
        field: "ElementDataFile",
        pattern: /data with 2 NaN voxels of 24, expected no NaN voxels/,
      },
      {
        name: "zlib",
        lines: header({ CompressedData: "True" }),
        data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
        field: "CompressedData",
        pattern: /is not a valid zlib stream/,
      },
      {
        name: "zlib_short",
        lines: header({ CompressedData: "True" }),
        data: deflateSync(good.subarray(0, 46)),
        field: "DimSize",
        pattern: /inflates to 46 bytes, expected 48 bytes/,
      },
      {
        name: "compressed_size",
        lines: header({ CompressedData: "True", CompressedDataSize: "9999" }),
        data: deflateSync(good),
        field: "CompressedDataSize",
        pattern: /9999, but .* \(truncated\)/,
      },
      {
        name: "header_size_compressed",
        lines: header({ CompressedData: "True", HeaderSize: "-1" }),
        data: deflateSync(good),
        field: "HeaderSize",
        pattern: /no CompressedDataSize, expected CompressedDataSize/,
      },
      {
        name: "channels",
        lines: header({ ElementNumberOfChannels: "3" }),
        data: good,
        field: "ElementNumberOfChannels",
        pattern: /is "3", expected 1/,
      },
      {
        name: "transform",
        lines: header({ TransformMatrix: "1 0 0 0 1 0 0 0 0" }),
        data: good,
        field: "TransformMatrix",
        pattern: /determinant 0\), expected an invertible matrix/,
      },
      {
        name: "offset",
        lines: header({ Offset: "0 nan 0" }),
        data: good,
        field: "Offset",
        pattern: /is "0 nan 0"/,
      },
      {
        name: "byte_order",
        lines: header({ BinaryDataByteOrderMSB: "maybe" }),
        data: good,
        field: "BinaryDataByteOrderMSB",
        pattern: /is "maybe", expected "True" or "False"/,
      },
      {
        name: "file_list",
        lines: header({ ElementDataFile: "LIST" }),
        field: "ElementDataFile",
        pattern: /file lists and patterns are not supported/,
      },
      {
        name: "no_data_line",
        lines: header({ ElementDataFile: null }),
        field: "ElementDataFile",
        pattern: /is missing/,
      },
    ];
    for (const c of cases) {
      const lines = c.lines.map((line) =>
        line.replace("case.raw", `${c.name}.raw`)
      );
      const path = await writeCase(
        dir,
        `${c.name}.mhd`,
        lines,
        c.data ? { name: `${c.name}.raw`, bytes: c.data } : undefined,
      );
      const error = await readMetaImage(path).then(
        () => assert.fail(`case "${c.name}" was accepted`),
        (e) => e,
      );
      assert.ok(error instanceof DataError, `${c.name}: ${error}`);
      assert.equal(error.file, path, c.name);
      assert.equal(error.field, c.field, c.name);
      assert.ok(
        error.message.startsWith(`Cannot read "${path}": field "${c.field}"`),
        `${c.name}: ${error.message}`,
      );
      assert.match(error.message, c.pattern, c.name);
    }
    // The NaN case loads when asked to keep NaN voxels.
    const kept = await readMetaImage(join(dir, "nan.mhd"), { allowNaN: true });
    assert.ok(Number.isNaN(kept.data[3]) && kept.data[4] === 1.5);
    await assert.rejects(
      readMetaImage(join(dir, "absent.mhd")),
      (e: unknown) =>
        e instanceof DataError && e.message.includes("absent.mhd") &&
        /does not exist/.test(e.message),
    );
  });
});

const SLABS: {
  file: string;
  shape: Zyx;
  spacingMm: Zyx;
  originMm: Zyx;
}[] = [
  {
    file: "lidc0001_slab.mhd",
    shape: [16, 512, 512],
    spacingMm: [2.5, 0.703125, 0.703125],
    originMm: [-132.5, -171.699997, -166.0],
  },
  {
    file: "lidc0002_slab.mhd",
    shape: [12, 512, 512],
    spacingMm: [1.25, 0.681640625, 0.681640625],
    originMm: [-94.5, NaN, NaN],
  },
  {
    file: "lidc0003_slab.mhd",
    shape: [11, 512, 512],
    spacingMm: [2.5, 0.8203125, 0.8203125],
    originMm: [-204.0, NaN, NaN],
  },
];

Deno.test(
  withSharedData(
    "readMetaImage() loads the real LIDC slabs with their README geometry",
    async () => {
      for (const slab of SLABS) {
        const path = sharedDataPath("real-ct", slab.file)!;
        const v = await readMetaImage(path);
        assert.ok(v.data instanceof Int16Array, slab.file);
        assert.deepEqual(v.shape, slab.shape, slab.file);
        slab.spacingMm.forEach((s, i) =>
          assert.ok(Math.abs(v.spacingMm[i] - s) < 1e-3, slab.file)
        );
        slab.originMm.forEach((o, i) => {
          if (!Number.isNaN(o)) assert.ok(Math.abs(v.originMm[i] - o) < 1e-6);
        });
        assert.deepEqual(v.direction, [1, 0, 0, 0, 1, 0, 0, 0, 1]);
        // README: the z range of each slab and its HU extremes.
        const lastZ = voxelToWorld(v, [v.shape[0] - 1, 0, 0])[0];
        const zRange = {
          "lidc0001_slab.mhd": -95.0,
          "lidc0002_slab.mhd": -80.75,
          "lidc0003_slab.mhd": -179.0,
        }[slab.file];
        assert.ok(Math.abs(lastZ - zRange!) < 1e-6, `${slab.file} z end`);
        let min = Infinity, max = -Infinity;
        for (const x of v.data) {
          if (x < min) min = x;
          if (x > max) max = x;
        }
        const extremes = {
          "lidc0001_slab.mhd": [-2048, 3071],
          "lidc0002_slab.mhd": [-3024, 1561],
          "lidc0003_slab.mhd": [-2048, 1978],
        }[slab.file];
        assert.deepEqual([min, max], extremes, slab.file);
      }
    },
  ),
);

Deno.test(
  withSharedData(
    "readMetaImage() loads the whole-thorax .mhd and the elastix .mha",
    async () => {
      const chest = await readMetaImage(
        sharedDataPath("real-ct", "chest4dct_ph00_ds.mhd")!,
      );
      assert.deepEqual(chest.shape, [70, 195, 250]);
      assert.ok(Math.abs(chest.spacingMm[0] - 4) < 1e-6);
      assert.ok(Math.abs(chest.spacingMm[1] - 1.953125) < 1e-3);
      const mha = await readMetaImage(
        sharedDataPath("real-ct", "elastix_lung_small.mha")!,
      );
      assert.ok(mha.data instanceof Int16Array);
      assert.deepEqual(mha.shape, [64, 78, 57]);
      assert.deepEqual(
        mha.spacingMm.map((s) => Math.round(s * 1000) / 1000),
        [5, 2.732, 2.732],
      );
      assert.deepEqual(
        mha.originMm.map((o) => Math.round(o * 1000) / 1000),
        [-1432, -148.986, -152.461],
      );
      let min = Infinity, max = -Infinity;
      for (const x of mha.data) {
        if (x < min) min = x;
        if (x > max) max = x;
      }
      assert.deepEqual([min, max], [-1130, 1379]);
    },
  ),
);

Deno.test(
  withSharedData(
    "the LUNA16 nodules of slab_annotations.csv map to their listed voxels",
    async () => {
      const csv = await Deno.readTextFile(
        sharedDataPath("real-ct", "slab_annotations.csv")!,
      );
      const [head, ...rows] = csv.trim().split("\n");
      const col = Object.fromEntries(head.split(",").map((h, i) => [h, i]));
      assert.equal(rows.length, 4);
      for (const row of rows) {
        const f = row.split(",");
        const v = await readMetaImageHeader(
          sharedDataPath("real-ct", f[col.file])!,
        );
        const world = zyxFromXyz([
          Number(f[col.coordX]),
          Number(f[col.coordY]),
          Number(f[col.coordZ]),
        ]);
        const voxel = worldToVoxel(v, world);
        const listed = zyxFromXyz([
          Number(f[col.voxelX]),
          Number(f[col.voxelY]),
          Number(f[col.voxelZ]),
        ]);
        for (let i = 0; i < 3; i++) {
          assert.ok(
            Math.abs(voxel[i] - listed[i]) < 0.5,
            `${f[col.file]} axis ${i}: ${voxel[i]} vs ${listed[i]}`,
          );
        }
        const inside = voxel.every((c, i) => c > -0.5 && c < v.shape[i] - 0.5);
        assert.equal(inside, f[col.center_in_slab] === "yes", row);
      }
    },
  ),
);
