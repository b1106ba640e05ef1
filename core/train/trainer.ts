/**
 * One training stage: SGD with momentum and weight decay (or Adam with
 * decoupled weight decay) over epochs of
 * crops, the head's targets, the miner's choice and the loss, with a step
 * learning-rate schedule, warm-up, per-step metrics and atomic checkpoints.
 *
 * Reproducibility: every random choice of step `t` (crop order of its epoch,
 * augmentation, targets, miner, dropout) draws from generators seeded by
 * (seed, stage, epoch or step), never from a stream that depends on how many
 * steps ran before. A run resumed from a checkpoint therefore repeats exactly
 * what an uninterrupted run does (given the same engine and thread count).
 *
 * @module
 */

import type * as tfTypes from "@tensorflow/tfjs-core";
import { ADAM_BETA2 } from "../experiment.ts";
import type { AnchorHead, HeadNetwork } from "../anchor_head.ts";
import { VALUES_PER_ANCHOR } from "../anchor_head.ts";
import type { BackboneNetwork, NamedWeights } from "../backbone.ts";
import type { Engine } from "../engine/engine.ts";
import type { Logger, Progress } from "../logger.ts";
import type { Loss } from "../loss.ts";
import type { Miner } from "../miner.ts";
import { createRng, type Rng } from "../random.ts";
import type { Checkpoint } from "./checkpoint.ts";
import {
  type Crop,
  type CropOptions,
  epochLength,
  makeCrop,
  type PreparedScan,
  type SampleEntry,
} from "./crops.ts";

/** Optimisation settings of a stage. */
export interface StageSettings {
  /** Stage index (0-based). */
  readonly stage: number;
  /** Run seed. */
  readonly seed: number;
  /** Crops per step. */
  readonly batchSize: number;
  /** Epochs in this stage. */
  readonly epochs: number;
  /** Cap on steps (0 = none). */
  readonly maxSteps: number;
  /** Cap on wall time in minutes (0 = none); stopping on time is not reproducible. */
  readonly maxMinutes: number;
  /** Base learning rate. */
  readonly lr: number;
  /** The update rule: SGD with momentum (the reference) or Adam. */
  readonly optimizer?: OptimizerName;
  /** SGD momentum; Adam's first-moment decay β1. */
  readonly momentum: number;
  /** Adam's second-moment decay β2 (unused by SGD); default {@linkcode ADAM_BETA2}. */
  readonly beta2?: number;
  /** Weight decay: L2 added to the gradient (SGD), decoupled (Adam). */
  readonly weightDecay: number;
  /** Rescale the gradients when their global L2 norm exceeds this (0 = never). */
  readonly gradClip?: number;
  /** Linear warm-up steps. */
  readonly warmupSteps: number;
  /** Fractions of the stage where the rate steps down. */
  readonly milestones: readonly number[];
  /** Multipliers after each milestone. */
  readonly factors: readonly number[];
  /** Checkpoint period in steps. */
  readonly checkpointEvery: number;
  /** Crop sampling. */
  readonly crop: CropOptions;
}

/** What a stage trains. */
export interface StageModel {
  /** The engine running it. */
  readonly engine: Engine;
  /** Backbone network. */
  readonly backbone: BackboneNetwork;
  /** Head network. */
  readonly headNetwork: HeadNetwork;
  /** Head plugin (targets). */
  readonly head: AnchorHead;
  /** Miner plugin. */
  readonly miner: Miner;
  /** Loss plugin. */
  readonly loss: Loss;
}

/** Callbacks through which a stage reports. */
export interface StageHooks {
  /** Per-step metrics. */
  onStep?(step: number, metrics: Record<string, number>): void;
  /** A checkpoint to persist atomically; called every `checkpointEvery` steps and at the end. */
  onCheckpoint(step: number, checkpoint: Checkpoint): void;
  /** Logger. */
  readonly logger: Logger;
  /** Progress. */
  readonly progress: Progress;
}

/** The result of a stage. */
export interface StageResult {
  /** Steps done in total (including those before a resume). */
  readonly steps: number;
  /** Why it stopped. */
  readonly stoppedBy: "schedule" | "max_steps" | "max_minutes";
  /** Mean loss over the last 20 steps. */
  readonly finalLoss: number;
  /** Wall time the stage trained, in minutes (including time before a resume). */
  readonly minutes: number;
}

