import assert from "node:assert/strict";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DataError } from "../errors.ts";
import { sharedDataPath, withSharedData } from "../testing/shared_data.ts";
import { voxelToWorld, type Zyx } from "../volume.ts";
import { readNifti, readNiftiHeader } from "./nifti.ts";

interface NiftiSpec {
  dim?: number[];
  datatype?: number;
  bitpix?: number;
  pixdim?: number[];
  voxOffset?: number;
  slope?: number;
  inter?: number;
  qformCode?: number;
  sformCode?: number;
  quatern?: number[];
  srow?: number[];
  littleEndian?: boolean;
  magic?: string;
  sizeofHdr?: number;
  /** Writes the voxel data; `view` starts at vox_offset. */
  write?: (view: DataView, littleEndian: boolean) => void;
  dataBytes?: number;
}

/** Encodes a NIfTI-1 file from the byte offsets of the NIfTI-1 specification. */
function buildNifti(spec: NiftiSpec): Uint8Array {
  const le = spec.littleEndian ?? true;
  const voxOffset = spec.voxOffset ?? 352;
  const out = new Uint8Array(
    Math.max(352, voxOffset + (spec.dataBytes ?? 0)),
  );
  const v = new DataView(out.buffer);
  v.setInt32(0, spec.sizeofHdr ?? 348, le);
  (spec.dim ?? [3, 4, 3, 2, 1, 1, 1, 1]).forEach((d, i) =>
    v.setInt16(40 + 2 * i, d, le)
  );
  v.setInt16(70, spec.datatype ?? 4, le);
  v.setInt16(72, spec.bitpix ?? 16, le);
  (spec.pixdim ?? [1, 1, 1, 1, 0, 0, 0, 0]).forEach((p, i) =>
    v.setFloat32(76 + 4 * i, p, le)
  );
  v.setFloat32(108, voxOffset, le);
  v.setFloat32(112, spec.slope ?? 1, le);
  v.setFloat32(116, spec.inter ?? 0, le);
  v.setInt16(252, spec.qformCode ?? 0, le);
  v.setInt16(254, spec.sformCode ?? 0, le);
  (spec.quatern ?? [0, 0, 0, 0, 0, 0]).forEach((q, i) =>
    v.setFloat32(256 + 4 * i, q, le)
  );
  (spec.srow ?? [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]).forEach((s, i) =>
    v.setFloat32(280 + 4 * i, s, le)
  );
  const magic = spec.magic ?? "n+1\0";
  for (let i = 0; i < 4; i++) out[344 + i] = magic.charCodeAt(i) || 0;
  spec.write?.(new DataView(out.buffer, voxOffset), le);
  return out;
}

const RAMP = Array.from({ length: 24 }, (_, i) => i * 3 - 20);

