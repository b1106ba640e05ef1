import assert from "node:assert/strict";
import { createRng } from "../../random.ts";
import {
  convBackwardGraph,
  convForwardGraph,
  type ConvGeometry,
  convOutput,
  upBackwardGraph,
  upForwardGraph,
  usesWeightGradientGraph,
  weightGradientGraph,
  weightGradientRows,
} from "./graphs.ts";
import { convWeights } from "./kernels.ts";
import { createOrtSession, ortTensor } from "./ort_binding.ts";

function random(size: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: size }, () => rng.normal());
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-4): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    assert.ok(
      Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(b[i])),
      `index ${i}: ${a[i]} vs ${b[i]}`,
    );
  }
}

/** A direct channels-last conv with TF 'same'/'valid' padding. */
function naiveConv(
  x: Float32Array,
  filter: Float32Array,
  g: ConvGeometry,
): Float32Array {
  const { shape, pads } = convOutput(g);
  const [n, d, h, w, cin] = g.input;
  const [, od, oh, ow, cout] = shape;
  const { k, stride: s } = g;
  const y = new Float32Array(n * od * oh * ow * cout);
  for (let b = 0; b < n; b++) {
    for (let z = 0; z < od; z++) {
      for (let yy = 0; yy < oh; yy++) {
        for (let xx = 0; xx < ow; xx++) {
          for (let co = 0; co < cout; co++) {
            let sum = 0;
            for (let a = 0; a < k; a++) {
              for (let bb = 0; bb < k; bb++) {
                for (let c = 0; c < k; c++) {
                  const sz = z * s + a - pads[0][0];
                  const sy = yy * s + bb - pads[1][0];
                  const sx = xx * s + c - pads[2][0];
                  if (
                    sz < 0 || sz >= d || sy < 0 || sy >= h || sx < 0 || sx >= w
                  ) continue;
                  for (let ci = 0; ci < cin; ci++) {
                    sum += x[(((b * d + sz) * h + sy) * w + sx) * cin + ci] *
                      filter[(((a * k + bb) * k + c) * cin + ci) * cout + co];
                  }
                }
              }
            }
            y[(((b * od + z) * oh + yy) * ow + xx) * cout + co] = sum;
          }
        }
      }
    }
  }
  return y;
}

const GEOMETRIES: ConvGeometry[] = [
  {
    input: [1, 4, 3, 5, 2],
    cout: 3,
    k: 3,
    stride: 1,
    padding: "same",
    bias: false,
  },
  {
    input: [2, 5, 4, 4, 3],
    cout: 2,
    k: 3,
    stride: 2,
    padding: "same",
    bias: false,
  },
  {
    input: [1, 5, 5, 4, 2],
    cout: 2,
    k: 3,
    stride: 2,
    padding: "valid",
    bias: false,
  },
  {
    input: [2, 3, 2, 3, 4],
    cout: 5,
    k: 1,
    stride: 1,
    padding: "same",
    bias: false,
  },
];

Deno.test("convForwardGraph() equals a direct convolution", () => {
  for (const [i, g] of GEOMETRIES.entries()) {
    const [, , , , cin] = g.input;
    const x = random(g.input.reduce((a, b) => a * b, 1), i);
    const filter = random(g.k ** 3 * cin * g.cout, 10 + i);
    const { model, y } = convForwardGraph(g);
    const session = createOrtSession(model, { threads: 1 });
    const w = g.k === 1
      ? ortTensor(filter, [cin, g.cout])
      : ortTensor(convWeights(filter, g.k, cin, g.cout, false), [
        g.cout,
        cin,
        g.k,
        g.k,
        g.k,
      ]);
    const out = session.run({ x: ortTensor(x, g.input), w })[y];
    session.dispose();
    assert.deepEqual(out.dims, convOutput(g).shape);
    close(out.data, naiveConv(x, filter, g));
  }
});

