import assert from "node:assert/strict";
import { createRng } from "../random.ts";
import { Anatomy, drawAnatomy } from "./anatomy.ts";

function patient(seed: number): Anatomy {
  return new Anatomy(
    drawAnatomy(createRng(seed), { cx: 10, cy: -20, zApex: 100 }),
  );
}

Deno.test("drawAnatomy() is deterministic and sizes an adult chest", () => {
  assert.deepEqual(
    drawAnatomy(createRng(4), { cx: 0, cy: 0, zApex: 0 }),
    drawAnatomy(createRng(4), { cx: 0, cy: 0, zApex: 0 }),
  );
  for (let seed = 0; seed < 20; seed++) {
    const p = patient(seed).p;
    assert.ok(
      p.bodyA * 2 >= 270 && p.bodyA * 2 <= 370,
      `chest width ${p.bodyA * 2}`,
    );
    assert.ok(
      p.domeH[0] < p.domeH[1],
      "the right dome is higher than the left",
    );
    assert.ok(
      p.carinaH > 50 && p.carinaH < 100,
      `carina ${p.carinaH} mm below the apex`,
    );
  }
});

Deno.test("Anatomy has no lung above the apex or in the mediastinum, and lungs on their own side", () => {
  const anatomy = patient(1);
  const p = anatomy.p;
  // Above the apex: nothing.
  for (const side of [0, 1] as const) {
    assert.ok(
      anatomy.lungDistanceAt(
        side,
        p.cx + (side ? 40 : -40),
        p.cy,
        p.zApex + 1,
      ) > 0,
    );
  }
  // Mid chest: lateral points are lung, the midline is not, and each lung
  // holds only its own side.
  const z = p.zApex - 0.5 * p.domeH[0];
  const level = anatomy.level(z);
  const lateral = level.cavA * 0.6;
  assert.equal(anatomy.lungAt(p.cx - lateral, p.cy + level.cavV, z), 0);
  assert.equal(anatomy.lungAt(p.cx + lateral, p.cy + level.cavV, z), 1);
  assert.equal(anatomy.lungAt(p.cx + p.bandU, p.cy + level.cavV, z), -1);
  assert.ok(
    anatomy.lungDistanceAt(0, p.cx + lateral, p.cy + level.cavV, z) > 0,
  );
  // Inside the vertebral body and the heart: no lung.
  assert.equal(anatomy.lungAt(p.cx, p.cy + level.spineV, z), -1);
  const hz = p.zApex - p.heart.h;
  assert.equal(anatomy.lungAt(p.cx + p.heart.u, p.cy + p.heart.v, hz), -1);
});

Deno.test("Anatomy puts the lungs above a domed diaphragm that falls towards the recesses", () => {
  const anatomy = patient(2);
  const p = anatomy.p;
  const level = anatomy.level(p.zApex - p.domeH[0]);
  const domeU = -0.45 * level.cavA;
  const top = anatomy.diaphragmZ(0, domeU, level.cavV - 0.1 * level.cavB);
  const lateral = anatomy.diaphragmZ(0, -level.cavA, level.cavV);
  const back = anatomy.diaphragmZ(0, domeU, level.cavV + level.cavB);
  assert.ok(Math.abs(top - (p.zApex - p.domeH[0])) < 1);
  assert.ok(
    lateral < top - 20 && back < top - 20,
    "recesses lie well below the dome",
  );
  // Just above the dome: lung; just below: not.
  const x = p.cx + domeU, y = p.cy + level.cavV;
  assert.ok(anatomy.lungDistanceAt(0, x, y, top + 2) < 0);
  assert.ok(anatomy.lungDistanceAt(0, x, y, top - 2) > 0);
});

Deno.test("Anatomy narrows the lungs towards the apex", () => {
  const anatomy = patient(3);
  const p = anatomy.p;
  const width = (h: number) => {
    const level = anatomy.level(p.zApex - h);
    let n = 0;
    for (let u = -200; u <= 200; u += 1) {
      if (anatomy.lungDistance(level, 1, u, level.lungV, 1, 0, 0, 1) < 0) n++;
    }
    return n;
  };
  const w5 = width(5), w30 = width(30), w120 = width(120);
  assert.ok(w5 > 0 && w5 < w30 && w30 < w120, `widths ${w5}, ${w30}, ${w120}`);
  assert.ok(w5 < 0.4 * w120);
});
