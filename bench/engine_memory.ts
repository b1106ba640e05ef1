// deno-lint-ignore-file no-console -- the bench prints its report
/**
 * `deno task bench engine_memory`: peak resident memory of one 128³
 * training step, batch 1, of the reference detector (resunet150 + rpn3d,
 * topk, balanced; SGD momentum) on the `cpu` engine. The step runs in a
 * child process so that the peak (Linux VmHWM) is that of the step alone,
 * not of earlier sections. Target: < 8 GiB.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import {
  createDetectorTrainer,
  detectorParts,
  peakRssGib,
} from "./_detector.ts";
import type { BenchSection } from "./main.ts";

const CHILD_FLAG = "--engine-memory-child";

async function child(): Promise<void> {
  const parts = detectorParts("resunet150");
  const trainer = await createDetectorTrainer(parts, "cpu");
  const before = peakRssGib();
  const { seconds, loss } = trainer.step(1, 128);
  const peak = peakRssGib();
  const tensors = trainer.engine.tf.memory().numTensors;
  trainer.dispose();
  console.log(JSON.stringify({ seconds, loss, before, peak, tensors }));
}

/** Runs the section; see the module doc. */
export const run: BenchSection = async () => {
  const self = fileURLToPath(import.meta.url);
  const config = fileURLToPath(new URL("../deno.json", import.meta.url));
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", config, self, CHILD_FLAG],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
  if (!output.success) {
    throw new Error(
      `Cannot measure the 128³ training step: the child process exited with code ${output.code}`,
    );
  }
  const result = JSON.parse(lines[lines.length - 1]) as {
    seconds: number;
    loss: number;
    before: number;
    peak: number;
    tensors: number;
  };
  console.log(
    `cpu train step 128³ batch 1: ${result.seconds.toFixed(2)} s, loss ${
      result.loss.toFixed(3)
    }; peak RSS ${result.peak.toFixed(2)} GiB (${
      result.before.toFixed(2)
    } GiB before the step; target < 8 GiB)`,
  );
  return {
    train128_s: Number(result.seconds.toFixed(2)),
    train128_peak_rss_gib: Number(result.peak.toFixed(2)),
  };
};

if (import.meta.main && Deno.args.includes(CHILD_FLAG)) await child();