Deno.test("convBackwardGraph() and weightGradientGraph() give the adjoint of the forward conv", () => {
  // ⟨dy, conv(x, f)⟩ is bilinear: its gradient for x is dx and for f is dw.
  // Check ⟨dx, u⟩ = ⟨dy, conv(u, f)⟩ and ⟨dw, v⟩ = ⟨dy, conv(x, v)⟩.
  for (const [i, g] of GEOMETRIES.entries()) {
    const [, , , , cin] = g.input;
    const size = g.input.reduce((a, b) => a * b, 1);
    const { shape } = convOutput(g);
    const x = random(size, 20 + i);
    const f = random(g.k ** 3 * cin * g.cout, 30 + i);
    const dy = random(shape.reduce((a, b) => a * b, 1), 40 + i);
    const u = random(size, 50 + i);
    const v = random(f.length, 60 + i);
    const { model, names } = convBackwardGraph(g);
    const session = createOrtSession(model, { threads: 1 });
    const k = g.k;
    const wf = k === 1
      ? ortTensor(f, [cin, g.cout])
      : g.stride === 1
      ? ortTensor(convWeights(f, k, cin, g.cout, true), [cin, g.cout, k, k, k])
      : ortTensor(convWeights(f, k, cin, g.cout, false), [
        g.cout,
        cin,
        k,
        k,
        k,
      ]);
    const feeds: Record<string, ReturnType<typeof ortTensor>> = {
      dy: ortTensor(dy, shape),
      wf,
    };
    if (session.inputNames.includes("x")) feeds.x = ortTensor(x, g.input);
    const result = session.run(feeds);
    session.dispose();
    const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let s = 0;
      for (let j = 0; j < a.length; j++) s += a[j] * b[j];
      return s;
    };
    const dx = result[names.dx].data;
    const lhs = dot(dx, u);
    const rhs = dot(dy, naiveConv(u, f, g));
    assert.ok(
      Math.abs(lhs - rhs) <= 1e-4 * Math.abs(rhs),
      `dx: ${lhs} vs ${rhs}`,
    );
    let dw: Float32Array;
    if (usesWeightGradientGraph(g)) {
      // Feed one padded chunk by hand: rows per (plane, h, w) of the padded grid.
      dw = weightGradientByViews(g, x, dy);
    } else {
      dw = result[(names as { dw: string }).dw].data;
    }
    const lw = dot(dw, v);
    const rw = dot(dy, naiveConv(x, v, g));
    assert.ok(Math.abs(lw - rw) <= 1e-4 * Math.abs(rw), `dw: ${lw} vs ${rw}`);
  }
});

Deno.test("weightGradientRows() picks voxel rows only when the window fill passes the limit", () => {
  // Window fill = rows · k² · cin floats.
  assert.equal(weightGradientRows(119_898, 3, 12), "voxel"); // 12.9 M
  assert.equal(weightGradientRows(2_322, 3, 64), "window"); // 1.3 M
  assert.equal(weightGradientRows(119_898, 3, 1), "window"); // 1.1 M
  assert.equal(weightGradientRows(100, 3, 4, 3_600), "window"); // at the limit
  assert.equal(weightGradientRows(100, 3, 4, 3_599), "voxel");
});

