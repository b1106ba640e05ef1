/**
 * ONNX graphs of the `cpu` engine's convolution kernels. Every graph takes
 * and returns channels-last (NDHWC) float32 tensors so tfjs's arrays are fed
 * as they are; layout changes happen inside the graph, where ORT does them
 * multi-threaded.
 *
 * - Conv forward: Transpose → Conv → Transpose (1³ stride-1 kernels: one Gemm
 *   on the channels-last matrix, no transposes).
 * - Conv backward: the input gradient of a stride-1 conv is a forward Conv of
 *   dY with the mirrored, channel-swapped kernel (ORT's ConvTranspose is 3–10×
 *   slower; it is used only for strides > 1); the weight gradient of a
 *   stride-1 conv is one Gemm per tap on views of padded rows the caller
 *   fills ({@linkcode weightGradientGraph}), of a strided conv im2col (Pad +
 *   one Slice per tap + Concat) and one Gemm per depth chunk, chained
 *   through Gemm's C input, which yields tfjs's filter layout directly; the
 *   bias gradient is a ReduceSum.
 * - Transposed conv with kernel = stride (no overlap): one Gemm plus a
 *   pixel-shuffle (Reshape/Transpose), and the same backwards.
 *
 * @module
 */

import { createOnnxModelBuilder } from "../../onnx/builder.ts";
import { convPadding } from "../_checks.ts";

/** A convolution's geometry. */
export interface ConvGeometry {
  /** Input `[n, d, h, w, cin]`. */
  readonly input: readonly [number, number, number, number, number];
  /** Output channels. */
  readonly cout: number;
  /** Cubic kernel size. */
  readonly k: number;
  /** Stride on every axis. */
  readonly stride: number;
  /** tfjs padding mode. */
  readonly padding: "same" | "valid";
  /** Whether a bias is added. */
  readonly bias: boolean;
}

/** Output shape and per-axis padding `[before, after]` of a conv. */
export function convOutput(g: ConvGeometry): {
  shape: [number, number, number, number, number];
  pads: [number, number][];
} {
  const [n, d, h, w] = g.input;
  const axes = [d, h, w].map((s) => convPadding(s, g.k, g.stride, g.padding));
  return {
    shape: [n, axes[0][0], axes[1][0], axes[2][0], g.cout],
    pads: axes.map((a) => [a[1], a[2]] as [number, number]),
  };
}

/** Whether a conv is a plain matrix product on the channels-last layout. */
export function isPointwise(g: ConvGeometry): boolean {
  return g.k === 1 && g.stride === 1;
}

const TO_NCDHW = [0, 4, 1, 2, 3];
const TO_NDHWC = [0, 2, 3, 4, 1];

/**
 * The forward conv graph. Inputs `x` (NDHWC), `w` (`[cout, cin, k, k, k]`,
 * or tfjs's `[cin, cout]` for pointwise), `b` (`[cout]`, if `bias`); output `y` (NDHWC).
 *
 * @param g geometry
 * @returns serialised model and its output's name
 * @example
 * ```ts ignore
 * const { model, y } = convForwardGraph({ input: [1, 8, 8, 8, 4], cout: 4, k: 3, stride: 1, padding: "same", bias: true });
 * ```
 */
export function convForwardGraph(
  g: ConvGeometry,
): { model: Uint8Array; y: string } {
  const b = createOnnxModelBuilder({ graphName: "conv_forward" });
  const { shape, pads } = convOutput(g);
  const [n, d, h, w, cin] = g.input;
  const x = b.input("x", g.input);
  if (isPointwise(g)) {
    const wt = b.input("w", [cin, g.cout]);
    const inputs = [
      b.node("Reshape", [x, b.int64Initializer("rows", [2], [-1, cin])])[0],
      wt,
    ];
    if (g.bias) inputs.push(b.input("b", [g.cout]));
    const [mm] = b.node("Gemm", inputs);
    const [y] = b.node("Reshape", [
      mm,
      b.int64Initializer("shape", [5], [n, d, h, w, g.cout]),
    ]);
    b.output(y, shape);
    return { model: b.toBytes(), y };
  }
  const wt = b.input("w", [g.cout, cin, g.k, g.k, g.k]);
  const inputs = [b.node("Transpose", [x], { perm: TO_NCDHW })[0], wt];
  if (g.bias) inputs.push(b.input("b", [g.cout]));
  const [conv] = b.node("Conv", inputs, {
    kernel_shape: [g.k, g.k, g.k],
    strides: [g.stride, g.stride, g.stride],
    pads: [...pads.map((p) => p[0]), ...pads.map((p) => p[1])],
  });
  const [y] = b.node("Transpose", [conv], { perm: TO_NDHWC });
  b.output(y, shape);
  return { model: b.toBytes(), y };
}