function int16Spec(extra: NiftiSpec = {}): NiftiSpec {
  return {
    dataBytes: 48,
    write: (view, le) => RAMP.forEach((x, i) => view.setInt16(2 * i, x, le)),
    ...extra,
  };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pleura_nii_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function assertClose(
  actual: readonly number[],
  expected: readonly number[],
  tol = 1e-5,
): void {
  actual.forEach((a, i) =>
    assert.ok(
      Math.abs(a - expected[i]) <= tol,
      `[${actual}] vs [${expected}] at ${i}`,
    )
  );
}

const DATATYPES: {
  code: number;
  ctor: { new (n: number): ArrayLike<number>; BYTES_PER_ELEMENT: number };
  set: keyof DataView;
  values: number[];
}[] = [
  { code: 2, ctor: Uint8Array, set: "setUint8", values: [0, 255, 7] },
  { code: 256, ctor: Int8Array, set: "setInt8", values: [-128, 127, 0] },
  { code: 4, ctor: Int16Array, set: "setInt16", values: [-32768, 32767, -1] },
  { code: 512, ctor: Uint16Array, set: "setUint16", values: [0, 65535, 300] },
  {
    code: 8,
    ctor: Int32Array,
    set: "setInt32",
    values: [-2147483648, 2147483647, -5],
  },
  {
    code: 768,
    ctor: Uint32Array,
    set: "setUint32",
    values: [0, 4294967295, 70000],
  },
  {
    code: 16,
    ctor: Float32Array,
    set: "setFloat32",
    values: [-1024.5, 3.4028234663852886e38, Math.fround(1e-30)],
  },
  {
    code: 64,
    ctor: Float64Array,
    set: "setFloat64",
    values: [-Number.MAX_VALUE, Math.PI, -0.125],
  },
];

Deno.test("readNifti() reads every datatype in both byte orders", async () => {
  await withTempDir(async (dir) => {
    for (const t of DATATYPES) {
      for (const le of [true, false]) {
        const size = t.ctor.BYTES_PER_ELEMENT;
        const values = Array.from(
          { length: 24 },
          (_, i) => t.values[i % t.values.length],
        );
        const bytes = buildNifti({
          datatype: t.code,
          bitpix: size * 8,
          littleEndian: le,
          dataBytes: 24 * size,
          write: (view, little) =>
            values.forEach((x, i) =>
              (view[t.set] as (o: number, v: number, le: boolean) => void).call(
                view,
                i * size,
                x,
                little,
              )
            ),
        });
        const path = join(dir, `t${t.code}_${le}.nii`);
        await Deno.writeFile(path, bytes);
        const v = await readNifti(path);
        assert.equal(v.data.constructor, t.ctor, `${t.code} le=${le}`);
        assert.deepEqual(Array.from(v.data), values, `${t.code} le=${le}`);
        assert.deepEqual(v.shape, [2, 3, 4]);
        assert.equal((await readNiftiHeader(path)).littleEndian, le);
      }
    }
  });
});

Deno.test("readNifti() uses the sform and converts RAS to LPS", async () => {
  await withTempDir(async (dir) => {
    // Voxel i → RAS -y·2, j → RAS +x·3, k → RAS +z·4 (a permutation with a flip).
    const path = join(dir, "s.nii");
    await Deno.writeFile(
      path,
      buildNifti(int16Spec({
        sformCode: 2,
        qformCode: 1,
        quatern: [0, 0, 0, 99, 99, 99],
        srow: [0, 3, 0, 10, -2, 0, 0, 20, 0, 0, 4, 30],
      })),
    );
    const v = await readNifti(path);
    assert.equal((await readNiftiHeader(path)).geometrySource, "sform");
    assert.deepEqual(v.spacingMm, [4, 3, 2]);
    // Origin RAS (10, 20, 30) = LPS (-10, -20, 30).
    assert.deepEqual(v.originMm, [30, -20, -10]);
    // Voxel (k=1, j=1, i=1): RAS (13, 18, 34) → LPS (-13, -18, 34).
    assertClose(voxelToWorld(v, [1, 1, 1]), [34, -18, -13]);
    assert.deepEqual(Array.from(v.data), RAMP);
  });
});

Deno.test("readNifti() uses the qform quaternion, qfac and pixdim when there is no sform", async () => {
  await withTempDir(async (dir) => {
    // IBSI-style: quaternion (0, 0, 1) = 180° about z, i.e. RAS diag(-1, -1, 1).
    const a = join(dir, "a.nii");
    await Deno.writeFile(
      a,
      buildNifti(int16Spec({
        qformCode: 2,
        pixdim: [1, 0.5, 0.75, 3, 0, 0, 0, 0],
        quatern: [0, 0, 1, 174.4, 79.6, -100.4],
      })),
    );
    const va = await readNifti(a);
    assert.equal((await readNiftiHeader(a)).geometrySource, "qform");
    assertClose(va.originMm, [-100.4, -79.6, -174.4]);
    assertClose(va.direction, [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    assertClose(va.spacingMm, [3, 0.75, 0.5]);

    // 90° about z (d = sin 45°) with qfac −1: i → RAS +y, j → RAS −x, k → RAS −z.
    const b = join(dir, "b.nii");
    await Deno.writeFile(
      b,
      buildNifti(int16Spec({
        qformCode: 1,
        pixdim: [-1, 2, 3, 4, 0, 0, 0, 0],
        quatern: [0, 0, Math.SQRT1_2, 0, 0, 0],
      })),
    );
    const vb = await readNifti(b);
    // In LPS: i (x voxel) → −y·2, j (y voxel) → +x·3, k (z voxel) → −z·4.
    assertClose(voxelToWorld(vb, [0, 0, 1]), [0, -2, 0]);
    assertClose(voxelToWorld(vb, [0, 1, 0]), [0, 0, 3]);
    assertClose(voxelToWorld(vb, [1, 0, 0]), [-4, 0, 0]);

    // Neither form: pixdim scaling in RAS, so x and y flip in LPS.
    const c = join(dir, "c.nii");
    await Deno.writeFile(
      c,
      buildNifti(int16Spec({ pixdim: [1, 2, 3, 4, 0, 0, 0, 0] })),
    );
    const vc = await readNifti(c);
    assert.equal((await readNiftiHeader(c)).geometrySource, "pixdim");
    assertClose(voxelToWorld(vc, [1, 1, 1]), [4, -3, -2]);
  });
});

Deno.test("readNifti() applies scl_slope/scl_inter only when they change values", async () => {
  await withTempDir(async (dir) => {
    const scaled = join(dir, "scaled.nii");
    await Deno.writeFile(
      scaled,
      buildNifti(int16Spec({ slope: 2, inter: -1024 })),
    );
    const v = await readNifti(scaled);
    assert.ok(v.data instanceof Float32Array);
    assert.deepEqual(Array.from(v.data), RAMP.map((x) => 2 * x - 1024));
    for (const [slope, inter] of [[0, 5], [1, 0]]) {
      const path = join(dir, `s${slope}.nii`);
      await Deno.writeFile(path, buildNifti(int16Spec({ slope, inter })));
      const u = await readNifti(path);
      assert.ok(u.data instanceof Int16Array, `slope ${slope}`);
      assert.deepEqual(Array.from(u.data), RAMP);
    }
  });
});

Deno.test("readNifti() reads .nii.gz, a 4-D file with one frame and the header alone", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "v.nii.gz");
    const bytes = buildNifti(int16Spec({ dim: [4, 4, 3, 2, 1, 1, 1, 1] }));
    await Deno.writeFile(path, gzipSync(bytes));
    const v = await readNifti(path);
    assert.deepEqual(v.shape, [2, 3, 4]);
    assert.deepEqual(Array.from(v.data), RAMP);
    const header = await readNiftiHeader(path);
    assert.deepEqual(header.dim.slice(0, 5), [4, 4, 3, 2, 1]);
  });
});