/** The update rules a stage can use. */
export type OptimizerName = "sgd" | "adam";

/** Adam's ε, added to the root of the second moment. */
export const ADAM_EPSILON = 1e-8;

/** The per-variable state of the update rule. */
export interface OptimizerSlots {
  /** SGD velocity, or Adam's first moment. */
  readonly first: tfTypes.Variable;
  /** Adam's second moment (absent for SGD). */
  readonly second?: tfTypes.Variable;
}

/**
 * Applies one update to `variable` in place (call inside `tf.tidy`).
 *
 * - `sgd`: `g ← g + λw; v ← μv + g; w ← w − η·v` (the reference trainer);
 * - `adam`: `m ← β1·m + (1−β1)·g; s ← β2·s + (1−β2)·g²;
 *   w ← w − η·(m̂ / (√ŝ + ε) + λw)` with `m̂ = m / (1−β1^t)`,
 *   `ŝ = s / (1−β2^t)` (Kingma & Ba; weight decay decoupled as in AdamW).
 *
 * The gradient is first multiplied by `gradScale` (gradient clipping). On
 * tfjs's `cpu` backend, where tensors live in typed arrays, the rule runs as
 * one loop over the arrays ({@link updateArrays}); elsewhere (WebGPU) as
 * tfjs ops ({@link applyUpdateOps}), which keep the data on the device. The
 * two agree to float32 rounding.
 *
 * @param tf the engine's tfjs
 * @param variable the weight
 * @param grad its gradient
 * @param slots its optimizer state
 * @param settings update rule, μ/β1, β2, λ
 * @param lr the step's learning rate η
 * @param t the 1-based update count of the stage (Adam's bias correction)
 * @param gradScale factor applied to `grad` first (1 = none)
 */
export const applyUpdate: UpdateRule = (tf, ...rest) =>
  (tf.getBackend() === "cpu" ? applyUpdateArrays : applyUpdateOps)(
    tf,
    ...rest,
  );

/** The settings an update rule reads. */
export type UpdateSettings = Pick<
  StageSettings,
  "optimizer" | "momentum" | "beta2" | "weightDecay"
>;

/** The signature of {@link applyUpdate} and its two implementations. */
export type UpdateRule = (
  tf: typeof tfTypes,
  variable: tfTypes.Variable,
  grad: tfTypes.Tensor,
  slots: OptimizerSlots,
  settings: UpdateSettings,
  lr: number,
  t: number,
  gradScale?: number,
) => void;

/** {@link applyUpdate} as tfjs ops (any backend; call inside `tf.tidy`). */
export const applyUpdateOps: UpdateRule = (
  tf,
  variable,
  grad,
  slots,
  settings,
  lr,
  t,
  gradScale = 1,
) => {
  if (gradScale !== 1) grad = tf.mul(grad, gradScale);
  const decay = settings.weightDecay;
  if ((settings.optimizer ?? "sgd") === "sgd") {
    const g = decay > 0 ? tf.add(grad, tf.mul(variable, decay)) : grad;
    slots.first.assign(tf.add(tf.mul(slots.first, settings.momentum), g));
    variable.assign(tf.sub(variable, tf.mul(slots.first, lr)));
    return;
  }
  const second = adamSecond(slots);
  const b1 = settings.momentum, b2 = settings.beta2 ?? ADAM_BETA2;
  slots.first.assign(tf.add(tf.mul(slots.first, b1), tf.mul(grad, 1 - b1)));
  second.assign(tf.add(tf.mul(second, b2), tf.mul(tf.square(grad), 1 - b2)));
  const mHat = tf.div(slots.first, 1 - b1 ** t);
  const sHat = tf.div(second, 1 - b2 ** t);
  let delta = tf.div(mHat, tf.add(tf.sqrt(sHat), ADAM_EPSILON));
  if (decay > 0) delta = tf.add(delta, tf.mul(variable, decay));
  variable.assign(tf.sub(variable, tf.mul(delta, lr)));
};

/**
 * {@link applyUpdate} on the values of a `cpu`-backend tensor: reads the
 * arrays, runs {@link updateArrays} and assigns the results: about 12 tfjs
 * ops per weight become one pass (the Adam update took 0.37 s of the CPU
 * preset's 1.17 s step; the step is now 0.72 s).
 */
