import assert from "node:assert/strict";
import {
  type Volume,
  voxelToWorld,
  worldToVoxel,
  type Zyx,
} from "../volume.ts";
import {
  generateSyntheticScan,
  LUNG_LABEL_LEFT,
  LUNG_LABEL_RIGHT,
  type SyntheticScan,
} from "./scan.ts";
import { quantileSorted } from "./diameters.ts";

const SMALL = { size: 112, slices: 48 } as const;

function voxelAt(volume: Volume, worldMm: Zyx): [number, number, number] {
  const v = worldToVoxel(volume, worldMm);
  return [Math.round(v[0]), Math.round(v[1]), Math.round(v[2])];
}

function valueAt(volume: Volume, [z, y, x]: readonly number[]): number {
  const [, ny, nx] = volume.shape;
  return volume.data[(z * ny + y) * nx + x];
}

function labelCounts(scan: SyntheticScan): Map<number, number> {
  const counts = new Map<number, number>();
  for (const label of scan.lungMask.data) {
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return counts;
}

function sliceHasLabel(scan: SyntheticScan, k: number): boolean {
  const [, ny, nx] = scan.lungMask.shape;
  const n = nx * ny;
  return scan.lungMask.data.subarray(k * n, (k + 1) * n).some((v) => v > 0);
}

Deno.test("generateSyntheticScan() gives identical bytes for a seed and different bytes for another", () => {
  const a = generateSyntheticScan(11, SMALL);
  const b = generateSyntheticScan(11, SMALL);
  const c = generateSyntheticScan(12, SMALL);
  assert.deepEqual(a.volume.shape, b.volume.shape);
  assert.ok(a.volume.data.every((v, i) => v === b.volume.data[i]));
  assert.ok(a.lungMask.data.every((v, i) => v === b.lungMask.data[i]));
  assert.deepEqual(a.nodules, b.nodules);
  assert.deepEqual(a.volume.originMm, b.volume.originMm);
  const sameShape = c.volume.data.length === a.volume.data.length;
  assert.ok(
    !sameShape || c.volume.data.some((v, i) => v !== a.volume.data[i]),
    "seed 12 gave the same volume as seed 11",
  );
  assert.notDeepEqual(a.volume.spacingMm, c.volume.spacingMm);
});

Deno.test("generateSyntheticScan() puts every nodule centre inside its lung's mask", () => {
  const types = new Set<string>();
  for (let seed = 0; seed < 8; seed++) {
    const scan = generateSyntheticScan(seed, { ...SMALL, noduleCount: 3 });
    assert.ok(
      scan.nodules.length >= 2,
      `seed ${seed}: ${scan.nodules.length} nodules placed`,
    );
    for (const nodule of scan.nodules) {
      types.add(nodule.type);
      const label = valueAt(
        scan.lungMask,
        voxelAt(scan.lungMask, nodule.worldMm),
      );
      assert.equal(
        label,
        nodule.lung === "right" ? LUNG_LABEL_RIGHT : LUNG_LABEL_LEFT,
        `seed ${seed}: ${nodule.type} nodule centre has label ${label}`,
      );
    }
  }
  assert.deepEqual([...types].sort(), [
    "ground_glass",
    "juxtapleural",
    "solid",
  ]);
});

Deno.test("generateSyntheticScan() attaches juxtapleural nodules to the chest wall", () => {
  let checked = 0;
  for (let seed = 0; seed < 10 && checked < 3; seed++) {
    const scan = generateSyntheticScan(seed, {
      size: 160,
      slices: 90,
      noduleCount: 4,
    });
    const [nz, ny, nx] = scan.lungMask.shape;
    for (const nodule of scan.nodules) {
      if (nodule.type !== "juxtapleural") continue;
      checked++;
      // Some voxel within the nodule's radius (+ half a voxel) of its centre
      // lies outside the lung: the nodule reaches the pleura.
      const r = nodule.diameterMm / 2;
      const c = worldToVoxel(scan.lungMask, nodule.worldMm);
      const sp = scan.lungMask.spacingMm;
      let outside = 0;
      for (
        let z = Math.floor(c[0] - r / sp[0]);
        z <= Math.ceil(c[0] + r / sp[0]);
        z++
      ) {
        for (
          let y = Math.floor(c[1] - r / sp[1]);
          y <= Math.ceil(c[1] + r / sp[1]);
          y++
        ) {
          for (
            let x = Math.floor(c[2] - r / sp[2]);
            x <= Math.ceil(c[2] + r / sp[2]);
            x++
          ) {
            if (z < 0 || y < 0 || x < 0 || z >= nz || y >= ny || x >= nx) {
              continue;
            }
            const w = voxelToWorld(scan.lungMask, [z, y, x]);
            const d = Math.hypot(
              w[0] - nodule.worldMm[0],
              w[1] - nodule.worldMm[1],
              w[2] - nodule.worldMm[2],
            );
            if (
              d <= r + 0.5 * Math.max(...sp) &&
              valueAt(scan.lungMask, [z, y, x]) === 0
            ) outside++;
          }
        }
      }
      assert.ok(
        outside > 0,
        `seed ${seed}: juxtapleural nodule of ${
          r * 2
        } mm does not reach the pleura`,
      );
    }
  }
  assert.ok(checked >= 3, `only ${checked} juxtapleural nodules checked`);
});

Deno.test("generateSyntheticScan() makes lungs of 1–4 L each, right lung on the patient's right", () => {
  for (const seed of [3, 4, 5, 6]) {
    const scan = generateSyntheticScan(seed, { size: 128, slices: 64 });
    const counts = labelCounts(scan);
    assert.deepEqual(
      [...counts.keys()].sort(),
      [0, LUNG_LABEL_RIGHT, LUNG_LABEL_LEFT],
      `seed ${seed}: labels ${[...counts.keys()]}`,
    );
    const voxelL = scan.lungMask.spacingMm.reduce((a, b) => a * b, 1) / 1e6;
    for (const label of [LUNG_LABEL_RIGHT, LUNG_LABEL_LEFT]) {
      const litres = counts.get(label)! * voxelL;
      assert.ok(
        litres > 1 && litres < 4,
        `seed ${seed}: lung ${label} holds ${litres.toFixed(2)} L`,
      );
    }
    // Mean world x of each label: LPS x grows towards the patient's left.
    const [nz, ny, nx] = scan.lungMask.shape;
    const sum = { [LUNG_LABEL_RIGHT]: 0, [LUNG_LABEL_LEFT]: 0 };
    for (let z = 0; z < nz; z += 4) {
      for (let y = 0; y < ny; y += 2) {
        for (let x = 0; x < nx; x += 2) {
          const label = valueAt(scan.lungMask, [z, y, x]);
          if (label > 0) {
            sum[label as 3 | 4] += voxelToWorld(scan.lungMask, [z, y, x])[2] -
              scan.volume.originMm[2];
          }
        }
      }
    }
    const meanX = (label: 3 | 4) => sum[label] / counts.get(label)!;
    assert.ok(
      meanX(3) < meanX(4),
      `seed ${seed}: right lung is not at lower x`,
    );
  }
});

Deno.test("generateSyntheticScan() gives plausible HU for lung, soft tissue and bone", () => {
  const scan = generateSyntheticScan(21, {
    size: 128,
    slices: 64,
    flags: { contrast: false },
  });
  const { data } = scan.volume;
  const mask = scan.lungMask.data;
  const [, ny, nx] = scan.volume.shape;
  const plane = nx * ny;
  let lung = 0, lungLow = 0;
  const body: number[] = [];
  let bone = 0, maxHu = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (mask[i] > 0) {
      // Parenchyma: lung voxels away from the boundary (no partial volume).
      const interior = mask[i - 1] > 0 && mask[i + 1] > 0 &&
        mask[i - nx] > 0 && mask[i + nx] > 0 && mask[i - plane] > 0 &&
        mask[i + plane] > 0;
      if (interior) {
        lung++;
        if (v < -600) lungLow++;
      }
    } else if (v > -500) {
      body.push(v);
      if (v > 300) bone++;
    }
    if (v > maxHu) maxHu = v;
  }
  assert.ok(
    lungLow / lung > 0.85,
    `only ${(100 * lungLow / lung).toFixed(1)} % of lung voxels below -600 HU`,
  );
  body.sort((a, b) => a - b);
  const median = body[body.length >> 1];
  assert.ok(median > -120 && median < 80, `soft-tissue median ${median} HU`);
  const boneFraction = bone / body.length;
  assert.ok(
    boneFraction > 0.003 && boneFraction < 0.1,
    `bone fraction ${boneFraction}`,
  );
  assert.ok(maxHu > 500, `brightest voxel ${maxHu} HU`);
});

