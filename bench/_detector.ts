// deno-lint-ignore-file no-console -- alternateSteps prints the bench report
/**
 * Shared by the `engine`, `engine_memory`, `train_step` and `train_depth`
 * bench sections: the reference detector (resunet + rpn3d head, topk miner,
 * balanced loss) built on one engine, one SGD training step on a synthetic
 * crop, and the alternating timing of two such trainers.
 *
 * @module
 */

import type * as tfTypes from "@tensorflow/tfjs-core";
import type {
  AnchorHead,
  Backbone,
  BackboneNetwork,
  HeadNetwork,
  Loss,
  Miner,
} from "../core/mod.ts";
import { createEngine } from "../core/engine/mod.ts";
import type { Engine, EngineName } from "../core/engine/engine.ts";
import { createRng } from "../core/random.ts";
import { backboneInputs } from "../core/testing/backbone_contract.ts";
import { testPluginContext } from "../core/testing/plugin_context.ts";
import { balancedLoss } from "../plugins/balanced/mod.ts";
import { resunet } from "../plugins/resunet/mod.ts";
import { rpn3dAnchorHead } from "../plugins/rpn3d/mod.ts";
import { topKMiner } from "../plugins/topk/mod.ts";
import {
  planMultiplyAdds,
  planResUnet,
} from "../plugins/resunet/architecture.ts";
import {
  architectureFromOptions,
  resunetOptions,
} from "../plugins/resunet/options.ts";

/** Peak resident set size of this process so far (Linux VmHWM), in GiB. */
export function peakRssGib(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
    return kb / 1024 / 1024;
  } catch {
    return Deno.memoryUsage().rss / 2 ** 30;
  }
}

/** The reference design's components, not yet built. */
export interface DetectorParts {
  /** resunet with the preset's options. */
  readonly backbone: Backbone;
  /** rpn3d with its defaults (anchors 10/30/60, hidden 64). */
  readonly head: AnchorHead;
  /** topk, k = 2 per sample. */
  readonly miner: Miner;
  /** balanced (reference §5.2). */
  readonly loss: Loss;
  /** Multiply-adds of one forward (backbone + head) for a cubic crop of edge `size`. */
  multiplyAdds(size: number): number;
}

/**
 * Creates the components for a resunet preset, with optional overrides of
 * its options (e.g. `{ stage_blocks: [1, 1, 2, 2] }`).
 */
export function detectorParts(
  preset: "resunet150" | "small",
  overrides: Record<string, unknown> = {},
): DetectorParts {
  const context = testPluginContext(0);
  const options = resunetOptions.parse({ ...overrides, preset });
  const backbone = resunet.create(options, context);
  const head = rpn3dAnchorHead.create(
    rpn3dAnchorHead.options.parse({}),
    context,
  );
  const plan = planResUnet(architectureFromOptions(options));
  const hidden = 64, channels = backbone.output.channels;
  const headOut = head.anchors.length * 5;
  return {
    backbone,
    head,
    miner: topKMiner.create(topKMiner.options.parse({ k: 2 }), context),
    loss: balancedLoss.create(balancedLoss.options.parse({}), context),
    multiplyAdds: (size) =>
      planMultiplyAdds(plan, [size, size, size]) +
      (channels * hidden + hidden * headOut) * (size / 4) ** 3,
  };
}

/** A detector built on one engine, with an SGD-momentum optimizer. */
export interface DetectorTrainer {
  /** The engine it runs on. */
  readonly engine: Engine;
  /** Backbone network. */
  readonly body: BackboneNetwork;
  /** Head network. */
  readonly headNet: HeadNetwork;
  /** One forward + backward + update on a `[batch, size³]` crop; returns seconds and the loss. */
  step(batch: number, size: number): { seconds: number; loss: number };
  /** Releases networks, optimizer and engine. */
  dispose(): void;
}

/**
 * Builds the detector on `engine` (an engine name, or an engine the trainer
 * then owns) and returns a trainer. The crop holds one 10 mm nodule at its
 * centre (a target crop); targets come from the head, negatives from the
 * miner, the loss from `balanced`. SGD with momentum 0.9, lr 0.01 (weight
 * decay left out).
 */