export const applyUpdateArrays: UpdateRule = (
  tf,
  variable,
  grad,
  slots,
  settings,
  lr,
  t,
  gradScale = 1,
) => {
  const adam = (settings.optimizer ?? "sgd") === "adam";
  const second = adam ? adamSecond(slots) : undefined;
  const next = updateArrays(
    {
      weights: variable.dataSync() as Float32Array,
      grad: grad.dataSync() as Float32Array,
      first: slots.first.dataSync() as Float32Array,
      second: second?.dataSync() as Float32Array | undefined,
    },
    settings,
    lr,
    t,
    gradScale,
  );
  variable.assign(tf.tensor(next.weights, variable.shape));
  slots.first.assign(tf.tensor(next.first, variable.shape));
  if (second && next.second) {
    second.assign(tf.tensor(next.second, variable.shape));
  }
};

/** One weight's values and optimizer state as flat arrays. */
export interface UpdateArrays {
  /** The weights. */
  readonly weights: Float32Array;
  /** Their gradient. */
  readonly grad: Float32Array;
  /** SGD velocity or Adam's first moment. */
  readonly first: Float32Array;
  /** Adam's second moment (absent for SGD). */
  readonly second?: Float32Array;
}

/**
 * The update rule of {@link applyUpdate} on flat arrays; returns new
 * arrays and leaves the inputs untouched.
 *
 * @example
 * ```ts
 * import { updateArrays } from "./trainer.ts";
 * const state = {
 *   weights: new Float32Array([1]),
 *   grad: new Float32Array([0.5]),
 *   first: new Float32Array([0]),
 * };
 * const sgd = { optimizer: "sgd" as const, momentum: 0.9, weightDecay: 0 };
 * updateArrays(state, sgd, 0.1, 1).weights; // [0.95]
 * ```
 */
export function updateArrays(
  state: UpdateArrays,
  settings: UpdateSettings,
  lr: number,
  t: number,
  gradScale = 1,
): UpdateArrays {
  const { weights, grad, first } = state;
  const n = weights.length;
  if (grad.length !== n || first.length !== n) {
    throw new RangeError(
      `Cannot update ${n} weights with ${grad.length} gradients and ${first.length} moments, expected equal lengths`,
    );
  }
  const decay = settings.weightDecay;
  const w = new Float32Array(n), m = new Float32Array(n);
  if ((settings.optimizer ?? "sgd") === "sgd") {
    const mu = settings.momentum;
    for (let i = 0; i < n; i++) {
      const g = grad[i] * gradScale + decay * weights[i];
      m[i] = mu * first[i] + g;
      w[i] = weights[i] - lr * m[i];
    }
    return { weights: w, grad, first: m };
  }
  const second = state.second;
  if (!second) throw new TypeError(NO_SECOND_MOMENTS);
  if (second.length !== n) {
    throw new RangeError(
      `Cannot update ${n} weights with ${second.length} second moments, expected equal lengths`,
    );
  }
  const s = new Float32Array(n);
  const b1 = settings.momentum, b2 = settings.beta2 ?? ADAM_BETA2;
  const c1 = 1 - b1 ** t, c2 = 1 - b2 ** t;
  for (let i = 0; i < n; i++) {
    const g = grad[i] * gradScale;
    m[i] = b1 * first[i] + (1 - b1) * g;
    s[i] = b2 * second[i] + (1 - b2) * g * g;
    const delta = (m[i] / c1) / (Math.sqrt(s[i] / c2) + ADAM_EPSILON) +
      decay * weights[i];
    w[i] = weights[i] - lr * delta;
  }
  return { weights: w, grad, first: m, second: s };
}

const NO_SECOND_MOMENTS = "Cannot apply an Adam update without second moments";

function adamSecond(slots: OptimizerSlots): tfTypes.Variable {
  if (!slots.second) throw new TypeError(NO_SECOND_MOMENTS);
  return slots.second;
}

/** Number of steps of a stage. */
export function stageSteps(
  settings: StageSettings,
  listLength: number,
  scanCount: number,
): number {
  const perEpoch = epochLength(
    listLength,
    settings.crop.randomFraction,
    scanCount,
  );
  const steps = Math.max(
    1,
    Math.ceil(settings.epochs * perEpoch / settings.batchSize),
  );
  return settings.maxSteps > 0 ? Math.min(steps, settings.maxSteps) : steps;
}

