/**
 * Online hard-negative mining (reference-detector.md §5.1 step 3, after the
 * `Loss` of lfz/DSB2017 `layers.py`, MIT): keep the candidate negatives with
 * the highest logits, k per sample (the write-up, W) or k · batch over the
 * whole batch (DSB2017's code).
 *
 * @module
 */

import type { MinerInput, MinerSelection } from "../../core/mod.ts";
import { ShapeError } from "../../core/mod.ts";

/** Settings of the top-k miner. */
export interface TopKSettings {
  /** Negatives kept per sample. */
  readonly k: number;
  /** true: k per sample; false: k · batchSize over the whole batch. */
  readonly perSample: boolean;
}

/** Checks that the arrays match `batchSize · rowsPerSample`. */
export function checkMinerInput(input: MinerInput): void {
  const { batchSize, rowsPerSample } = input;
  if (
    !(Number.isInteger(batchSize) && batchSize >= 0 &&
      Number.isInteger(rowsPerSample) && rowsPerSample >= 0)
  ) {
    throw new RangeError(
      `Cannot select negatives: batchSize is ${batchSize} and rowsPerSample is ${rowsPerSample}, expected non-negative integers`,
    );
  }
  const rows = batchSize * rowsPerSample;
  if (input.labels.length !== rows) {
    throw new ShapeError("miner labels", [rows], [input.labels.length]);
  }
  if (input.logits.length !== rows) {
    throw new ShapeError("miner logits", [rows], [input.logits.length]);
  }
}

/** Rows whose label is > 0.5 (positives) or < −0.5 (candidate negatives), ascending. */
export function rowsWhere(
  labels: Float32Array,
  sign: 1 | -1,
  from = 0,
  to = labels.length,
): Int32Array {
  let n = 0;
  for (let r = from; r < to; r++) if (labels[r] * sign > 0.5) n++;
  const rows = new Int32Array(n);
  n = 0;
  for (let r = from; r < to; r++) if (labels[r] * sign > 0.5) rows[n++] = r;
  return rows;
}

/**
 * Keeps the `k` candidate negatives (label < −0.5) of rows `[from, to)` with
 * the highest logits, with a size-k min-heap (O(n log k)). Ties go to the
 * lower row; a NaN logit ranks lowest. Writes the rows into `out` at `at`,
 * returns how many were written.
 */
function topKInto(
  input: MinerInput,
  from: number,
  to: number,
  k: number,
  out: Int32Array,
  at: number,
): number {
  const { logits, labels } = input;
  const keys = new Float64Array(k);
  const rows = new Int32Array(k);
  let size = 0;
  // `worse(i, j)`: heap entry i ranks below heap entry j.
  const worse = (i: number, j: number) =>
    keys[i] < keys[j] || (keys[i] === keys[j] && rows[i] > rows[j]);
  const swap = (i: number, j: number) => {
    const key = keys[i], row = rows[i];
    keys[i] = keys[j];
    rows[i] = rows[j];
    keys[j] = key;
    rows[j] = row;
  };
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < size && worse(l, m)) m = l;
      if (r < size && worse(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  if (k > 0) {
    for (let row = from; row < to; row++) {
      if (!(labels[row] < -0.5)) continue;
      const logit = logits[row];
      const key = Number.isNaN(logit) ? -Infinity : logit;
      if (size < k) {
        keys[size] = key;
        rows[size] = row;
        // Sift up.
        let i = size++;
        while (i > 0) {
          const p = (i - 1) >> 1;
          if (!worse(i, p)) break;
          swap(i, p);
          i = p;
        }
      } else if (key > keys[0] || (key === keys[0] && row < rows[0])) {
        keys[0] = key;
        rows[0] = row;
        siftDown(0);
      }
    }
  }
  out.set(rows.subarray(0, size), at);
  return size;
}

/**
 * Selects every positive and the hardest candidate negatives (training) or
 * every candidate negative (validation).
 *
 * @param input logits and labels of a batch, flattened
 * @param training false: validation, every candidate negative
 * @param settings k and per-sample mode
 * @returns positives and negatives as ascending row indices
 *
 * @example
 * ```ts
 * import { selectTopK } from "./topk.ts";
 * const input = {
 *   logits: new Float32Array([0.5, 3, -1, 2]),
 *   labels: new Float32Array([-1, 1, -1, -1]),
 *   batchSize: 1,
 *   rowsPerSample: 4,
 * };
 * selectTopK(input, true, { k: 2, perSample: true }).negatives; // Int32Array [0, 3]
 * ```
 */
export function selectTopK(
  input: MinerInput,
  training: boolean,
  settings: TopKSettings,
): MinerSelection {
  checkMinerInput(input);
  const positives = rowsWhere(input.labels, 1);
  if (!training) return { positives, negatives: rowsWhere(input.labels, -1) };
  const { batchSize, rowsPerSample } = input;
  const { k } = settings;
  let chosen: Int32Array;
  let count = 0;
  if (settings.perSample) {
    chosen = new Int32Array(Math.min(k * batchSize, input.labels.length));
    for (let s = 0; s < batchSize; s++) {
      const from = s * rowsPerSample;
      count += topKInto(input, from, from + rowsPerSample, k, chosen, count);
    }
  } else {
    const total = Math.min(k * batchSize, input.labels.length);
    chosen = new Int32Array(total);
    count = topKInto(input, 0, input.labels.length, total, chosen, 0);
  }
  const negatives = chosen.slice(0, count).sort();
  return { positives, negatives };
}
