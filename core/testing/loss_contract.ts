/**
 * The contract every Loss plugin passes: a finite scalar total ≥ 0 with the
 * `classPositive`, `classNegative` and `regression` terms, batches without
 * positives or without any selected row, gradients only into the selected
 * rows (regression fields only for positives; none for a zero-weight
 * negative), clear errors on malformed input, and no leaked tensors.
 *
 * A plugin's test calls {@linkcode lossContract} first, then adds its own
 * cases.
 *
 * @module
 */

import assert from "node:assert/strict";
import type * as tfTypes from "@tensorflow/tfjs-core";
import type { Engine, EngineName } from "../engine/engine.ts";
import { createEngine } from "../engine/mod.ts";
import { ShapeError } from "../errors.ts";
import type { Loss } from "../loss.ts";
import type { MinerSelection } from "../miner.ts";
import { createRng } from "../random.ts";

/** Plain-array loss inputs: `[rows, 5]` outputs and targets and a selection. */
export interface LossFixture {
  /** Rows of the batch. */
  readonly rows: number;
  /** Outputs `[rows, 5]`: logits normal × 2, offsets normal × 0.7. */
  readonly output: Float32Array;
  /** Targets `[rows, 5]`: class 1 / 0 / −1 and regression for positives. */
  readonly targets: Float32Array;
  /** Every positive and about half of the candidate negatives. */
  readonly selection: MinerSelection;
}

/**
 * A seeded fixture: rows 0–2 positive, then classes drawn from {0, −1}; the
 * selection keeps every positive and every other candidate negative.
 *
 * @param seed seed of the values
 * @param rows number of rows (≥ 8)
 * @param weighted give the negatives weights in [0.5, 2)
 * @returns outputs, targets and a selection
 */
export function lossFixture(
  seed: number,
  rows = 40,
  weighted = false,
): LossFixture {
  const rng = createRng(seed);
  const output = new Float32Array(rows * 5);
  const targets = new Float32Array(rows * 5);
  const positives: number[] = [], negatives: number[] = [];
  let candidates = 0;
  for (let r = 0; r < rows; r++) {
    output[r * 5] = 2 * rng.normal();
    for (let f = 1; f < 5; f++) output[r * 5 + f] = 0.7 * rng.normal();
    const label = r < 3 ? 1 : rng.next() < 0.3 ? 0 : -1;
    targets[r * 5] = label;
    if (label === 1) {
      positives.push(r);
      for (let f = 1; f < 5; f++) targets[r * 5 + f] = 0.5 * rng.normal();
    } else if (label === -1 && candidates++ % 2 === 0) {
      negatives.push(r);
    }
  }
  const selection: MinerSelection = {
    positives: Int32Array.from(positives),
    negatives: Int32Array.from(negatives),
    ...(weighted
      ? {
        negativeWeights: Float32Array.from(
          negatives,
          () => rng.uniform(0.5, 2),
        ),
      }
      : {}),
  };
  return { rows, output, targets, selection };
}

/** What the contract runs against. */
export interface LossContractSetup {
  /** Creates the loss under test. */
  readonly create: () => Loss;
  /** Engines to run on (default `["tfjs-cpu"]`). */
  readonly engines?: readonly EngineName[];
}

interface Evaluated {
  total: number;
  terms: Record<string, number>;
  gradient: Float32Array;
}

/**
 * Computes the loss and the gradient of the total with respect to the output
 * rows, disposing of every tensor.
 */
export function evaluateLoss(
  engine: Engine,
  loss: Loss,
  fixture: LossFixture,
  selection: MinerSelection = fixture.selection,
): Evaluated {
  const tf = engine.tf;
  const output = tf.tensor2d(fixture.output, [fixture.rows, 5]);
  const targets = tf.tensor2d(fixture.targets, [fixture.rows, 5]);
  try {
    let total = NaN;
    const terms: Record<string, number> = {};
    const gradient = tf.tidy(() =>
      tf.grad((x: tfTypes.Tensor) => {
        const result = loss.compute({
          tf,
          output: x as tfTypes.Tensor2D,
          targets,
          selection,
        });
        assert.equal(result.total.rank, 0, "total must be a scalar");
        total = result.total.dataSync()[0];
        for (const [name, term] of Object.entries(result.terms)) {
          assert.equal(term.rank, 0, `term "${name}" must be a scalar`);
          terms[name] = term.dataSync()[0];
        }
        return result.total;
      })(output)
    );
    const data = (gradient.dataSync() as Float32Array).slice();
    gradient.dispose();
    return { total, terms, gradient: data };
  } finally {
    output.dispose();
    targets.dispose();
  }
}