Deno.test("readNifti() rejects malformed input naming the file and field", async () => {
  await withTempDir(async (dir) => {
    const nan = (view: DataView, le: boolean) => {
      for (let i = 0; i < 24; i++) {
        view.setFloat32(4 * i, i === 5 ? NaN : i, le);
      }
    };
    const cases: {
      name: string;
      bytes: Uint8Array;
      field: string;
      pattern: RegExp;
    }[] = [
      {
        name: "magic",
        bytes: buildNifti(int16Spec({ magic: "abc\0" })),
        field: "magic",
        pattern: /is "abc", expected "n\+1"/,
      },
      {
        name: "pair",
        bytes: buildNifti(int16Spec({ magic: "ni1\0" })),
        field: "magic",
        pattern: /\.hdr\/\.img pairs are not supported/,
      },
      {
        name: "sizeof",
        bytes: buildNifti(int16Spec({ sizeofHdr: 1234 })),
        field: "sizeof_hdr",
        pattern: /is 1234, expected 348/,
      },
      {
        name: "nifti2",
        bytes: buildNifti(int16Spec({ sizeofHdr: 540 })),
        field: "sizeof_hdr",
        pattern: /NIfTI-2 is not supported/,
      },
      {
        name: "datatype",
        bytes: buildNifti(int16Spec({ datatype: 32, bitpix: 64 })),
        field: "datatype",
        pattern: /is 32, expected one of 2 \(uint8\)/,
      },
      {
        name: "bitpix",
        bytes: buildNifti(int16Spec({ bitpix: 8 })),
        field: "bitpix",
        pattern: /is 8, expected 16 for datatype 4/,
      },
      {
        name: "truncated",
        bytes: buildNifti({ dataBytes: 40 }),
        field: "dim",
        pattern: /holds 40 bytes after vox_offset 352 \(truncated\)/,
      },
      {
        name: "dims2",
        bytes: buildNifti(int16Spec({ dim: [2, 4, 6, 1, 1, 1, 1, 1] })),
        field: "dim",
        pattern: /is \[2, 4, 6\], expected a 3-D volume/,
      },
      {
        name: "frames",
        bytes: buildNifti(int16Spec({ dim: [4, 4, 3, 2, 2, 1, 1, 1] })),
        field: "dim",
        pattern: /is \[4, 4, 3, 2, 2\]/,
      },
      {
        name: "pixdim",
        bytes: buildNifti(
          int16Spec({ qformCode: 1, pixdim: [1, 1, 0, 1, 0, 0, 0, 0] }),
        ),
        field: "pixdim[2]",
        pattern: /is 0, expected a finite voxel size > 0/,
      },
      {
        name: "pixdim_nan",
        bytes: buildNifti(int16Spec({ pixdim: [1, 1, 1, NaN, 0, 0, 0, 0] })),
        field: "pixdim[3]",
        pattern: /is NaN/,
      },
      {
        name: "vox_offset",
        bytes: buildNifti({ voxOffset: 100 }),
        field: "vox_offset",
        pattern: /is 100, expected an integer >= 348/,
      },
      {
        name: "nan",
        bytes: buildNifti({
          datatype: 16,
          bitpix: 32,
          dataBytes: 96,
          write: nan,
        }),
        field: "voxel data",
        pattern: /data with 1 NaN voxel of 24/,
      },
      {
        name: "short_header",
        bytes: new Uint8Array(100),
        field: "sizeof_hdr",
        pattern: /a file of 100 bytes/,
      },
    ];
    for (const c of cases) {
      const path = join(dir, `${c.name}.nii`);
      await Deno.writeFile(path, c.bytes);
      const error = await readNifti(path).then(
        () => assert.fail(`case "${c.name}" was accepted`),
        (e) => e,
      );
      assert.ok(error instanceof DataError, `${c.name}: ${error}`);
      assert.equal(error.field, c.field, c.name);
      assert.ok(
        error.message.startsWith(`Cannot read "${path}": field "${c.field}"`),
        `${c.name}: ${error.message}`,
      );
      assert.match(error.message, c.pattern, c.name);
    }
    const kept = await readNifti(join(dir, "nan.nii"), { allowNaN: true });
    assert.ok(Number.isNaN(kept.data[5]) && kept.data[6] === 6);

    const gz = join(dir, "bad.nii.gz");
    await Deno.writeFile(gz, new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3, 4]));
    await assert.rejects(
      readNifti(gz),
      (e: unknown) =>
        e instanceof DataError && e.file === gz &&
        /the gzip stream cannot be inflated/.test(e.message),
    );
    await assert.rejects(
      readNiftiHeader(gz),
      /the gzip stream cannot be inflated/,
    );
    await assert.rejects(
      readNifti(join(dir, "absent.nii")),
      /absent\.nii", which does not exist/,
    );
  });
});