/**
 * Learning rate at `step` of `total`: linear warm-up, then the base rate
 * times the factor of the last milestone passed. With a time budget, the
 * stage's progress is the larger of `step / total` and the share of the
 * budget used (`timeFraction`), so the schedule completes within the budget.
 *
 * @example
 * ```ts
 * import { learningRate } from "./trainer.ts";
 * const s = { lr: 0.01, warmupSteps: 0, milestones: [0.5, 0.8], factors: [0.1, 0.01] };
 * learningRate(s, 60, 100); // 0.001
 * ```
 */
export function learningRate(
  settings: Pick<
    StageSettings,
    "lr" | "warmupSteps" | "milestones" | "factors"
  >,
  step: number,
  total: number,
  timeFraction = 0,
): number {
  const progress = Math.max(step / total, timeFraction);
  let factor = 1;
  settings.milestones.forEach((milestone, i) => {
    if (progress >= milestone) factor = settings.factors[i] ?? factor;
  });
  const warm = settings.warmupSteps > 0
    ? Math.min(1, (step + 1) / settings.warmupSteps)
    : 1;
  return settings.lr * factor * warm;
}

/** A seed for (seed, stage, kind, index), mixed so nearby inputs differ. */
export function derivedSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) >>> 0;
  }
  return h;
}

