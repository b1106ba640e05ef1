/**
 * The `cpu` engine's {@linkcode NetworkOps}: tfjs stays the model and the
 * autodiff (every op is a `tf.customGrad`), while forward and backward run
 * as ORT sessions (convolutions) and typed-array loops (batch norm, ReLU,
 * residual add, pooling, concatenation, dropout). Arrays are read with
 * `dataSync()` (no copy on tfjs's cpu backend) and results handed back with
 * `tf.tensor(array)` (no copy either); arrays read from tfjs are never written.
 *
 * `convBn` is fused: one ORT call for the conv, one loop for batch norm,
 * residual and ReLU; backward one loop pair and one ORT call for the input,
 * weight and bias gradients.
 *
 * @module
 */

import type * as tfTypes from "@tensorflow/tfjs-core";
import type {
  BatchNormParams,
  ConvParams,
  NetworkOps,
  TfCore,
} from "../engine.ts";
import {
  checkBatchNorm,
  checkConcat,
  checkConv,
  checkDropout,
  checkPool,
  checkRank5,
  checkSameShape,
  dropoutMask,
} from "../_checks.ts";
import { checkBatchNormCount } from "../plain_ops.ts";
import {
  addArrays,
  applyMask,
  batchNormBackward,
  batchNormForward,
  type BatchNormState,
  channelMoments,
  channelSums,
  concatChannelsBackward,
  concatChannelsForward,
  convWeights,
  fillGradientRows,
  fillPaddedRows,
  fillTapRows,
  maxPoolBackward,
  maxPoolForward,
  reluBackward,
  reluForward,
} from "./kernels.ts";
import {
  convBackwardGraph,
  type ConvBackwardNames,
  convForwardGraph,
  type ConvGeometry,
  convOutput,
  isPointwise,
  upBackwardGraph,
  upForwardGraph,
  type UpGeometry,
  usesWeightGradientGraph,
  weightGradientGraph,
  weightGradientRows,
  WINDOW_FILL_LIMIT,
} from "./graphs.ts";
import {
  createScratch,
  runInto,
  type Scratch,
  type SessionCache,
} from "./sessions.ts";

type T5 = tfTypes.Tensor5D;
type Shape5 = [number, number, number, number, number];

/** The values of a float32 tensor (tfjs's own array on the cpu backend: read only). */
function values(t: tfTypes.Tensor): Float32Array {
  if (t.dtype !== "float32") {
    throw new TypeError(
      `Cannot run a cpu-engine op: tensor dtype is "${t.dtype}", expected "float32"`,
    );
  }
  return t.dataSync() as Float32Array;
}

/**
 * Creates the `cpu` engine's ops.
 *
 * @param tf tfjs-core with the cpu backend active
 * @param sessions the ORT session cache (owned by the engine)
 * @param scratch reusable work buffers (owned by the engine)
 * @param options `windowFillLimit`: window-fill floats above which weight
 *   gradients use voxel rows (see `weightGradientRows`; tests force either)
 * @returns the ops
 * @example
 * ```ts ignore
 * const ops = createCpuOps(tf, createSessionCache({ threads: 2 }));
 * ```
 */