const REAL: {
  file: string;
  type: string;
  shape: Zyx;
  spacingMm: Zyx;
  originMm: Zyx;
  direction: number[];
  range: [number, number];
}[] = [
  {
    file: "ibsi1_ct_phantom.nii.gz",
    type: "Float32Array",
    shape: [60, 201, 204],
    spacingMm: [3, 0.977, 0.977],
    originMm: [-100.4, -79.6255, -174.3945],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    range: [-1000, 3065],
  },
  {
    file: "ibsi1_ct_phantom_gtv_mask.nii.gz",
    type: "Uint8Array",
    shape: [60, 201, 204],
    spacingMm: [3, 0.977, 0.977],
    originMm: [-100.4, -79.6255, -174.3945],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    range: [0, 1],
  },
  {
    file: "ts_pulmonary_crop.nii.gz",
    type: "Int16Array",
    shape: [112, 102, 122],
    spacingMm: [1.5, 1.5, 1.5],
    originMm: [576.2, -255.658203125, -71.658203125],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    range: [-1064, 3343],
  },
  {
    // Positive x/y diagonal in RAS: the voxel x and y axes run along −x, −y in LPS.
    file: "ts_example_ct_sm.nii.gz",
    type: "Int16Array",
    shape: [30, 101, 122],
    spacingMm: [3, 3, 3],
    originMm: [94.3017578125, -11.319000244140625, 177.95632934570312],
    direction: [1, 0, 0, 0, -1, 0, 0, 0, -1],
    range: [-1100, 1207],
  },
];