Deno.test("generateSyntheticScan() gives nodule interiors their nominal HU", () => {
  let checked = 0;
  for (const seed of [31, 32, 33]) {
    const scan = generateSyntheticScan(seed, {
      size: 256,
      slices: 150,
      noduleCount: 8,
    });
    const sp = scan.volume.spacingMm;
    for (const nodule of scan.nodules) {
      // Only nodules several voxels across have a partial-volume-free core:
      // average the voxels well inside the radius.
      const maxSpacing = Math.max(...sp);
      if (nodule.diameterMm < 4 * maxSpacing) continue;
      const inner = nodule.diameterMm / 2 - maxSpacing;
      const c = voxelAt(scan.volume, nodule.worldMm);
      let sum = 0, n = 0;
      for (let dz = -2; dz <= 2; dz++) {
        for (let dy = -3; dy <= 3; dy++) {
          for (let dx = -3; dx <= 3; dx++) {
            const voxel = [c[0] + dz, c[1] + dy, c[2] + dx] as const;
            const w = voxelToWorld(scan.volume, voxel);
            const d = Math.hypot(
              w[0] - nodule.worldMm[0],
              w[1] - nodule.worldMm[1],
              w[2] - nodule.worldMm[2],
            );
            if (d > inner && !(dz === 0 && dy === 0 && dx === 0)) continue;
            sum += valueAt(scan.volume, voxel);
            n++;
          }
        }
      }
      const mean = sum / n;
      const tolerance = 3 * scan.noiseSdHu / Math.sqrt(n) + 60;
      assert.ok(
        Math.abs(mean - nodule.hu) < tolerance,
        `seed ${seed}: ${nodule.type} nodule of ${
          nodule.diameterMm.toFixed(1)
        } mm: core ${mean.toFixed(0)} HU, nominal ${nodule.hu.toFixed(0)} HU`,
      );
      checked++;
    }
  }
  assert.ok(checked >= 3, `only ${checked} nodules large enough to check`);
});