export function createCpuOps(
  tf: TfCore,
  sessions: SessionCache,
  scratch: Scratch = createScratch(),
  options: { windowFillLimit?: number } = {},
): NetworkOps {
  const windowFillLimit = options.windowFillLimit ?? WINDOW_FILL_LIMIT;
  /** Conv forward through ORT; returns the output array and shape. */
  const convForward = (
    g: ConvGeometry,
    x: Float32Array,
    filter: Float32Array,
    bias: Float32Array | null,
  ): { y: Float32Array; shape: Shape5 } => {
    const key =
      `conv|${g.input}|${g.cout}|${g.k}|${g.stride}|${g.padding}|${g.bias}`;
    const { session, names } = sessions.get(key, () => {
      const { model, y } = convForwardGraph(g);
      return { model, names: y };
    });
    const { shape } = convOutput(g);
    const pointwise = isPointwise(g);
    const cin = g.input[4];
    const y = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const feeds: Record<string, readonly [Float32Array, readonly number[]]> = {
      x: [x, g.input],
      w: pointwise
        ? [filter, [cin, g.cout]]
        : [convWeights(filter, g.k, cin, g.cout, false), [
          g.cout,
          cin,
          g.k,
          g.k,
          g.k,
        ]],
    };
    if (bias !== null) feeds.b = [bias, [g.cout]];
    runInto(session, feeds, { [names]: [y, shape] });
    return { y, shape };
  };

  /**
   * Weight gradient of a stride-1 conv: depth chunks of zero-copy views on a
   * scratch buffer, one ORT run each (see `weightGradientGraph`).
   */
  const weightGradient = (
    g: ConvGeometry,
    x: Float32Array,
    dy: Float32Array,
  ): Float32Array => {
    const { shape, pads } = convOutput(g);
    const [n, , h, w, cin] = g.input;
    const [, od, oh, ow, cout] = shape;
    const k = g.k;
    const hp = h + pads[1][0] + pads[1][1];
    const wp = w + pads[2][0] + pads[2][1];
    // Depth chunks bound the window buffer (the larger layout) by the scratch size.
    const planes = Math.max(
      k,
      Math.floor(scratch.chunkBytes / 4 / (hp * wp * k * k * cin)),
    );
    const depthChunk = Math.min(od, planes - (k - 1));
    const layout = weightGradientRows(
      ((depthChunk - 1) * hp + oh - 1) * wp + ow,
      k,
      cin,
      windowFillLimit,
    );
    const rowLen = layout === "window" ? k * k * cin : cin;
    const planeFloats = hp * wp * rowLen;
    const { session, names } = sessions.get(
      `wgrad|${k}|${cin}|${cout}|${layout}`,
      () => {
        const { model, dw } = weightGradientGraph(k, cin, cout, layout);
        return { model, names: dw };
      },
    );
    // View a starts at this many rows into the buffer.
    const offsets: number[] = [];
    for (let a = 0; a < k; a++) {
      if (layout === "window") offsets.push(a * hp * wp);
      else {
        for (let b = 0; b < k; b++) {
          for (let c = 0; c < k; c++) offsets.push((a * hp + b) * wp + c);
        }
      }
    }
    const total = new Float32Array(k * k * k * cin * cout);
    const part = new Float32Array(total.length);
    const taps = scratch.get("taps", (depthChunk + k - 1) * planeFloats);
    const grads = scratch.get("grads", depthChunk * hp * wp * cout);
    for (let sample = 0; sample < n; sample++) {
      for (let d0 = 0; d0 < od; d0 += depthChunk) {
        const depths = Math.min(depthChunk, od - d0);
        const chunk = {
          input: g.input,
          output: shape,
          k,
          padBefore: [pads[0][0], pads[1][0], pads[2][0]] as const,
          padded: [hp, wp] as const,
          sample,
          d0,
          depths,
        };
        if (layout === "window") fillTapRows(x, chunk, taps);
        else fillPaddedRows(x, chunk, taps);
        fillGradientRows(dy, chunk, grads);
        // Rows up to the chunk's last output voxel.
        const rows = ((depths - 1) * hp + oh - 1) * wp + ow;
        const feeds: Record<
          string,
          readonly [Float32Array, readonly number[]]
        > = { dy: [grads.subarray(0, rows * cout), [rows, cout]] };
        offsets.forEach((offset, a) => {
          const start = offset * rowLen;
          feeds[`v${a}`] = [
            taps.subarray(start, start + rows * rowLen),
            [rows, rowLen],
          ];
        });
        runInto(session, feeds, { [names]: [part, [k * k * k * cin, cout]] });
        for (let i = 0; i < total.length; i++) total[i] += part[i];
      }
    }
    return total;
  };

  /**
   * Conv backward through ORT: input, weight (tfjs layout) and bias
   * gradients. Without `inputGradient`, stride-1 convs skip the input
   * gradient's ORT call and `dx` stays zero.
   */
  const convBackward = (
    g: ConvGeometry,
    x: Float32Array,
    filter: Float32Array,
    dy: Float32Array,
    inputGradient = true,
  ): { dx: Float32Array; dw: Float32Array; db: Float32Array | null } => {
    const weightsAndBias = () => ({
      dw: weightGradient(g, x, dy),
      db: g.bias ? channelSums(dy, g.cout) : null,
    });
    if (!inputGradient && usesWeightGradientGraph(g)) {
      return { dx: new Float32Array(x.length), ...weightsAndBias() };
    }
    const key =
      `convgrad|${g.input}|${g.cout}|${g.k}|${g.stride}|${g.padding}|${g.bias}`;
    const { session, names } = sessions.get<Partial<ConvBackwardNames>>(
      key,
      () => convBackwardGraph(g),
    );
    const { shape } = convOutput(g);
    const { k, cout } = g;
    const cin = g.input[4];
    let wf: readonly [Float32Array, readonly number[]];
    if (isPointwise(g)) wf = [filter, [cin, cout]];
    else if (g.stride === 1) {
      wf = [convWeights(filter, k, cin, cout, true), [cin, cout, k, k, k]];
    } else {
      wf = [convWeights(filter, k, cin, cout, false), [cout, cin, k, k, k]];
    }
    const dx = new Float32Array(x.length);
    if (usesWeightGradientGraph(g)) {
      runInto(session, { dy: [dy, shape], wf }, {
        [names.dx!]: [dx, g.input],
      });
      return { dx, ...weightsAndBias() };
    }
    const dw = new Float32Array(filter.length);
    const db = g.bias ? new Float32Array(cout) : null;
    const outputs: Record<string, readonly [Float32Array, readonly number[]]> =
      {
        [names.dx!]: [dx, g.input],
        [names.dw!]: [dw, [k * k * k * cin, cout]],
      };
    if (db !== null && names.db) outputs[names.db] = [db, [cout]];
    runInto(session, { x: [x, g.input], dy: [dy, shape], wf }, outputs);
    return { dx, dw, db };
  };

  const geometry = (x: T5, conv: ConvParams): ConvGeometry => {
    const [k, , cout] = checkConv("conv3d", x, conv, false);
    return {
      input: x.shape as Shape5,
      cout,
      k,
      stride: conv.strides,
      padding: conv.padding,
      bias: conv.bias !== null,
    };
  };

  /** Batch-norm statistics for this pass (batch or running ones). */
  const bnState = (
    y: Float32Array,
    shape: readonly number[],
    bn: BatchNormParams,
    training: boolean,
  ): BatchNormState => {
    const c = shape[4];
    const invStd = new Float64Array(c);
    if (training) {
      checkBatchNormCount(shape);
      const { mean, variance } = channelMoments(y, c);
      for (let i = 0; i < c; i++) {
        invStd[i] = 1 / Math.sqrt(variance[i] + bn.epsilon);
      }
      return { mean, invStd, batchVariance: variance };
    }
    const mean = Float64Array.from(values(bn.movingMean));
    const variance = values(bn.movingVariance);
    for (let i = 0; i < c; i++) {
      invStd[i] = 1 / Math.sqrt(variance[i] + bn.epsilon);
    }
    return { mean, invStd, batchVariance: null };
  };

  /** PyTorch's running-stat update from a training pass. */
  const updateRunning = (
    bn: BatchNormParams,
    state: BatchNormState,
    count: number,
  ): void => {
    const m = bn.momentum;
    const oldMean = values(bn.movingMean);
    const oldVar = values(bn.movingVariance);
    const c = oldMean.length;
    const newMean = new Float32Array(c);
    const newVar = new Float32Array(c);
    const unbias = count / (count - 1);
    for (let i = 0; i < c; i++) {
      newMean[i] = (1 - m) * oldMean[i] + m * state.mean[i];
      newVar[i] = (1 - m) * oldVar[i] + m * state.batchVariance![i] * unbias;
    }
    const meanT = tf.tensor1d(newMean);
    const varT = tf.tensor1d(newVar);
    bn.movingMean.assign(meanT);
    bn.movingVariance.assign(varT);
    tf.dispose([meanT, varT]);
  };

  const conv3d = (x: T5, conv: ConvParams): T5 => {
    const g = geometry(x, conv);
    const inputs: tfTypes.Tensor[] = [x, conv.filter];
    if (conv.bias !== null) inputs.push(conv.bias);
    const op = tf.customGrad((..._args: unknown[]) => {
      const xv = values(x);
      const fv = values(conv.filter);
      const { y, shape } = convForward(
        g,
        xv,
        fv,
        conv.bias === null ? null : values(conv.bias),
      );
      return {
        value: tf.tensor5d(y, shape),
        gradFunc: (dy: tfTypes.Tensor) => {
          const r = convBackward(g, xv, fv, values(dy));
          const grads: tfTypes.Tensor[] = [
            tf.tensor5d(r.dx, g.input as Shape5),
            tf.tensor(r.dw, conv.filter.shape),
          ];
          if (r.db !== null) grads.push(tf.tensor1d(r.db));
          return grads;
        },
      };
    });
    return op(...inputs) as T5;
  };

  const convBn: NetworkOps["convBn"] = (x, conv, bn, options) => {
    const g = geometry(x, conv);
    const outShape = convOutput(g).shape;
    const residual = options.residual ?? null;
    checkBatchNorm(
      { rank: 5, shape: outShape } as unknown as tfTypes.Tensor,
      bn,
    );
    if (residual !== null) {
      checkSameShape(
        "convBn residual",
        { rank: 5, shape: outShape } as unknown as tfTypes.Tensor,
        residual,
      );
    }
    const { training, relu } = options;
    if (training) checkBatchNormCount(outShape);
    const inputs: tfTypes.Tensor[] = [x, conv.filter];
    if (conv.bias !== null) inputs.push(conv.bias);
    if (bn.gamma !== null) inputs.push(bn.gamma);
    if (bn.beta !== null) inputs.push(bn.beta);
    if (residual !== null) inputs.push(residual);
    let state: BatchNormState | null = null;
    const op = tf.customGrad((..._args: unknown[]) => {
      const xv = values(x);
      const fv = values(conv.filter);
      const { y } = convForward(
        g,
        xv,
        fv,
        conv.bias === null ? null : values(conv.bias),
      );
      const st = bnState(y, outShape, bn, training);
      state = st;
      const gamma = bn.gamma === null ? null : values(bn.gamma);
      const out = batchNormForward(
        y,
        g.cout,
        st,
        gamma,
        bn.beta === null ? null : values(bn.beta),
        residual === null ? null : values(residual),
        relu,
      );
      return {
        value: tf.tensor5d(out, outShape),
        gradFunc: (dOut: tfTypes.Tensor) => {
          const b = batchNormBackward(
            values(dOut),
            y,
            relu ? out : null,
            g.cout,
            st,
            gamma,
            training,
            residual !== null,
          );
          const r = convBackward(
            g,
            xv,
            fv,
            b.dy,
            options.inputGradient ?? true,
          );
          const grads: tfTypes.Tensor[] = [
            tf.tensor5d(r.dx, g.input as Shape5),
            tf.tensor(r.dw, conv.filter.shape),
          ];
          if (r.db !== null) grads.push(tf.tensor1d(r.db));
          if (bn.gamma !== null) grads.push(tf.tensor1d(b.dGamma));
          if (bn.beta !== null) grads.push(tf.tensor1d(b.dBeta));
          if (residual !== null) grads.push(tf.tensor5d(b.dz!, outShape));
          return grads;
        },
      };
    });
    const result = op(...inputs) as T5;
    if (training) {
      updateRunning(
        bn,
        state!,
        outShape[0] * outShape[1] * outShape[2] * outShape[3],
      );
    }
    return result;
  };

  const ops: NetworkOps = {
    conv3d,
    conv3dTranspose(x, conv) {
      const [k, cin, cout] = checkConv("conv3dTranspose", x, conv, true);
      const g: UpGeometry = {
        input: x.shape as Shape5,
        cout,
        k,
        bias: conv.bias !== null,
      };
      const [n, d, h, w] = g.input;
      const outShape: Shape5 = [n, d * k, h * k, w * k, cout];
      const inputs: tfTypes.Tensor[] = [x, conv.filter];
      if (conv.bias !== null) inputs.push(conv.bias);
      const wShape = [k * k * k * cout, cin];
      const op = tf.customGrad((..._args: unknown[]) => {
        const xv = values(x);
        const fv = values(conv.filter);
        const fwd = sessions.get(`up|${g.input}|${cout}|${k}|${g.bias}`, () => {
          const { model, y } = upForwardGraph(g);
          return { model, names: y };
        });
        const y = new Float32Array(outShape.reduce((a, b) => a * b, 1));
        const feeds: Record<
          string,
          readonly [Float32Array, readonly number[]]
        > = { x: [xv, g.input], w: [fv, wShape] };
        if (conv.bias !== null) feeds.b = [values(conv.bias), [cout]];
        runInto(fwd.session, feeds, { [fwd.names]: [y, outShape] });
        return {
          value: tf.tensor5d(y, outShape),
          gradFunc: (dy: tfTypes.Tensor) => {
            const bwd = sessions.get<ConvBackwardNames>(
              `upgrad|${g.input}|${cout}|${k}|${g.bias}`,
              () => upBackwardGraph(g),
            );
            const dx = new Float32Array(xv.length);
            const dw = new Float32Array(fv.length);
            const outputs: Record<
              string,
              readonly [Float32Array, readonly number[]]
            > = { [bwd.names.dx]: [dx, g.input], [bwd.names.dw]: [dw, wShape] };
            const db = conv.bias === null ? null : new Float32Array(cout);
            if (db !== null) outputs[bwd.names.db!] = [db, [cout]];
            runInto(bwd.session, {
              x: [xv, g.input],
              dy: [values(dy), outShape],
              w: [fv, wShape],
            }, outputs);
            const grads: tfTypes.Tensor[] = [
              tf.tensor5d(dx, g.input as Shape5),
              tf.tensor(dw, conv.filter.shape),
            ];
            if (db !== null) grads.push(tf.tensor1d(db));
            return grads;
          },
        };
      });
      return op(...inputs) as T5;
    },
    batchNorm(x, bn, training) {
      checkBatchNorm(x, bn);
      const shape = x.shape as Shape5;
      const c = shape[4];
      if (training) checkBatchNormCount(shape);
      const inputs: tfTypes.Tensor[] = [x];
      if (bn.gamma !== null) inputs.push(bn.gamma);
      if (bn.beta !== null) inputs.push(bn.beta);
      let state: BatchNormState | null = null;
      const op = tf.customGrad((..._args: unknown[]) => {
        const xv = values(x);
        const st = bnState(xv, shape, bn, training);
        state = st;
        const gamma = bn.gamma === null ? null : values(bn.gamma);
        const out = batchNormForward(
          xv,
          c,
          st,
          gamma,
          bn.beta === null ? null : values(bn.beta),
          null,
          false,
        );
        return {
          value: tf.tensor5d(out, shape),
          gradFunc: (dOut: tfTypes.Tensor) => {
            const b = batchNormBackward(
              values(dOut),
              xv,
              null,
              c,
              st,
              gamma,
              training,
            );
            const grads: tfTypes.Tensor[] = [tf.tensor5d(b.dy, shape)];
            if (bn.gamma !== null) grads.push(tf.tensor1d(b.dGamma));
            if (bn.beta !== null) grads.push(tf.tensor1d(b.dBeta));
            return grads;
          },
        };
      });
      const result = op(...inputs) as T5;
      if (training) {
        updateRunning(bn, state!, shape[0] * shape[1] * shape[2] * shape[3]);
      }
      return result;
    },
    convBn,
    relu(x) {
      checkRank5("relu input", x);
      const op = tf.customGrad((..._args: unknown[]) => {
        const out = reluForward(values(x));
        return {
          value: tf.tensor5d(out, x.shape),
          gradFunc: (dy: tfTypes.Tensor) =>
            tf.tensor5d(reluBackward(values(dy), out), x.shape),
        };
      });
      return op(x) as T5;
    },
    add(a, b) {
      checkRank5("add input", a);
      checkSameShape("add input", a, b);
      const op = tf.customGrad((..._args: unknown[]) => ({
        value: tf.tensor5d(addArrays(values(a), values(b)), a.shape),
        gradFunc: (dy: tfTypes.Tensor) => {
          // Both gradients are dy; tfjs's cpu kernels never write their inputs,
          // so the two tensors may share dy's array.
          const g = values(dy);
          return [tf.tensor5d(g, a.shape), tf.tensor5d(g, a.shape)];
        },
      }));
      return op(a, b) as T5;
    },
    maxPool3d(x, size) {
      const [od, oh, ow] = checkPool(x, size);
      const shape = x.shape as Shape5;
      const outShape: Shape5 = [shape[0], od, oh, ow, shape[4]];
      const op = tf.customGrad((..._args: unknown[]) => {
        const xv = values(x);
        const { out, argmax } = maxPoolForward(xv, shape, size);
        return {
          value: tf.tensor5d(out, outShape),
          gradFunc: (dy: tfTypes.Tensor) =>
            tf.tensor5d(maxPoolBackward(values(dy), argmax, xv.length), shape),
        };
      });
      return op(x) as T5;
    },
    concatChannels(xs) {
      checkConcat(xs);
      const channels = xs.map((x) => x.shape[4]);
      const s = xs[0].shape;
      const outShape: Shape5 = [
        s[0],
        s[1],
        s[2],
        s[3],
        channels.reduce((a, b) => a + b, 0),
      ];
      const op = tf.customGrad((..._args: unknown[]) => ({
        value: tf.tensor5d(
          concatChannelsForward(xs.map(values), channels),
          outShape,
        ),
        gradFunc: (dy: tfTypes.Tensor) =>
          concatChannelsBackward(values(dy), channels).map((g, i) =>
            tf.tensor5d(g, xs[i].shape)
          ),
      }));
      return op(...xs) as T5;
    },
    dropout(x, rate, options) {
      checkDropout(x, rate);
      if (!options.training || rate === 0) return tf.clone(x);
      const mask = dropoutMask(
        x.shape,
        rate,
        options.channelwise,
        options.seed,
      );
      const [n, , , , c] = x.shape;
      const op = tf.customGrad((..._args: unknown[]) => ({
        value: tf.tensor5d(applyMask(values(x), mask.values, n, c), x.shape),
        gradFunc: (dy: tfTypes.Tensor) =>
          tf.tensor5d(applyMask(values(dy), mask.values, n, c), x.shape),
      }));
      return op(x) as T5;
    },
  };
  return ops;
}