function assertFinite(result: Evaluated): void {
  assert.ok(
    Number.isFinite(result.total) && result.total >= 0,
    `total ${result.total} is not a finite value >= 0`,
  );
  for (const [name, value] of Object.entries(result.terms)) {
    assert.ok(Number.isFinite(value), `term "${name}" is ${value}`);
  }
  assert.ok(result.gradient.every(Number.isFinite), "gradient is not finite");
}

function assertGradientOnlyInSelection(
  result: Evaluated,
  fixture: LossFixture,
  selection: MinerSelection,
): void {
  const positives = new Set(selection.positives);
  const negatives = new Set(selection.negatives);
  for (let r = 0; r < fixture.rows; r++) {
    const g = result.gradient.subarray(r * 5, r * 5 + 5);
    if (positives.has(r)) {
      assert.notEqual(g[0], 0, `positive row ${r}: no logit gradient`);
      assert.ok(
        g.subarray(1).some((v) => v !== 0),
        `positive row ${r}: no regression gradient`,
      );
    } else if (negatives.has(r)) {
      assert.deepEqual(
        [...g.subarray(1)],
        [0, 0, 0, 0],
        `negative row ${r}: regression gradient`,
      );
    } else {
      assert.deepEqual(
        [...g],
        [0, 0, 0, 0, 0],
        `row ${r} was not selected but has a gradient`,
      );
    }
  }
}

const REQUIRED_TERMS = ["classPositive", "classNegative", "regression"];

/** One contract check. */
interface LossCheck {
  readonly name: string;
  run(setup: LossContractSetup, engine: Engine): void;
}