/** The weight gradient from weightGradientGraph(), with taps built naively. */
function weightGradientByViews(
  g: ConvGeometry,
  x: Float32Array,
  dy: Float32Array,
): Float32Array {
  const { shape, pads } = convOutput(g);
  const [n, d, h, w, cin] = g.input;
  const [, od, oh, ow, cout] = shape;
  const k = g.k;
  const hp = h + pads[1][0] + pads[1][1], wp = w + pads[2][0] + pads[2][1];
  const rowLen = k * k * cin;
  const { model, dw } = weightGradientGraph(k, cin, cout);
  const session = createOrtSession(model, { threads: 1 });
  const total = new Float32Array(k ** 3 * cin * cout);
  for (let b = 0; b < n; b++) {
    const taps = new Float32Array((od + k - 1) * hp * wp * rowLen);
    for (let p = 0; p < od + k - 1; p++) {
      for (let yy = 0; yy < hp; yy++) {
        for (let xx = 0; xx < wp; xx++) {
          for (let bb = 0; bb < k; bb++) {
            for (let c = 0; c < k; c++) {
              const [sz, sy, sx] = [
                p - pads[0][0],
                yy + bb - pads[1][0],
                xx + c - pads[2][0],
              ];
              if (sz < 0 || sz >= d || sy < 0 || sy >= h || sx < 0 || sx >= w) {
                continue;
              }
              for (let ci = 0; ci < cin; ci++) {
                taps[
                  ((p * hp + yy) * wp + xx) * rowLen + (bb * k + c) * cin + ci
                ] = x[(((b * d + sz) * h + sy) * w + sx) * cin + ci];
              }
            }
          }
        }
      }
    }
    const rows = ((od - 1) * hp + oh - 1) * wp + ow;
    const grads = new Float32Array(rows * cout);
    for (let z = 0; z < od; z++) {
      for (let yy = 0; yy < oh; yy++) {
        for (let xx = 0; xx < ow; xx++) {
          const r = (z * hp + yy) * wp + xx;
          for (let co = 0; co < cout; co++) {
            grads[r * cout + co] =
              dy[(((b * od + z) * oh + yy) * ow + xx) * cout + co];
          }
        }
      }
    }
    const feeds: Record<string, ReturnType<typeof ortTensor>> = {
      dy: ortTensor(grads, [rows, cout]),
    };
    for (let a = 0; a < k; a++) {
      const start = a * hp * wp * rowLen;
      feeds[`v${a}`] = ortTensor(taps.subarray(start, start + rows * rowLen), [
        rows,
        rowLen,
      ]);
    }
    const part = session.run(feeds)[dw].data;
    for (let j = 0; j < total.length; j++) total[j] += part[j];
  }
  session.dispose();
  return total;
}

Deno.test("upForwardGraph() and upBackwardGraph() copy each voxel into a k³ block and back", () => {
  const g = {
    input: [1, 2, 1, 2, 2] as [number, number, number, number, number],
    cout: 1,
    k: 2,
    bias: true,
  };
  // Filter [2, 2, 2, cout 1, cin 2] viewed as [8, 2]: tap t weighs channel 0 by t, channel 1 by 1.
  const filter = Float32Array.from(
    { length: 16 },
    (_, i) => i % 2 === 0 ? i / 2 : 1,
  );
  const x = new Float32Array([1, 10, 2, 20, 3, 30, 4, 40]);
  const fwd = upForwardGraph(g);
  const session = createOrtSession(fwd.model, { threads: 1 });
  const y = session.run({
    x: ortTensor(x, g.input),
    w: ortTensor(filter, [8, 2]),
    b: ortTensor(new Float32Array([0.5]), [1]),
  })[fwd.y];
  session.dispose();
  assert.deepEqual(y.dims, [1, 4, 2, 4, 1]);
  // Output (2z + a, 2y + b, 2x + c) = x0·t + x1 + 0.5 with t = 4a + 2b + c.
  const expected: number[] = [];
  for (let oz = 0; oz < 4; oz++) {
    for (let oy = 0; oy < 2; oy++) {
      for (let ox = 0; ox < 4; ox++) {
        const src = (Math.floor(oz / 2) * 1 + Math.floor(oy / 2)) * 2 +
          Math.floor(ox / 2);
        const t = (oz % 2) * 4 + (oy % 2) * 2 + (ox % 2);
        expected.push(x[src * 2] * t + x[src * 2 + 1] + 0.5);
      }
    }
  }
  close(y.data, expected);
  // Backward: with dy = 1 everywhere, dx sums the filter over taps, db counts outputs.
  const bwd = upBackwardGraph(g);
  const s2 = createOrtSession(bwd.model, { threads: 1 });
  const r = s2.run({
    x: ortTensor(x, g.input),
    dy: ortTensor(new Float32Array(32).fill(1), [1, 4, 2, 4, 1]),
    w: ortTensor(filter, [8, 2]),
  });
  s2.dispose();
  close(r[bwd.names.dx].data, [28, 8, 28, 8, 28, 8, 28, 8]);
  close(r[bwd.names.db!].data, [32]);
  // dw[t, ci] = Σ over input voxels of x[ci].
  close(
    r[bwd.names.dw].data,
    Array.from({ length: 16 }, (_, i) => i % 2 === 0 ? 10 : 100),
  );
});