/**
 * Output names of {@linkcode convBackwardGraph}: input, weight and bias gradients.
 */
export interface ConvBackwardNames {
  /** Input gradient (NDHWC). */
  readonly dx: string;
  /** Weight gradient in tfjs's filter layout `[k³·cin, cout]`. */
  readonly dw: string;
  /** Bias gradient `[cout]`, or null without bias. */
  readonly db: string | null;
}

/** Output name of a backward graph that computes only the input gradient. */
export interface InputGradientNames {
  /** Input gradient (NDHWC). */
  readonly dx: string;
}

/**
 * Whether {@linkcode convBackwardGraph} leaves the weight and bias gradients
 * to {@linkcode weightGradientGraph} (stride-1 convs with k > 1).
 */
export function usesWeightGradientGraph(g: ConvGeometry): boolean {
  return g.stride === 1 && g.k > 1;
}

/**
 * How the rows fed to {@linkcode weightGradientGraph} are laid out: each row
 * of the padded grid holds the input at `taps` positions (`k²`: the (h + b,
 * w + c) window, filled by `fillTapRows`; 1: the voxel itself, a padded
 * copy filled by `fillPaddedRows`).
 */
export type WeightGradientRows = "window" | "voxel";

/**
 * The row layout the `cpu` engine uses for a weight-gradient chunk. The
 * Gemms cost about the same either way on large grids (measured, 2 threads,
 * one 48³ sample with cin 12: 25 ms for 27 Gemms of `cin` columns, 25 ms for
 * 3 of `9·cin`), where the window fill (9× the floats of a padded copy,
 * ~40 ms there) decides; on small grids the fewer, wider Gemms win (12³ with
 * cin 64: 4.4 against 5.7 ms) and the fill is cheap. So: window rows up to
 * {@linkcode WINDOW_FILL_LIMIT} floats of window fill, voxel rows above.
 *
 * @param rows rows of the chunk
 * @param k kernel size
 * @param cin input channels
 * @param limit window-fill floats above which voxel rows are used
 * @returns the row layout
 * @example
 * ```ts
 * import { weightGradientRows } from "./graphs.ts";
 * weightGradientRows(119_898, 3, 12); // "voxel"
 * weightGradientRows(2_322, 3, 64); // "window"
 * ```
 */
export function weightGradientRows(
  rows: number,
  k: number,
  cin: number,
  limit: number = WINDOW_FILL_LIMIT,
): WeightGradientRows {
  return rows * k * k * cin > limit ? "voxel" : "window";
}

/** Window-fill floats above which {@linkcode weightGradientRows} picks voxel rows. */
export const WINDOW_FILL_LIMIT = 4 * 1024 * 1024;

/**
 * The weight-gradient graph of a stride-1 conv, fed with zero-copy views.
 *
 * The padded input is flattened to one row per voxel of the padded grid
 * (`Hp`·`Wp` rows a plane) and the output gradient placed on the same grid
 * (zeros off the output). Kernel tap (a, b, c) then pairs gradient row r
 * with input row r + (a·Hp + b)·Wp + c, so its gradient is one Gemm of the
 * gradient rows `[0, K)` (transposed) with input rows starting at that
 * offset: a contiguous range, fed as a subarray view of one buffer (no
 * im2col copy inside ORT: its Concat of 27 slices cost 3× the Gemm). With
 * `"window"` rows a row already holds the k² (b, c) taps, so one Gemm per
 * depth tap a (views at a·Hp·Wp); with `"voxel"` rows one Gemm per tap.
 * Inputs `dy` `[K, cout]` and `v0…` `[K, taps·cin]` (K symbolic), in tap
 * order; output `[k³·cin, cout]` in tfjs's filter layout. The Gemms put the
 * long K axis inside (dyᵀ·v): 2.2× faster on 2 threads than vᵀ·dy, whose
 * small output ORT does not split over threads.
 *
 * @param k kernel size
 * @param cin input channels
 * @param cout output channels
 * @param rows the row layout (default `"window"`)
 * @returns serialised model and its output name
 * @example
 * ```ts ignore
 * const { model, dw } = weightGradientGraph(3, 32, 32, "voxel"); // inputs dy, v0…v26
 * ```
 */