Deno.test("neckStart puts lung-free neck slices, with the trachea, at the top of the scan", () => {
  const neck = generateSyntheticScan(41, {
    ...SMALL,
    flags: { neckStart: true },
  });
  const plain = generateSyntheticScan(41, {
    ...SMALL,
    flags: { neckStart: false },
  });
  const [nz, ny, nx] = neck.volume.shape;
  const sz = neck.volume.spacingMm[0];
  let free = 0;
  for (let k = nz - 1; k >= 0 && !sliceHasLabel(neck, k); k--) free++;
  assert.ok(
    free * sz >= 40,
    `only ${(free * sz).toFixed(0)} mm of lung-free slices at the top`,
  );
  assert.ok(!sliceHasLabel(neck, nz - 1));
  // The top slice has air enclosed by the body (tissue on all four sides):
  // the trachea.
  const top = (nz - 1) * nx * ny;
  const at = (x: number, y: number) => neck.volume.data[top + y * nx + x];
  const enclosed = (x: number, y: number) => {
    const tissue = (dx: number, dy: number) => {
      for (
        let i = x + dx, j = y + dy;
        i >= 0 && j >= 0 && i < nx && j < ny;
        i += dx, j += dy
      ) {
        if (at(i, j) > -300) return true;
      }
      return false;
    };
    return tissue(1, 0) && tissue(-1, 0) && tissue(0, 1) && tissue(0, -1);
  };
  let air = 0;
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      if (at(x, y) < -900 && enclosed(x, y)) air++;
    }
  }
  assert.ok(
    air >= 4,
    `only ${air} enclosed air pixels (the trachea) in the top slice`,
  );
  // Without the flag the lungs begin within a few slices of the top.
  const [pnz] = plain.volume.shape;
  let plainFree = 0;
  for (let k = pnz - 1; k >= 0 && !sliceHasLabel(plain, k); k--) plainFree++;
  assert.ok(plainFree * plain.volume.spacingMm[0] < 25);
});

