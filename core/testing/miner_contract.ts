/**
 * The contract every Miner plugin passes: it selects every positive and only
 * candidate negatives, is deterministic per seed, copes with empty batches,
 * uses every candidate negative in validation and rejects malformed input.
 *
 * A plugin's test calls {@linkcode minerContract} first, then adds its own
 * cases.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ShapeError } from "../errors.ts";
import type { Miner, MinerInput, MinerSelection } from "../miner.ts";
import { createRng } from "../random.ts";

/** A seeded batch: labels drawn from {1 (rare), 0, −1}, logits normal × 3. */
export function randomMinerInput(
  seed: number,
  batchSize = 3,
  rowsPerSample = 200,
): MinerInput {
  const rng = createRng(seed);
  const rows = batchSize * rowsPerSample;
  const labels = new Float32Array(rows);
  const logits = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const u = rng.next();
    labels[r] = u < 0.02 ? 1 : u < 0.5 ? 0 : -1;
    logits[r] = 3 * rng.normal();
  }
  return { logits, labels, batchSize, rowsPerSample };
}

/** Rows of `labels` whose class is `value` (1, 0 or −1), ascending. */
function rowsOf(labels: Float32Array, value: number): number[] {
  const rows: number[] = [];
  labels.forEach((label, r) => {
    if (label === value) rows.push(r);
  });
  return rows;
}

/** Checks the structural promises of a selection against its input. */
export function assertValidSelection(
  input: MinerInput,
  selection: MinerSelection,
): void {
  assert.deepEqual(
    [...selection.positives].sort((a, b) => a - b),
    rowsOf(input.labels, 1),
    "positives must be exactly the rows labelled 1",
  );
  const negatives = [...selection.negatives];
  assert.equal(
    new Set(negatives).size,
    negatives.length,
    "negatives must not repeat a row",
  );
  for (const row of negatives) {
    assert.ok(
      Number.isInteger(row) && row >= 0 && row < input.labels.length,
      `negative row ${row} is outside the batch`,
    );
    assert.equal(
      input.labels[row],
      -1,
      `negative row ${row} has label ${
        input.labels[row]
      }, expected a candidate negative (-1)`,
    );
  }
  if (selection.negativeWeights !== undefined) {
    assert.equal(selection.negativeWeights.length, negatives.length);
    for (const w of selection.negativeWeights) {
      assert.ok(
        Number.isFinite(w) && w >= 0,
        `negative weight ${w} is invalid`,
      );
    }
  }
}

/**
 * Registers the Miner contract tests for one plugin.
 *
 * @param name the plugin id, used in test names
 * @param create makes a fresh miner (with the options under test)
 * @example
 * ```ts ignore
 * import { minerContract } from "../../core/testing/miner_contract.ts";
 * minerContract("all", () => allMiner.create({}, testPluginContext()));
 * ```
 */
export function minerContract(name: string, create: () => Miner): void {
  Deno.test(`${name}: select() returns every positive and only candidate negatives`, () => {
    const miner = create();
    for (const seed of [1, 2, 3]) {
      const input = randomMinerInput(seed);
      const labelsBefore = input.labels.slice();
      const logitsBefore = input.logits.slice();
      for (const training of [true, false]) {
        assertValidSelection(
          input,
          miner.select(input, training, createRng(seed)),
        );
      }
      assert.deepEqual(
        input.labels,
        labelsBefore,
        "select() changed the labels",
      );
      assert.deepEqual(
        input.logits,
        logitsBefore,
        "select() changed the logits",
      );
    }
  });

  Deno.test(`${name}: select() never picks positives or ignored rows, even when they score highest`, () => {
    const miner = create();
    const input = randomMinerInput(4, 2, 50);
    // Positives and ignored rows get the highest logits of the batch.
    input.labels.forEach((label, r) => {
      if (label !== -1) input.logits[r] = 100 + r;
    });
    const selection = miner.select(input, true, createRng(4));
    assertValidSelection(input, selection);
    assert.ok(selection.negatives.length > 0, "training selected no negative");
  });

  Deno.test(`${name}: select() is deterministic for a seed`, () => {
    const input = randomMinerInput(5);
    const a = create().select(input, true, createRng(11));
    const b = create().select(input, true, createRng(11));
    assert.deepEqual([...a.positives], [...b.positives]);
    assert.deepEqual([...a.negatives], [...b.negatives]);
    assert.deepEqual(
      a.negativeWeights && [...a.negativeWeights],
      b.negativeWeights && [...b.negativeWeights],
    );
  });

  Deno.test(`${name}: select() returns an empty selection for a batch without candidates`, () => {
    const miner = create();
    const ignoredOnly: MinerInput = {
      logits: new Float32Array(40).fill(2),
      labels: new Float32Array(40),
      batchSize: 2,
      rowsPerSample: 20,
    };
    const empty: MinerInput = {
      logits: new Float32Array(0),
      labels: new Float32Array(0),
      batchSize: 0,
      rowsPerSample: 20,
    };
    for (const input of [ignoredOnly, empty]) {
      for (const training of [true, false]) {
        const selection = miner.select(input, training, createRng(0));
        assert.equal(selection.positives.length, 0);
        assert.equal(selection.negatives.length, 0);
        assert.equal(selection.negativeWeights?.length ?? 0, 0);
      }
    }
  });

  Deno.test(`${name}: select() in validation uses every candidate negative`, () => {
    const input = randomMinerInput(6);
    const selection = create().select(input, false, createRng(6));
    assert.deepEqual(
      [...selection.negatives].sort((a, b) => a - b),
      rowsOf(input.labels, -1),
    );
    if (selection.negativeWeights) {
      assert.ok(selection.negativeWeights.every((w) => w === 1));
    }
  });

  Deno.test(`${name}: select() rejects arrays that do not match the batch with a ShapeError`, () => {
    const miner = create();
    const input = randomMinerInput(7, 2, 10);
    assert.throws(
      () =>
        miner.select(
          { ...input, labels: input.labels.subarray(1) },
          true,
          createRng(0),
        ),
      (error: unknown) =>
        error instanceof ShapeError &&
        /shape is \[19\], expected \[20\]/.test(error.message),
    );
    assert.throws(
      () =>
        miner.select(
          { ...input, logits: input.logits.subarray(2) },
          false,
          createRng(0),
        ),
      (error: unknown) =>
        error instanceof ShapeError &&
        /shape is \[18\], expected \[20\]/.test(error.message),
    );
  });
}