Deno.test(
  withSharedData(
    "readNifti() loads the real NIfTI files with their README geometry",
    async () => {
      for (const r of REAL) {
        const v = await readNifti(sharedDataPath("real-ct", r.file)!);
        assert.equal(v.data.constructor.name, r.type, r.file);
        assert.deepEqual(v.shape, r.shape, r.file);
        assertClose(v.spacingMm, r.spacingMm, 1e-6);
        assertClose(v.originMm, r.originMm, 1e-4);
        assert.deepEqual(v.direction, r.direction, r.file);
        let min = Infinity, max = -Infinity;
        for (const x of v.data) {
          if (x < min) min = x;
          if (x > max) max = x;
        }
        assert.deepEqual([min, max], r.range, r.file);
      }
      // ibsi1 has both forms (qform_code 2, sform_code 1) and they agree.
      const header = await readNiftiHeader(
        sharedDataPath("real-ct", "ibsi1_ct_phantom.nii.gz")!,
      );
      assert.equal(header.geometrySource, "sform");
      assert.deepEqual([header.qformCode, header.sformCode], [2, 1]);
    },
  ),
);

Deno.test(
  withSharedData(
    "the IBSI GTV mask centroid lands at the README's LPS position",
    async () => {
      const mask = await readNifti(
        sharedDataPath("real-ct", "ibsi1_ct_phantom_gtv_mask.nii.gz")!,
      );
      const [nz, ny, nx] = mask.shape;
      let n = 0, sz = 0, sy = 0, sx = 0;
      for (let z = 0; z < nz; z++) {
        for (let y = 0; y < ny; y++) {
          for (let x = 0; x < nx; x++) {
            if (mask.data[(z * ny + y) * nx + x] !== 0) {
              n++;
              sz += z;
              sy += y;
              sx += x;
            }
          }
        }
      }
      const centroid = voxelToWorld(mask, [sz / n, sy / n, sx / n]);
      // README: LPS (-74.5, 16.3, -18.7) as (x, y, z); 358.7 mL.
      assertClose(centroid, [-18.7, 16.3, -74.5], 0.06);
      const volumeMl = n * mask.spacingMm[0] * mask.spacingMm[1] *
        mask.spacingMm[2] / 1000;
      assert.ok(Math.abs(volumeMl - 358.7) < 0.1, `${volumeMl} mL`);
    },
  ),
);
