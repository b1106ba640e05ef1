import assert from "node:assert/strict";
import { createRng } from "../random.ts";
import { fillHolesPerComponent2d } from "./fill.ts";

function grid(rows: string[]): Uint8Array {
  return Uint8Array.from(rows.join("").split("").map((c) => c === "#" ? 1 : 0));
}

Deno.test("fillHolesPerComponent2d() fills enclosed holes of each plane", () => {
  const plane = [
    "#####..",
    "#...#..",
    "#.#.#..",
    "#...#..",
    "#####..",
    ".......",
  ];
  const mask = new Uint8Array(2 * 42);
  mask.set(grid(plane), 0);
  mask.set(grid(plane), 42);
  const filled = fillHolesPerComponent2d(mask, [2, 6, 7]);
  assert.equal(filled, 2 * 8);
  const expected = grid([
    "#####..",
    "#####..",
    "#####..",
    "#####..",
    "#####..",
    ".......",
  ]);
  assert.deepEqual(mask.subarray(0, 42), expected);
  assert.deepEqual(mask.subarray(42), expected);
});

Deno.test("fillHolesPerComponent2d() treats a diagonal gap as closed and an open gap as open", () => {
  // The ring is 8-connected through the diagonal at its corner: its inside is a hole.
  const closed = grid([
    ".###.",
    "#...#",
    "#...#",
    ".###.",
  ]);
  fillHolesPerComponent2d(closed, [1, 4, 5]);
  assert.equal(closed.reduce((a, b) => a + b, 0), 16);
  const open = grid([
    "##.##",
    "#...#",
    "#...#",
    "#####",
  ]);
  assert.equal(fillHolesPerComponent2d(open, [1, 4, 5]), 0);
});

Deno.test("fillHolesPerComponent2d() equals a whole-plane fill of the 4-connected background", () => {
  // With 8-connected objects and 4-connected background, a hole of the union
  // is always enclosed by one component, so both definitions agree.
  const rng = createRng(5);
  const [nz, ny, nx] = [6, 13, 15];
  const mask = new Uint8Array(nz * ny * nx);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.next() < 0.55 ? 1 : 0;
  const expected = mask.slice();
  for (let z = 0; z < nz; z++) {
    const seen = new Uint8Array(ny * nx);
    const stack: number[] = [];
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const border = y === 0 || x === 0 || y === ny - 1 || x === nx - 1;
        const p = y * nx + x;
        if (border && !mask[z * ny * nx + p]) {
          seen[p] = 1;
          stack.push(p);
        }
      }
    }
    while (stack.length) {
      const p = stack.pop()!;
      const y = Math.floor(p / nx), x = p % nx;
      for (const [b, c] of [[y - 1, x], [y + 1, x], [y, x - 1], [y, x + 1]]) {
        if (b < 0 || b >= ny || c < 0 || c >= nx) continue;
        const q = b * nx + c;
        if (!seen[q] && !mask[z * ny * nx + q]) {
          seen[q] = 1;
          stack.push(q);
        }
      }
    }
    for (let p = 0; p < ny * nx; p++) {
      if (!seen[p]) expected[z * ny * nx + p] = 1;
    }
  }
  fillHolesPerComponent2d(mask, [nz, ny, nx]);
  assert.deepEqual(mask, expected);
});