const LOSS_CHECKS: readonly LossCheck[] = [
  {
    name:
      "returns a finite scalar total >= 0 with classPositive, classNegative and regression terms",
    run(setup, engine) {
      for (const seed of [1, 2, 3]) {
        for (const weighted of [false, true]) {
          const fixture = lossFixture(seed, 40, weighted);
          const result = evaluateLoss(engine, setup.create(), fixture);
          assertFinite(result);
          for (const name of REQUIRED_TERMS) {
            assert.ok(name in result.terms, `term "${name}" is missing`);
            assert.ok(result.terms[name] >= 0, `term "${name}" is negative`);
          }
          assert.ok(result.total > 0, "a batch with positives has a loss > 0");
        }
      }
    },
  },
  {
    name:
      "sends gradient to the selected rows only (regression only for positives)",
    run(setup, engine) {
      for (const weighted of [false, true]) {
        const fixture = lossFixture(4, 40, weighted);
        const result = evaluateLoss(engine, setup.create(), fixture);
        assertGradientOnlyInSelection(result, fixture, fixture.selection);
        for (const r of fixture.selection.negatives) {
          assert.notEqual(
            result.gradient[r * 5],
            0,
            `negative row ${r}: no logit gradient`,
          );
        }
      }
    },
  },
  {
    name: "gives a negative of weight 0 no gradient",
    run(setup, engine) {
      const fixture = lossFixture(5, 40, true);
      const weights = fixture.selection.negativeWeights!.slice();
      weights[0] = 0;
      const selection = { ...fixture.selection, negativeWeights: weights };
      const result = evaluateLoss(engine, setup.create(), fixture, selection);
      assertFinite(result);
      const row = selection.negatives[0];
      assert.deepEqual([...result.gradient.subarray(row * 5, row * 5 + 5)], [
        0,
        0,
        0,
        0,
        0,
      ]);
    },
  },
  {
    name: "handles a batch without positives (positive terms 0)",
    run(setup, engine) {
      const fixture = lossFixture(6);
      const selection = {
        positives: new Int32Array(0),
        negatives: fixture.selection.negatives,
      };
      const result = evaluateLoss(engine, setup.create(), fixture, selection);
      assertFinite(result);
      assert.equal(result.terms.classPositive, 0);
      assert.equal(result.terms.regression, 0);
      assertGradientOnlyInSelection(result, fixture, selection);
    },
  },
  {
    name: "handles an empty selection (total 0, zero gradient)",
    run(setup, engine) {
      const fixture = lossFixture(7);
      const selection = {
        positives: new Int32Array(0),
        negatives: new Int32Array(0),
      };
      const result = evaluateLoss(engine, setup.create(), fixture, selection);
      assert.equal(result.total, 0);
      assert.ok(result.gradient.every((v) => v === 0));
    },
  },
  {
    name: "stays finite for extreme logits",
    run(setup, engine) {
      const fixture = lossFixture(8);
      const output = fixture.output.slice();
      for (let r = 0; r < fixture.rows; r++) {
        output[r * 5] = r % 2 === 0 ? 200 : -200;
      }
      const result = evaluateLoss(
        engine,
        setup.create(),
        { ...fixture, output },
      );
      assertFinite(result);
    },
  },
  {
    name: "rejects malformed input with a ShapeError or RangeError",
    run(setup, engine) {
      const tf = engine.tf;
      const loss = setup.create();
      const fixture = lossFixture(9, 10);
      const output = tf.tensor2d(fixture.output, [10, 5]);
      const targets = tf.tensor2d(fixture.targets, [10, 5]);
      const narrow = tf.zeros([10, 4]) as tfTypes.Tensor2D;
      const before = tf.memory().numTensors;
      try {
        assert.throws(
          () =>
            loss.compute({
              tf,
              output,
              targets: narrow,
              selection: fixture.selection,
            }),
          ShapeError,
        );
        assert.throws(
          () =>
            loss.compute({
              tf,
              output,
              targets,
              selection: { ...fixture.selection, negatives: Int32Array.of(10) },
            }),
          RangeError,
        );
        assert.equal(
          tf.memory().numTensors,
          before,
          "tensors leaked on error",
        );
      } finally {
        output.dispose();
        targets.dispose();
        narrow.dispose();
      }
    },
  },
  {
    name: "leaks no tensor (the caller disposes of total and terms)",
    run(setup, engine) {
      const tf = engine.tf;
      const loss = setup.create();
      const fixture = lossFixture(10);
      const before = tf.memory().numTensors;
      evaluateLoss(engine, loss, fixture);
      assert.equal(tf.memory().numTensors, before, "after a gradient step");
      const output = tf.tensor2d(fixture.output, [fixture.rows, 5]);
      const targets = tf.tensor2d(fixture.targets, [fixture.rows, 5]);
      const held = tf.memory().numTensors;
      const result = tf.tidy(() => {
        const r = loss.compute({
          tf,
          output,
          targets,
          selection: fixture.selection,
        });
        return [r.total, ...Object.values(r.terms)];
      });
      assert.equal(tf.memory().numTensors, held + result.length);
      tf.dispose(result);
      output.dispose();
      targets.dispose();
      assert.equal(tf.memory().numTensors, before, "after dispose");
    },
  },
];

/**
 * Registers the Loss contract as one `Deno.test` per engine, a step per check.
 *
 * @param name the plugin id (and options), used in test names
 * @param setup the factory and engines
 * @example
 * ```ts ignore
 * import { lossContract } from "../../core/testing/loss_contract.ts";
 * lossContract("balanced", { create: () => balancedLoss.create({}, testPluginContext()) });
 * ```
 */
export function lossContract(name: string, setup: LossContractSetup): void {
  for (const engineName of setup.engines ?? ["tfjs-cpu"]) {
    Deno.test(
      `${name} satisfies the loss contract on "${engineName}"`,
      async (t) => {
        const engine = await createEngine(engineName);
        try {
          for (const check of LOSS_CHECKS) {
            await t.step(check.name, () => check.run(setup, engine));
          }
        } finally {
          engine.dispose();
        }
      },
    );
  }
}