export function weightGradientGraph(
  k: number,
  cin: number,
  cout: number,
  rows: WeightGradientRows = "window",
): { model: Uint8Array; dw: string } {
  const b = createOnnxModelBuilder({ graphName: "weight_gradient" });
  const dy = b.input("dy", ["K", cout]);
  const taps = rows === "window" ? k * k : 1;
  const views = k ** 3 / taps;
  const parts: string[] = [];
  for (let a = 0; a < views; a++) {
    const v = b.input(`v${a}`, ["K", taps * cin]);
    parts.push(b.node("Gemm", [dy, v], { transA: 1 })[0]);
  }
  const [rowsByOut] = parts.length === 1
    ? parts
    : b.node("Concat", parts, { axis: 1 });
  const [dw] = b.node("Transpose", [rowsByOut], { perm: [1, 0] });
  b.output(dw, [k * k * k * cin, cout]);
  return { model: b.toBytes(), dw };
}

/** Bytes an im2col chunk may take before the weight gradient splits over depth. */
export const IM2COL_CHUNK_BYTES = 96 * 1024 * 1024;

/**
 * The conv backward graph. Inputs `x` (NDHWC), `dy` (NDHWC), `wf` (the
 * mirrored `[cin, cout, k, k, k]` kernel for stride 1, the forward
 * `[cout, cin, k, k, k]` for strides > 1, tfjs's `[cin, cout]` for pointwise).
 *
 * @param g geometry
 * @param chunkBytes im2col memory bound per depth chunk
 * @returns serialised model and its output names
 * @example
 * ```ts ignore
 * const { model, names } = convBackwardGraph(geometry);
 * ```
 */
export function convBackwardGraph(
  g: ConvGeometry,
  chunkBytes = IM2COL_CHUNK_BYTES,
): { model: Uint8Array; names: ConvBackwardNames | InputGradientNames } {
  const b = createOnnxModelBuilder({ graphName: "conv_backward" });
  const { shape, pads } = convOutput(g);
  const [, d, h, w, cin] = g.input;
  const [, od, oh, ow, cout] = shape;
  const k = g.k;
  const s = g.stride;
  const dy = b.input("dy", shape);
  let dx: string;
  let dw: string;
  if (isPointwise(g)) {
    const x = b.input("x", g.input);
    const wt = b.input("wf", [cin, cout]);
    const dyRows =
      b.node("Reshape", [dy, b.int64Initializer("rows", [2], [-1, cout])])[0];
    const xRows =
      b.node("Reshape", [x, b.int64Initializer("xrows", [2], [-1, cin])])[0];
    const [dxRows] = b.node("Gemm", [dyRows, wt], { transB: 1 });
    [dx] = b.node("Reshape", [
      dxRows,
      b.int64Initializer("xshape", [5], [...g.input]),
    ]);
    [dw] = b.node("Gemm", [xRows, dyRows], { transA: 1 });
  } else {
    const dyT = b.node("Transpose", [dy], { perm: TO_NCDHW })[0];
    let dxT: string;
    if (s === 1) {
      const wf = b.input("wf", [cin, cout, k, k, k]);
      [dxT] = b.node("Conv", [dyT, wf], {
        kernel_shape: [k, k, k],
        pads: [
          ...pads.map((p) => k - 1 - p[0]),
          ...pads.map((p) => k - 1 - p[1]),
        ],
      });
    } else {
      const wf = b.input("wf", [cout, cin, k, k, k]);
      const sizes = [d, h, w];
      [dxT] = b.node("ConvTranspose", [dyT, wf], {
        kernel_shape: [k, k, k],
        strides: [s, s, s],
        pads: [...pads.map((p) => p[0]), ...pads.map((p) => p[1])],
        output_padding: [od, oh, ow].map((o, a) =>
          sizes[a] - (s * (o - 1) + k - pads[a][0] - pads[a][1])
        ),
      });
    }
    [dx] = b.node("Transpose", [dxT], { perm: TO_NDHWC });
    if (s === 1) {
      // The weight and bias gradients come from weightGradientGraph().
      b.output(dx, [...g.input]);
      return { model: b.toBytes(), names: { dx } };
    }
    const x = b.input("x", g.input);
    dw = im2colWeightGradient(b, x, dyT, g, shape, pads, chunkBytes);
  }
  b.output(dx, [...g.input]);
  b.output(dw, [k * k * k * cin, cout]);
  let db: string | null = null;
  if (g.bias) {
    [db] = b.node("ReduceSum", [
      dy,
      b.int64Initializer("axes", [4], [0, 1, 2, 3]),
    ], { keepdims: 0 });
    b.output(db, [cout]);
  }
  return { model: b.toBytes(), names: { dx, dw, db } };
}