/** The crop order of one epoch: a seeded permutation of 0…length−1. */
export function epochOrder(
  length: number,
  seed: number,
  stage: number,
  epoch: number,
): Int32Array {
  const rng = createRng(derivedSeed(seed, stage, 1, epoch));
  const order = Int32Array.from({ length }, (_, i) => i);
  for (let i = length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/**
 * Trains one stage from the networks' current weights, or resumes it from
 * `resume` (a checkpoint of this stage).
 */
export function trainStage(
  model: StageModel,
  scans: readonly PreparedScan[],
  list: readonly SampleEntry[],
  settings: StageSettings,
  hooks: StageHooks,
  resume?: Checkpoint,
): StageResult {
  const { engine, backbone, headNetwork } = model;
  const tf = engine.tf;
  const trainable = [...backbone.trainable, ...headNetwork.trainable];
  const perEpoch = epochLength(
    list.length,
    settings.crop.randomFraction,
    scans.length,
  );
  const total = stageSteps(settings, list.length, scans.length);
  const adam = settings.optimizer === "adam";
  const zeros = (v: tfTypes.Variable) =>
    tf.tidy(() => tf.variable(tf.zerosLike(v), false));
  const slots: OptimizerSlots[] = trainable.map((v) => ({
    first: zeros(v),
    second: adam ? zeros(v) : undefined,
  }));
  let start = 0;
  // Training time spent before a restart counts against the time budget.
  let earlierMs = 0;
  if (resume) {
    start = restoreState(resume, model, slots);
    earlierMs = Number(resume.meta.elapsedMs ?? 0);
    hooks.logger.info(`Resuming stage ${settings.stage} at step ${start}`, {
      steps: total,
    });
  }
  const task = `stage ${settings.stage}`;
  hooks.progress.start(task, total, "steps");
  const began = performance.now() - earlierMs;
  const elapsedMs = () => performance.now() - began;
  const recent: number[] = [];
  let stoppedBy: StageResult["stoppedBy"] = "schedule";
  let order: Int32Array = new Int32Array(0);
  let orderEpoch = -1;
  let step = start;
  try {
    for (; step < total; step++) {
      const timeFraction = settings.maxMinutes > 0
        ? elapsedMs() / 60000 / settings.maxMinutes
        : 0;
      if (timeFraction >= 1) {
        stoppedBy = "max_minutes";
        break;
      }
      // The crops of this step: positions t·B … t·B + B − 1 of the epoch stream.
      const crops: Crop[] = [];
      for (let b = 0; b < settings.batchSize; b++) {
        const position = step * settings.batchSize + b;
        const epoch = Math.floor(position / perEpoch);
        if (epoch !== orderEpoch) {
          order = epochOrder(perEpoch, settings.seed, settings.stage, epoch);
          orderEpoch = epoch;
        }
        const rng = createRng(
          derivedSeed(settings.seed, settings.stage, 2, position),
        );
        crops.push(
          makeCrop(
            scans,
            list,
            order[position % perEpoch],
            settings.crop,
            rng,
            true,
          ),
        );
      }
      const stepRng = createRng(
        derivedSeed(settings.seed, settings.stage, 3, step),
      );
      backbone.reseed?.(derivedSeed(settings.seed, settings.stage, 4, step));
      const lr = learningRate(settings, step, total, timeFraction);
      const metrics = trainStep(
        model,
        crops,
        trainable,
        slots,
        lr,
        settings,
        stepRng,
        step + 1,
      );
      metrics.lr = lr;
      recent.push(metrics.loss);
      if (recent.length > 20) recent.shift();
      hooks.onStep?.(step, metrics);
      hooks.progress.step(task, step + 1, {
        loss: metrics.loss,
        lr,
      });
      if (!Number.isFinite(metrics.loss)) {
        throw new RangeError(
          `Cannot train stage ${settings.stage}: loss is ${metrics.loss} at step ${step}, expected a finite value (lower train.lr or add train.warmup_steps)`,
        );
      }
      if ((step + 1) % settings.checkpointEvery === 0 && step + 1 < total) {
        hooks.onCheckpoint(
          step + 1,
          captureState(
            model,
            slots,
            step + 1,
            settings.stage,
            false,
            elapsedMs(),
          ),
        );
      }
    }
    if (settings.maxSteps > 0 && step >= settings.maxSteps) {
      stoppedBy = "max_steps";
    }
    hooks.onCheckpoint(
      step,
      captureState(model, slots, step, settings.stage, true, elapsedMs()),
    );
  } finally {
    hooks.progress.end(task);
    for (const slot of slots) {
      slot.first.dispose();
      slot.second?.dispose();
    }
  }
  return {
    steps: step,
    stoppedBy,
    finalLoss: recent.length > 0
      ? recent.reduce((a, b) => a + b, 0) / recent.length
      : NaN,
    minutes: elapsedMs() / 60000,
  };
}

/** One SGD step on a batch; returns the metrics of the step. */
function trainStep(
  model: StageModel,
  crops: readonly Crop[],
  trainable: readonly tfTypes.Variable[],
  slots: readonly OptimizerSlots[],
  lr: number,
  settings: StageSettings,
  rng: Rng,
  t: number,
): Record<string, number> {
  const { engine, backbone, headNetwork, head, miner, loss } = model;
  const tf = engine.tf;
  const B = crops.length;
  const S = settings.crop.cropSize;
  const g = S / head.stride;
  const anchors = head.anchors.length;
  const rowsPerSample = g * g * g * anchors;
  // Inputs and targets on the CPU; a crop holds every input channel.
  const C = crops[0].image.length / (S * S * S);
  const image = new Float32Array(B * S * S * S * C);
  const coord = new Float32Array(B * g * g * g * 3);
  const targets = new Float32Array(B * rowsPerSample * VALUES_PER_ANCHOR);
  crops.forEach((crop, b) => {
    image.set(crop.image, b * S * S * S * C);
    coord.set(crop.coord, b * g * g * g * 3);
    targets.set(
      head.targets(crop.labels, true, rng),
      b * rowsPerSample * VALUES_PER_ANCHOR,
    );
  });
  const labels = new Float32Array(B * rowsPerSample);
  for (let r = 0; r < labels.length; r++) {
    labels[r] = targets[r * VALUES_PER_ANCHOR];
  }
  const terms: Record<string, number> = {};
  let logits: Float32Array = new Float32Array(0);
  let selection: ReturnType<Miner["select"]> | undefined;
  const imageTensor = tf.tensor5d(image, [B, S, S, S, C]);
  const coordTensor = tf.tensor5d(coord, [B, g, g, g, 3]);
  const targetTensor = tf.tensor2d(targets, [B * rowsPerSample, 5]);
  try {
    const { value, grads } = tf.variableGrads(() => {
      const features = backbone.apply(imageTensor, coordTensor, true, {
        imageGradient: false,
      });
      const output = headNetwork.apply(features, true);
      const rows = tf.reshape(output, [
        -1,
        VALUES_PER_ANCHOR,
      ]) as tfTypes.Tensor2D;
      const logitColumn = tf.slice(rows, [0, 0], [-1, 1]);
      logits = logitColumn.dataSync() as Float32Array;
      selection = miner.select(
        { logits, labels, batchSize: B, rowsPerSample },
        true,
        rng,
      );
      const result = loss.compute({
        tf,
        output: rows,
        targets: targetTensor,
        selection,
      });
      for (const [name, term] of Object.entries(result.terms)) {
        terms[name] = term.dataSync()[0];
      }
      return result.total;
    }, trainable as tfTypes.Variable[]);
    const lossValue = value.dataSync()[0];
    value.dispose();
    // Global gradient norm, reported every step; clipped when asked.
    const gradNorm = Math.sqrt(tf.tidy(() =>
      tf.addN(
        Object.values(grads).map((g) => tf.sum(tf.square(g))),
      ).dataSync()[0]
    ));
    const clip = settings.gradClip ?? 0;
    const scale = clip > 0 && gradNorm > clip ? clip / gradNorm : 1;
    tf.tidy(() => {
      trainable.forEach((variable, i) => {
        const grad = grads[variable.name];
        if (!grad) return;
        applyUpdate(tf, variable, grad, slots[i], settings, lr, t, scale);
      });
    });
    tf.dispose(Object.values(grads));
    const metrics: Record<string, number> = {
      loss: lossValue,
      ...terms,
      gradNorm,
    };
    if (selection) {
      const positives = selection.positives;
      const negatives = selection.negatives;
      let tp = 0, tn = 0;
      for (const r of positives) if (logits[r] >= 0) tp++;
      for (const r of negatives) if (logits[r] < 0) tn++;
      metrics.positives = positives.length;
      metrics.negatives = negatives.length;
      if (positives.length > 0) metrics.tpr = tp / positives.length;
      if (negatives.length > 0) metrics.tnr = tn / negatives.length;
    }
    return metrics;
  } finally {
    imageTensor.dispose();
    coordTensor.dispose();
    targetTensor.dispose();
  }
}

function captureState(
  model: StageModel,
  slots: readonly OptimizerSlots[],
  step: number,
  stage: number,
  complete: boolean,
  elapsedMs: number,
): Checkpoint {
  const tensors: NamedWeights = new Map();
  for (const [name, t] of model.backbone.getWeights()) {
    tensors.set(`backbone/${name}`, t);
  }
  for (const [name, t] of model.headNetwork.getWeights()) {
    tensors.set(`head/${name}`, t);
  }
  const save = (v: tfTypes.Variable | undefined, name: string) => {
    if (v) {
      tensors.set(name, { shape: v.shape, data: v.dataSync() as Float32Array });
    }
  };
  slots.forEach(({ first, second }, i) => {
    save(first, `velocity/${i}`);
    save(second, `second/${i}`);
  });
  return {
    meta: { step, stage, complete, elapsedMs: Math.round(elapsedMs) },
    tensors,
  };
}

/** Loads weights and optimizer state; returns the step to continue from. */
function restoreState(
  checkpoint: Checkpoint,
  model: StageModel,
  slots: readonly OptimizerSlots[],
): number {
  loadWeights(checkpoint, model);
  const restore = (v: tfTypes.Variable | undefined, name: string) => {
    const saved = checkpoint.tensors.get(name);
    if (!v || !saved) return;
    const value = model.engine.tf.tensor(saved.data, v.shape);
    v.assign(value);
    value.dispose();
  };
  slots.forEach(({ first, second }, i) => {
    restore(first, `velocity/${i}`);
    restore(second, `second/${i}`);
  });
  return Number(checkpoint.meta.step ?? 0);
}

/** Loads the backbone and head weights of a checkpoint into the networks. */
export function loadWeights(
  checkpoint: Checkpoint,
  model: Pick<StageModel, "backbone" | "headNetwork">,
): void {
  const backbone: NamedWeights = new Map();
  const head: NamedWeights = new Map();
  for (const [name, t] of checkpoint.tensors) {
    if (name.startsWith("backbone/")) backbone.set(name.slice(9), t);
    else if (name.startsWith("head/")) head.set(name.slice(5), t);
  }
  model.backbone.setWeights(backbone);
  model.headNetwork.setWeights(head);
}
