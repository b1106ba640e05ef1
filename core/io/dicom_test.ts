import assert from "node:assert/strict";
import { join } from "node:path";
import { DataError } from "../errors.ts";
import { sharedDataPath, withSharedData } from "../testing/shared_data.ts";
import { voxelToWorld } from "../volume.ts";
import { readDicomSeries } from "./dicom.ts";
import { readMetaImage } from "./metaimage.ts";

const IMPLICIT = "1.2.840.10008.1.2";
const EXPLICIT = "1.2.840.10008.1.2.1";

type Value = string | number | Uint8Array | { sequence: Uint8Array };

/** One element: tag as (group, element), VR, value (string, US number or bytes). */
type Element = [number, number, string, Value];

function u16(n: number): Uint8Array {
  return new Uint8Array([n & 0xff, n >> 8]);
}
function u32(n: number): Uint8Array {
  return new Uint8Array([
    n & 0xff,
    (n >> 8) & 0xff,
    (n >> 16) & 0xff,
    n >>> 24,
  ]);
}
function join8(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const LONG = new Set(["OB", "OW", "SQ", "UN", "UT"]);

/** Encodes one element per DICOM PS3.5 §7.1 (explicit or implicit VR, little endian). */
function encode(el: Element, explicit: boolean): Uint8Array {
  const [group, element, vr, value] = el;
  let body: Uint8Array;
  let undefinedLength = false;
  if (typeof value === "number") body = u16(value);
  else if (typeof value === "string") {
    const padded = value.length % 2 === 1
      ? value + (vr === "UI" ? "\0" : " ")
      : value;
    body = new TextEncoder().encode(padded);
  } else if (value instanceof Uint8Array) body = value;
  else {
    body = value.sequence;
    undefinedLength = true;
  }
  const length = undefinedLength ? 0xffffffff : body.length;
  const head = explicit
    ? LONG.has(vr)
      ? join8([
        u16(group),
        u16(element),
        new TextEncoder().encode(vr),
        u16(0),
        u32(length),
      ])
      : join8([
        u16(group),
        u16(element),
        new TextEncoder().encode(vr),
        u16(length),
      ])
    : join8([u16(group), u16(element), u32(length)]);
  return join8([head, body]);
}

/** An undefined-length sequence body: items of undefined length holding elements. */
function sequenceOf(
  items: Element[][],
  explicit: boolean,
): { sequence: Uint8Array } {
  const parts: Uint8Array[] = [];
  for (const item of items) {
    parts.push(u16(0xfffe), u16(0xe000), u32(0xffffffff));
    for (const el of item) parts.push(encode(el, explicit));
    parts.push(u16(0xfffe), u16(0xe00d), u32(0));
  }
  parts.push(u16(0xfffe), u16(0xe0dd), u32(0));
  return { sequence: join8(parts) };
}

interface SliceSpec {
  syntax?: string;
  rows?: number;
  columns?: number;
  position: number[];
  orientation?: number[];
  spacing?: string;
  slope?: string;
  intercept?: string;
  bitsAllocated?: number;
  bitsStored?: number;
  signed?: boolean;
  series?: string;
  pixels: Int16Array | Uint16Array;
  omit?: string[];
  extra?: Element[];
  pixelBytes?: Uint8Array;
}

function buildSlice(spec: SliceSpec): Uint8Array {
  const syntax = spec.syntax ?? EXPLICIT;
  const explicit = syntax !== IMPLICIT;
  const meta = encode([0x0002, 0x0010, "UI", syntax], true);
  const omit = new Set(spec.omit ?? []);
  const elements: Element[] = [
    [0x0008, 0x0060, "CS", "CT"],
    [0x0020, 0x000e, "UI", spec.series ?? "1.2.3.4"],
    [0x0020, 0x0032, "DS", spec.position.join("\\")],
    [0x0020, 0x0037, "DS", (spec.orientation ?? [1, 0, 0, 0, 1, 0]).join("\\")],
    [0x0028, 0x0002, "US", 1],
    [0x0028, 0x0010, "US", spec.rows ?? 2],
    [0x0028, 0x0011, "US", spec.columns ?? 3],
    [0x0028, 0x0030, "DS", spec.spacing ?? "0.5\\0.75"],
    [0x0028, 0x0100, "US", spec.bitsAllocated ?? 16],
    [0x0028, 0x0101, "US", spec.bitsStored ?? 16],
    [0x0028, 0x0103, "US", spec.signed === false ? 0 : 1],
    [0x0028, 0x1052, "DS", spec.intercept ?? "-1024"],
    [0x0028, 0x1053, "DS", spec.slope ?? "1"],
    ...(spec.extra ?? []),
  ];
  elements.sort((a, b) => (a[0] - b[0]) || (a[1] - b[1]));
  const keep = elements.filter(([g, e]) =>
    !omit.has(
      `${g.toString(16).padStart(4, "0")},${e.toString(16).padStart(4, "0")}`,
    )
  );
  const pixels = spec.pixelBytes ??
    new Uint8Array(
      spec.pixels.buffer,
      spec.pixels.byteOffset,
      spec.pixels.byteLength,
    );
  const preamble = new Uint8Array(132);
  preamble.set(new TextEncoder().encode("DICM"), 128);
  return join8([
    preamble,
    meta,
    ...keep.map((el) => encode(el, explicit)),
    encode([0x7fe0, 0x0010, "OW", pixels], explicit),
  ]);
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pleura_dcm_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function assertClose(
  actual: readonly number[],
  expected: readonly number[],
  tol = 1e-9,
): void {
  actual.forEach((a, i) =>
    assert.ok(
      Math.abs(a - expected[i]) <= tol,
      `[${actual}] vs [${expected}] at ${i}`,
    )
  );
}

Deno.test(
  withSharedData(
    "readDicomSeries() equals slices 6-8 of lidc0001_slab voxel for voxel",
    async () => {
      const dicom = await readDicomSeries(
        sharedDataPath("real-ct", "lidc0001_dicom3")!,
      );
      const slab = await readMetaImage(
        sharedDataPath("real-ct", "lidc0001_slab.mhd")!,
      );
      assert.ok(dicom.data instanceof Int16Array);
      assert.deepEqual(dicom.shape, [3, 512, 512]);
      assert.deepEqual(dicom.spacingMm, [2.5, 0.703125, 0.703125]);
      assert.deepEqual(dicom.direction, [1, 0, 0, 0, 1, 0, 0, 0, 1]);
      // Slab voxel z = 6 is world z -117.5; x and y origins equal the slab's.
      assertClose(dicom.originMm, voxelToWorld(slab, [6, 0, 0]), 1e-6);
      const plane = 512 * 512;
      const expected = slab.data.subarray(6 * plane, 9 * plane);
      let differing = 0;
      for (let i = 0; i < expected.length; i++) {
        if (dicom.data[i] !== expected[i]) differing++;
      }
      assert.equal(differing, 0);
    },
  ),
);

Deno.test("readDicomSeries() sorts implicit-VR slices along an oblique normal and rescales", async () => {
  await withTempDir(async (dir) => {
    // Rows rotated 30° about z: row cosine (cos, sin, 0), column (-sin, cos, 0), normal +z.
    const c = Math.cos(Math.PI / 6), s = Math.sin(Math.PI / 6);
    const orientation = [c, s, 0, -s, c, 0];
    const names = ["b.dcm", "c.dcm", "a.dcm"];
    const zs = [-10, -7.5, -12.5]; // out of order on disk
    for (let k = 0; k < 3; k++) {
      const pixels = Int16Array.from({ length: 6 }, (_, i) => 100 * zs[k] + i);
      await Deno.writeFile(
        join(dir, names[k]),
        buildSlice({
          syntax: IMPLICIT,
          position: [5, 6, zs[k]],
          orientation,
          slope: "2.5",
          intercept: "-1000",
          pixels,
          // A nested undefined-length sequence before the pixels must be skipped.
          extra: [[
            0x0008,
            0x1140,
            "SQ",
            sequenceOf([[[0x0008, 0x1150, "UI", "1.2"]], []], false),
          ]],
        }),
      );
    }
    await Deno.writeTextFile(join(dir, "README.txt"), "not a DICOM file");
    const v = await readDicomSeries(dir);
    assert.ok(
      v.data instanceof Float32Array,
      "non-integral slope gives float32",
    );
    assert.deepEqual(v.shape, [3, 2, 3]);
    assertClose(v.spacingMm, [2.5, 0.5, 0.75]);
    assertClose(v.originMm, [-12.5, 6, 5]);
    // Voxel x steps 0.75 mm along the row cosine, voxel y 0.5 mm along the column cosine.
    assertClose(voxelToWorld(v, [0, 0, 1]), [
      -12.5,
      6 + 0.75 * s,
      5 + 0.75 * c,
    ]);
    assertClose(voxelToWorld(v, [0, 1, 0]), [-12.5, 6 + 0.5 * c, 5 - 0.5 * s]);
    assertClose(voxelToWorld(v, [2, 0, 0]), [-7.5, 6, 5]);
    // Slice z = 0 is the one at -12.5 mm: HU = stored · 2.5 − 1000.
    assert.deepEqual(
      Array.from(v.data.subarray(0, 6)),
      [0, 1, 2, 3, 4, 5].map((i) => (-1250 + i) * 2.5 - 1000),
    );
    assert.equal(v.data[12], -750 * 2.5 - 1000);
  });
});

Deno.test("readDicomSeries() reads explicit VR, sagittal slices and 12-bit signed pixels", async () => {
  await withTempDir(async (dir) => {
    // Sagittal: rows along +y, columns along −z; normal = row × column = −x.
    const orientation = [0, 1, 0, 0, 0, -1];
    for (const [k, x] of [[0, 20], [1, 18], [2, 16]]) {
      // 12 bits stored: 0xF800 | value carries overlay bits above bit 11.
      const raw = new Uint16Array([0x0fff, 0x0800, 0x07ff, 0xf001, k, 0]);
      await Deno.writeFile(
        join(dir, `s${k}`),
        buildSlice({
          position: [x, 0, 0],
          orientation,
          bitsStored: 12,
          intercept: "0",
          pixels: raw,
          extra: [
            [0x0018, 0x0050, "DS", "2"],
            [
              0x0009,
              0x0010,
              "UN",
              sequenceOf([[[0x0010, 0x0010, "PN", "X"]]], false),
            ],
          ],
        }),
      );
    }
    const v = await readDicomSeries(dir);
    assert.ok(v.data instanceof Int16Array);
    // Sorted along −x: x = 20 first.
    assertClose(v.originMm, [0, 0, 20]);
    assertClose(v.spacingMm, [2, 0.5, 0.75]);
    assertClose(voxelToWorld(v, [1, 0, 0]), [0, 0, 18]);
    assertClose(voxelToWorld(v, [0, 1, 0]), [-0.5, 0, 20]);
    assertClose(voxelToWorld(v, [0, 0, 1]), [0, 0.75, 20]);
    // 0x0FFF = −1, 0x0800 = −2048, 0x07FF = 2047, 0xF001 → low 12 bits 0x001 = 1.
    assert.deepEqual(Array.from(v.data.subarray(0, 6)), [
      -1,
      -2048,
      2047,
      1,
      0,
      0,
    ]);
  });
});

Deno.test("readDicomSeries() rejects bad series naming the file and attribute", async () => {
  await withTempDir(async (root) => {
    const px = new Int16Array(6);
    const cases: {
      name: string;
      slices: SliceSpec[];
      field: string;
      pattern: RegExp;
      file?: number;
    }[] = [
      {
        name: "jpeg2000",
        slices: [{
          position: [0, 0, 0],
          pixels: px,
          syntax: "1.2.840.10008.1.2.4.90",
        }],
        field: "TransferSyntaxUID",
        pattern:
          /"1\.2\.840\.10008\.1\.2\.4\.90" \(JPEG 2000 Lossless, compressed\), expected "1\.2\.840\.10008\.1\.2" \(Implicit VR Little Endian\)/,
      },
      {
        name: "big_endian",
        slices: [{
          position: [0, 0, 0],
          pixels: px,
          syntax: "1.2.840.10008.1.2.2",
        }],
        field: "TransferSyntaxUID",
        pattern: /Explicit VR Big Endian/,
      },
      {
        name: "bits8",
        slices: [{ position: [0, 0, 0], pixels: px, bitsAllocated: 8 }],
        field: "BitsAllocated",
        pattern: /is 8, expected 16/,
      },
      {
        name: "no_position",
        slices: [{ position: [0, 0, 0], pixels: px, omit: ["0020,0032"] }],
        field: "ImagePositionPatient",
        pattern: /is missing, expected 3 numbers/,
      },
      {
        name: "bad_spacing",
        slices: [{ position: [0, 0, 0], pixels: px, spacing: "0.5\\abc" }],
        field: "PixelSpacing",
        pattern: /is "0\.5\\\\abc", expected 2 finite numbers/,
      },
      {
        name: "zero_spacing",
        slices: [{ position: [0, 0, 0], pixels: px, spacing: "0\\0.5" }],
        field: "PixelSpacing",
        pattern: /expected 2 numbers > 0/,
      },
      {
        name: "rows",
        slices: [
          { position: [0, 0, 0], pixels: px },
          { position: [0, 0, 1], pixels: new Int16Array(9), rows: 3 },
        ],
        field: "Rows",
        pattern: /is "3", expected "2" as in/,
        file: 1,
      },
      {
        name: "series",
        slices: [
          { position: [0, 0, 0], pixels: px },
          { position: [0, 0, 1], pixels: px, series: "9.9" },
        ],
        field: "SeriesInstanceUID",
        pattern: /is "9\.9", expected "1\.2\.3\.4"/,
        file: 1,
      },
      {
        name: "duplicate",
        slices: [
          { position: [0, 0, 0], pixels: px },
          { position: [0, 0, 0], pixels: px },
        ],
        field: "ImagePositionPatient",
        pattern: /each slice once/,
      },
      {
        name: "gap",
        slices: [
          { position: [0, 0, 0], pixels: px },
          { position: [0, 0, 1], pixels: px },
          { position: [0, 0, 3], pixels: px },
        ],
        field: "ImagePositionPatient",
        pattern:
          /slice steps from 1\.000 to 2\.000 mm, expected evenly spaced slices/,
        file: -1,
      },
      {
        name: "short_pixels",
        slices: [{
          position: [0, 0, 0],
          pixels: px,
          pixelBytes: new Uint8Array(10),
        }],
        field: "PixelData",
        pattern: /is 10 bytes, expected 12 bytes \(Rows 2 × Columns 3 × 2\)/,
      },
    ];
    for (const c of cases) {
      const dir = join(root, c.name);
      await Deno.mkdir(dir);
      const files: string[] = [];
      for (let i = 0; i < c.slices.length; i++) {
        const path = join(dir, `f${i}.dcm`);
        files.push(path);
        await Deno.writeFile(path, buildSlice(c.slices[i]));
      }
      const error = await readDicomSeries(dir).then(
        () => assert.fail(`case "${c.name}" was accepted`),
        (e) => e,
      );
      assert.ok(error instanceof DataError, `${c.name}: ${error}`);
      const file = c.file === -1 ? dir : files[c.file ?? 0];
      if (c.name !== "duplicate") assert.equal(error.file, file, c.name);
      assert.equal(error.field, c.field, c.name);
      assert.ok(
        error.message.startsWith(
          `Cannot read "${error.file}": field "${c.field}"`,
        ),
        error.message,
      );
      assert.match(error.message, c.pattern, c.name);
    }

    // A file cut inside its pixel data.
    const cut = join(root, "cut");
    await Deno.mkdir(cut);
    const whole = buildSlice({ position: [0, 0, 0], pixels: px });
    await Deno.writeFile(
      join(cut, "x.dcm"),
      whole.subarray(0, whole.length - 4),
    );
    await assert.rejects(
      readDicomSeries(cut),
      (e: unknown) =>
        e instanceof DataError && e.field === "PixelData" &&
        /12 bytes long, but only 8 bytes remain \(truncated file\)/.test(
          e.message,
        ),
    );
    // Encapsulated (compressed) pixel data under an uncompressed syntax label.
    const enc = join(root, "encapsulated");
    await Deno.mkdir(enc);
    const bytes = buildSlice({
      position: [0, 0, 0],
      pixels: px,
      pixelBytes: new Uint8Array(0),
    });
    const view = new DataView(bytes.buffer);
    view.setUint32(bytes.length - 4, 0xffffffff, true);
    await Deno.writeFile(join(enc, "x.dcm"), bytes);
    await assert.rejects(
      readDicomSeries(enc),
      /field "PixelData" is encapsulated \(undefined length\)/,
    );

    const empty = join(root, "empty");
    await Deno.mkdir(empty);
    await Deno.writeTextFile(join(empty, "notes.txt"), "hello");
    await assert.rejects(
      readDicomSeries(empty),
      /Cannot read ".*empty": a folder with no DICOM files \(1 file without the DICM marker\)/,
    );
    await assert.rejects(
      readDicomSeries(join(root, "absent")),
      /a folder that does not exist/,
    );
  });
});