/**
 * The weight gradient as im2col + Gemm, channels-first: per sample and depth
 * chunk, one Slice per tap of the padded NCDHW input, a Concat along channels
 * (whole-block copies: concatenating channels-last slices copies runs of
 * `cin` floats and was 3× slower than everything else together), and one Gemm
 * against the matching dY chunk, accumulated through Gemm's C input. Rows come
 * out tap-major, channel-minor: tfjs's `[k, k, k, cin, cout]` filter layout.
 */
function im2colWeightGradient(
  b: ReturnType<typeof createOnnxModelBuilder>,
  x: string,
  dyT: string,
  g: ConvGeometry,
  shape: readonly number[],
  pads: readonly [number, number][],
  chunkBytes: number,
): string {
  const [n, , , , cin] = g.input;
  const [, od, oh, ow, cout] = shape;
  const k = g.k;
  const s = g.stride;
  const xT = b.node("Transpose", [x], { perm: TO_NCDHW })[0];
  const padded = pads.some((p) => p[0] > 0 || p[1] > 0)
    ? b.node("Pad", [
      xT,
      b.int64Initializer("pads", [10], [
        0,
        0,
        ...pads.map((p) => p[0]),
        0,
        0,
        ...pads.map((p) => p[1]),
      ]),
    ], { mode: "constant" })[0]
    : xT;
  const sliceBytes = oh * ow * k * k * k * cin * 4;
  const depthChunk = Math.max(
    1,
    Math.min(od, Math.floor(chunkBytes / sliceBytes)),
  );
  const axes = b.int64Initializer("axes0234", [4], [0, 2, 3, 4]);
  const steps = b.int64Initializer("steps", [4], [1, s, s, s]);
  const colShape = b.int64Initializer("cols", [2], [k * k * k * cin, -1]);
  const dyShape = b.int64Initializer("dyrows", [2], [cout, -1]);
  // Created on first use: an unused initializer makes ORT print a warning.
  let dyAxes: string | undefined;
  let acc = "";
  for (let sample = 0; sample < n; sample++) {
    for (let d0 = 0; d0 < od; d0 += depthChunk) {
      const dc = Math.min(depthChunk, od - d0);
      const taps: string[] = [];
      for (let a = 0; a < k; a++) {
        for (let bb = 0; bb < k; bb++) {
          for (let c = 0; c < k; c++) {
            const starts = [sample, d0 * s + a, bb, c];
            const ends = [
              sample + 1,
              starts[1] + (dc - 1) * s + 1,
              bb + (oh - 1) * s + 1,
              c + (ow - 1) * s + 1,
            ];
            taps.push(
              b.node("Slice", [
                padded,
                b.int64Initializer("starts", [4], starts),
                b.int64Initializer("ends", [4], ends),
                axes,
                steps,
              ])[0],
            );
          }
        }
      }
      const [cat] = b.node("Concat", taps, { axis: 1 });
      const [cols] = b.node("Reshape", [cat, colShape]);
      const dyChunk = n === 1 && dc === od ? dyT : b.node("Slice", [
        dyT,
        b.int64Initializer("dstart", [2], [sample, d0]),
        b.int64Initializer("dend", [2], [sample + 1, d0 + dc]),
        dyAxes ??= b.int64Initializer("dyaxes", [2], [0, 2]),
      ])[0];
      const [dyRows] = b.node("Reshape", [dyChunk, dyShape]);
      const inputs = acc === "" ? [cols, dyRows] : [cols, dyRows, acc];
      [acc] = b.node(
        "Gemm",
        inputs,
        acc === "" ? { transB: 1 } : { transB: 1, beta: 1 },
      );
    }
  }
  return acc;
}