export async function createDetectorTrainer(
  parts: DetectorParts,
  engineOrName: EngineName | Engine,
): Promise<DetectorTrainer> {
  const engine = typeof engineOrName === "string"
    ? await createEngine(engineOrName)
    : engineOrName;
  const tf = engine.tf;
  const body = parts.backbone.build(engine, createRng(1));
  const headNet = parts.head.build(engine, parts.backbone.output, createRng(2));
  const optimizer = tf.train.momentum(0.01, 0.9);
  const variables = [
    ...body.trainable,
    ...headNet.trainable,
  ] as tfTypes.Variable[];
  const rng = createRng(3);
  const stride = parts.backbone.output.stride;
  return {
    engine,
    body,
    headNet,
    step(batch, size) {
      const c = size / 2;
      const labels = Array.from({ length: batch }, () =>
        parts.head.targets(
          {
            cropShape: [size, size, size],
            target: { voxel: [c, c, c], diameter: 10 },
            nodules: [{ voxel: [c, c, c], diameter: 10 }],
          },
          true,
          rng,
        ));
      const rows = labels[0].length / 5;
      const targetData = new Float32Array(batch * rows * 5);
      labels.forEach((l, i) => targetData.set(l, i * rows * 5));
      const classes = new Float32Array(batch * rows);
      for (let i = 0; i < classes.length; i++) classes[i] = targetData[i * 5];
      const { image, coord } = backboneInputs(
        engine,
        stride,
        batch,
        [size, size, size],
        rng.int(1e9),
      );
      const targets = tf.tensor2d(targetData, [batch * rows, 5]);
      const t0 = performance.now();
      const value = optimizer.minimize(
        () => {
          const features = body.apply(image, coord, true, {
            imageGradient: false,
          });
          const output = tf.reshape(
            headNet.apply(features, true),
            [-1, 5],
          ) as tfTypes.Tensor2D;
          const logits = tf.tidy(() =>
            tf.reshape(tf.slice(output, [0, 0], [-1, 1]), [-1])
          );
          const selection = parts.miner.select(
            {
              logits: logits.dataSync() as Float32Array,
              labels: classes,
              batchSize: batch,
              rowsPerSample: rows,
            },
            true,
            rng,
          );
          logits.dispose();
          // minimize() runs this in a tidy scope: the terms are released there.
          return parts.loss.compute({ tf, output, targets, selection }).total;
        },
        true,
        variables,
      );
      const loss = value!.dataSync()[0];
      const seconds = (performance.now() - t0) / 1000;
      tf.dispose([value!, image, coord, targets]);
      return { seconds, loss };
    },
    dispose() {
      optimizer.dispose();
      body.dispose();
      headNet.dispose();
      engine.dispose();
    },
  };
}

/**
 * Times 48³ batch-2 training steps of two trainers, alternating: two
 * warm-up steps each (ORT builds its sessions on the first), then `rounds`
 * rounds (default 3) of `steps` steps (default 6) per trainer. Prints each
 * mean and the first's time over the second's, disposes the trainers and
 * returns the means and that ratio.
 */
export function alternateSteps(
  trainers: readonly { label: string; trainer: DetectorTrainer }[],
  rounds = 3,
  steps = 6,
): { mean: number[]; ratio: number } {
  for (const { trainer } of trainers) {
    for (let i = 0; i < 2; i++) trainer.step(2, 48);
  }
  const seconds = trainers.map(() => 0);
  for (let round = 0; round < rounds; round++) {
    trainers.forEach(({ trainer }, i) => {
      for (let s = 0; s < steps; s++) seconds[i] += trainer.step(2, 48).seconds;
    });
  }
  const mean = seconds.map((s) => s / (rounds * steps));
  const width = Math.max(...trainers.map((t) => t.label.length)) + 1;
  trainers.forEach(({ label }, i) => {
    console.log(`${label.padEnd(width)} ${mean[i].toFixed(3)} s per step`);
  });
  const ratio = mean[0] / mean[1];
  console.log(
    `speed-up: ${
      ratio.toFixed(2)
    }× (${rounds} rounds of ${steps} steps each, alternating)`,
  );
  for (const { trainer } of trainers) trainer.dispose();
  return { mean, ratio };
}