Deno.test("abdomenEnd extends the scan well below the lungs", () => {
  const scan = generateSyntheticScan(42, {
    ...SMALL,
    flags: { abdomenEnd: true },
  });
  let free = 0;
  for (let k = 0; k < scan.volume.shape[0] && !sliceHasLabel(scan, k); k++) {
    free++;
  }
  assert.ok(free * scan.volume.spacingMm[0] >= 50);
  assert.ok(scan.landmarks.lungBottomZMm - scan.volume.originMm[0] >= 55);
});

Deno.test("fovPaddingHu fills outside the reconstruction circle, and only there", () => {
  for (const pad of [-2048, -3024] as const) {
    const scan = generateSyntheticScan(43, {
      ...SMALL,
      flags: { fovPaddingHu: pad },
    });
    const [nz, ny, nx] = scan.volume.shape;
    const c = (nx - 1) / 2;
    for (const k of [0, nz >> 1, nz - 1]) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++) {
          const v = scan.volume.data[(k * ny + y) * nx + x];
          const r = Math.hypot(x - c, y - c);
          if (r > nx / 2 + 0.01) assert.equal(v, pad);
          if (r < nx / 2 - 1) {
            assert.ok(
              v >= -1024,
              `pixel (${x}, ${y}) inside the circle holds ${v}`,
            );
          }
        }
      }
    }
  }
  const plain = generateSyntheticScan(43, {
    ...SMALL,
    flags: { fovPaddingHu: null },
  });
  assert.ok(plain.volume.data.every((v) => v >= -1024 && v <= 3071));
});

Deno.test("flippedXY stores the data reversed in x and y and keeps world positions", () => {
  const a = generateSyntheticScan(44, {
    ...SMALL,
    noduleCount: 2,
    flags: { flippedXY: false },
  });
  const b = generateSyntheticScan(44, {
    ...SMALL,
    noduleCount: 2,
    flags: { flippedXY: true },
  });
  assert.deepEqual(a.nodules, b.nodules);
  assert.deepEqual(b.volume.direction, [1, 0, 0, 0, -1, 0, 0, 0, -1]);
  const [nz, ny, nx] = a.volume.shape;
  for (
    const [z, y, x] of [[0, 0, 0], [nz >> 1, ny >> 1, 10], [nz - 1, 5, nx - 7]]
  ) {
    const mirrored: Zyx = [z, ny - 1 - y, nx - 1 - x];
    assert.equal(valueAt(a.volume, [z, y, x]), valueAt(b.volume, mirrored));
    const wa = voxelToWorld(a.volume, [z, y, x]),
      wb = voxelToWorld(b.volume, mirrored);
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(wa[i] - wb[i]) < 1e-9);
  }
  for (const nodule of b.nodules) {
    assert.ok(valueAt(b.lungMask, voxelAt(b.lungMask, nodule.worldMm)) > 0);
  }
});

Deno.test("generateSyntheticScan() writes scanner-like geometry", () => {
  for (let seed = 50; seed < 54; seed++) {
    const scan = generateSyntheticScan(seed, {
      size: 512,
      slices: 8,
      noduleCount: 0,
    });
    const [sz, sy, sx] = scan.volume.spacingMm;
    assert.equal(sx, sy);
    assert.ok(sx >= 0.6 && sx <= 1.0, `in-plane spacing ${sx}`);
    assert.ok(sz > 0);
    const [oz, oy, ox] = scan.volume.originMm;
    const fov = 512 * sx;
    if (!scan.flags.flippedXY) {
      assert.ok(
        Math.abs(ox + fov / 2) < 25,
        `origin x ${ox} for a ${fov} mm field of view`,
      );
      assert.ok(Math.abs(oy + fov / 2) < 35, `origin y ${oy}`);
    }
    assert.ok(oz < 0, `origin z ${oz}`);
  }
  const auto = generateSyntheticScan(57, { size: 64 });
  const thickness = auto.volume.spacingMm[0];
  assert.ok([0.625, 0.7, 0.75, 0.8, 1, 1.25, 1.5, 2, 2.5].includes(thickness));
  assert.ok(
    auto.volume.shape[0] * thickness > 220,
    "auto slices cover the chest",
  );
});