/** Geometry of a transposed conv with kernel = stride. */
export interface UpGeometry {
  /** Input `[n, d, h, w, cin]`. */
  readonly input: readonly [number, number, number, number, number];
  /** Output channels. */
  readonly cout: number;
  /** Kernel size = stride. */
  readonly k: number;
  /** Whether a bias is added. */
  readonly bias: boolean;
}

/**
 * The transposed-conv (kernel = stride) forward graph. Inputs `x` (NDHWC),
 * `w` (tfjs's filter `[k, k, k, cout, cin]` viewed as `[k³·cout, cin]`),
 * `b` (`[cout]`, if `bias`); output `y` `[n, dk, hk, wk, cout]`.
 *
 * @param g geometry
 * @returns serialised model and its output's name
 * @example
 * ```ts ignore
 * const { model, y } = upForwardGraph({ input: [1, 4, 4, 4, 8], cout: 8, k: 2, bias: true });
 * ```
 */
export function upForwardGraph(
  g: UpGeometry,
): { model: Uint8Array; y: string } {
  const b = createOnnxModelBuilder({ graphName: "up_forward" });
  const [n, d, h, w, cin] = g.input;
  const { k, cout } = g;
  const x = b.input("x", g.input);
  const wt = b.input("w", [k * k * k * cout, cin]);
  const [rows] = b.node("Reshape", [
    x,
    b.int64Initializer("rows", [2], [-1, cin]),
  ]);
  const [mm] = b.node("Gemm", [rows, wt], { transB: 1 });
  const [blocks] = b.node("Reshape", [
    mm,
    b.int64Initializer("blocks", [8], [n, d, h, w, k, k, k, cout]),
  ]);
  const [shuffled] = b.node("Transpose", [blocks], {
    perm: [0, 1, 4, 2, 5, 3, 6, 7],
  });
  let [y] = b.node("Reshape", [
    shuffled,
    b.int64Initializer("shape", [5], [n, d * k, h * k, w * k, cout]),
  ]);
  if (g.bias) [y] = b.node("Add", [y, b.input("b", [cout])]);
  b.output(y, [n, d * k, h * k, w * k, cout]);
  return { model: b.toBytes(), y };
}

/**
 * The transposed-conv backward graph. Inputs `x`, `dy`, `w` (as in
 * {@linkcode upForwardGraph}); outputs input, weight (tfjs layout) and bias
 * gradients.
 *
 * @param g geometry
 * @returns serialised model and its output names
 * @example
 * ```ts ignore
 * const { model, names } = upBackwardGraph({ input: [1, 4, 4, 4, 8], cout: 8, k: 2, bias: true });
 * ```
 */
export function upBackwardGraph(
  g: UpGeometry,
): { model: Uint8Array; names: ConvBackwardNames } {
  const b = createOnnxModelBuilder({ graphName: "up_backward" });
  const [n, d, h, w, cin] = g.input;
  const { k, cout } = g;
  const x = b.input("x", g.input);
  const dy = b.input("dy", [n, d * k, h * k, w * k, cout]);
  const wt = b.input("w", [k * k * k * cout, cin]);
  const [blocks] = b.node("Reshape", [
    dy,
    b.int64Initializer("blocks", [8], [n, d, k, h, k, w, k, cout]),
  ]);
  const [unshuffled] = b.node("Transpose", [blocks], {
    perm: [0, 1, 3, 5, 2, 4, 6, 7],
  });
  const [dyRows] = b.node("Reshape", [
    unshuffled,
    b.int64Initializer("rows", [2], [-1, k * k * k * cout]),
  ]);
  const [xRows] = b.node("Reshape", [
    x,
    b.int64Initializer("xrows", [2], [-1, cin]),
  ]);
  const [dxRows] = b.node("Gemm", [dyRows, wt]);
  const [dx] = b.node("Reshape", [
    dxRows,
    b.int64Initializer("xshape", [5], [...g.input]),
  ]);
  const [dw] = b.node("Gemm", [dyRows, xRows], { transA: 1 });
  b.output(dx, [...g.input]);
  b.output(dw, [k * k * k * cout, cin]);
  let db: string | null = null;
  if (g.bias) {
    [db] = b.node("ReduceSum", [
      dy,
      b.int64Initializer("axes", [4], [0, 1, 2, 3]),
    ], { keepdims: 0 });
    b.output(db, [cout]);
  }
  return { model: b.toBytes(), names: { dx, dw, db } };
}