Deno.test("generateSyntheticScan() draws 0–3 nodules, some scans with none, and excluded findings", () => {
  const counts: number[] = [];
  let tiny = 0, marks = 0;
  for (let seed = 60; seed < 76; seed++) {
    const scan = generateSyntheticScan(seed, { size: 48, slices: 24 });
    counts.push(scan.nodules.length);
    for (const finding of scan.excluded) {
      if (finding.kind === "tiny_nodule") {
        tiny++;
        assert.ok(finding.diameterMm > 0 && finding.diameterMm < 3);
      } else {
        marks++;
        assert.equal(finding.diameterMm, -1);
      }
    }
    for (const nodule of scan.nodules) {
      assert.ok(nodule.diameterMm >= 3.25 && nodule.diameterMm <= 32.27);
    }
  }
  assert.ok(counts.every((n) => n >= 0 && n <= 3));
  assert.ok(
    counts.includes(0) && counts.some((n) => n > 0),
    `counts ${counts}`,
  );
  assert.ok(tiny > 0 && marks > 0);
  assert.equal(
    generateSyntheticScan(1, { size: 48, slices: 24, noduleCount: 0 }).nodules
      .length,
    0,
  );
});

Deno.test("generateSyntheticScan() rejects bad options with a message naming them", () => {
  assert.throws(
    () => generateSyntheticScan(-1),
    /seed is -1, expected an integer in \[0, 4294967295\]/,
  );
  assert.throws(
    () => generateSyntheticScan(1, { size: 31 }),
    /size is 31, expected an integer in \[32, 2048\]/,
  );
  assert.throws(
    () => generateSyntheticScan(1, { slices: 4 }),
    /slices is 4, expected "auto" or an integer in \[8, 2000\]/,
  );
  assert.throws(
    () => generateSyntheticScan(1, { noduleCount: 9 }),
    /noduleCount is 9, expected an integer in \[0, 8\]/,
  );
  assert.throws(
    () => generateSyntheticScan(1, { flags: { fovPaddingHu: -1000 } }),
    /flags.fovPaddingHu is -1000, expected -2048, -3024 or null/,
  );
});

Deno.test("generateSyntheticScan() places nodules with LUNA16's sizes, a quarter of them juxtapleural", () => {
  const diameters: number[] = [];
  let juxtapleural = 0, asked = 0;
  for (let seed = 0; seed < 40; seed++) {
    const scan = generateSyntheticScan(seed, {
      size: 32,
      slices: 8,
      noduleCount: 8,
    });
    asked += 8;
    for (const nodule of scan.nodules) {
      diameters.push(nodule.diameterMm);
      if (nodule.type === "juxtapleural") juxtapleural++;
    }
  }
  // Placement must not drop (and so bias against) large nodules.
  assert.ok(
    diameters.length >= 0.97 * asked,
    `${diameters.length} of ${asked} placed`,
  );
  diameters.sort((a, b) => a - b);
  const q = (p: number) => quantileSorted(diameters, p);
  // LUNA16: 5 / 50 / 95 % at 4.09 / 6.43 / 18.95 mm.
  assert.ok(Math.abs(q(0.05) - 4.09) < 0.35, `5 %: ${q(0.05)}`);
  assert.ok(Math.abs(q(0.5) - 6.43) < 0.7, `50 %: ${q(0.5)}`);
  assert.ok(Math.abs(q(0.95) - 18.95) < 3, `95 %: ${q(0.95)}`);
  const share = juxtapleural / diameters.length;
  assert.ok(share > 0.15 && share < 0.35, `juxtapleural share ${share}`);
});
