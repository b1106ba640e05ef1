// deno-lint-ignore-file no-console -- the bench prints its report
/**
 * `deno task bench engine`: the reference detector (resunet150 + rpn3d) on
 * these cores.
 *
 * - ORT inference: one 128³ crop through the exported ONNX model (all cores),
 *   against PyTorch's 5.2 s (platform.md).
 * - One training step (forward, backward, SGD-momentum update; rpn3d head,
 *   topk miner, balanced loss) on a 64³ crop, batch 1, on the `cpu` engine,
 *   against PyTorch's 2.9 s and the 5.8 s target.
 * - The same step on plain `tfjs-cpu` at 32³, scaled ×8 (the FLOP ratio) to
 *   estimate 64³.
 *
 * GFLOP/s count 2 FLOPs per multiply-add of the conv layers (backbone 168.4 G
 * + head 0.3 G multiply-adds at 128³); a training step counts 3× the forward
 * (forward, input gradient, weight gradient).
 *
 * @module
 */

import { exportDetector } from "../core/onnx/export.ts";
import { createOnnxModel } from "../core/onnx/inference.ts";
import { createRng } from "../core/random.ts";
import {
  createDetectorTrainer,
  detectorParts,
  peakRssGib,
} from "./_detector.ts";
import type { BenchSection } from "./main.ts";

const fmt = (x: number, digits = 2) => x.toFixed(digits);

/** Runs the section; see the module doc. */
export const run: BenchSection = async () => {
  const parts = detectorParts("resunet150");
  const params = parts.backbone.counts().parameters +
    parts.head.countParameters(parts.backbone.output);
  const gflop = (size: number) => 2 * parts.multiplyAdds(size) / 1e9;
  // Other processes share these cores: the load average says how much.
  const load = () => Deno.loadavg().map((l) => l.toFixed(1)).join(" ");
  console.log(`load average at start: ${load()}`);
  console.log(
    `resunet150 + rpn3d: ${params} parameters, ${
      fmt(parts.multiplyAdds(128) / 1e9, 1)
    } G multiply-adds per 128³ forward`,
  );

  // ORT inference at 128³.
  const threads = navigator.hardwareConcurrency;
  let forward128 = Infinity;
  {
    const trainer = await createDetectorTrainer(parts, "cpu");
    const { bytes } = exportDetector(
      parts.backbone,
      trainer.body,
      parts.head,
      trainer.headNet,
    );
    trainer.dispose();
    const model = await createOnnxModel(bytes, { threads });
    const rng = createRng(0);
    const size = 128;
    const image = Float32Array.from(
      { length: size ** 3 },
      () => 0.5 * rng.normal(),
    );
    const g = size / 4;
    const coord = new Float32Array(g ** 3 * 3).map(() =>
      rng.uniform(-0.5, 0.5)
    );
    const feeds = {
      image: { data: image, dims: [1, size, size, size, 1] },
      coord: { data: coord, dims: [1, g, g, g, 3] },
    };
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await model.run(feeds);
      times.push((performance.now() - t0) / 1000);
    }
    await model.dispose();
    forward128 = Math.min(...times.slice(1));
    console.log(
      `ORT forward 128³ (${threads} threads, model ${
        fmt(bytes.length / 2 ** 20, 1)
      } MiB): first ${fmt(times[0])} s, then ${
        times.slice(1).map((t) => fmt(t)).join(", ")
      } s → ${fmt(forward128)} s, ${
        fmt(gflop(128) / forward128, 1)
      } GFLOP/s (PyTorch 5.2 s; target ≤ 5 s)`,
    );
    console.log(`  peak RSS so far ${fmt(peakRssGib())} GiB`);
  }

  // Training step at 64³ on the cpu engine.
  let train64 = Infinity;
  {
    const trainer = await createDetectorTrainer(parts, "cpu");
    console.log(`cpu engine: ${trainer.engine.description}`);
    const steps = [0, 1, 2].map(() => trainer.step(1, 64));
    trainer.dispose();
    train64 = Math.min(...steps.slice(1).map((s) => s.seconds));
    console.log(
      `cpu train step 64³ batch 1: first ${fmt(steps[0].seconds)} s, then ${
        steps.slice(1).map((s) => fmt(s.seconds)).join(", ")
      } s → ${fmt(train64)} s, ${
        fmt(3 * gflop(64) / train64, 1)
      } GFLOP/s (PyTorch 2.9 s; target ≤ 5.8 s); loss ${
        steps.map((s) => fmt(s.loss, 3)).join(" → ")
      }`,
    );
    console.log(`  peak RSS so far ${fmt(peakRssGib())} GiB`);
  }

  // The same step on plain tfjs-cpu at 32³, scaled by the FLOP ratio (8).
  let tfjs32 = Infinity;
  {
    const trainer = await createDetectorTrainer(parts, "tfjs-cpu");
    const steps = [0, 1].map(() => trainer.step(1, 32));
    trainer.dispose();
    tfjs32 = Math.min(...steps.map((s) => s.seconds));
    console.log(
      `tfjs-cpu train step 32³ batch 1: ${
        steps.map((s) => fmt(s.seconds)).join(", ")
      } s → ${fmt(tfjs32)} s, ${
        fmt(3 * gflop(32) / tfjs32, 2)
      } GFLOP/s; estimated 64³ (×8): ${fmt(8 * tfjs32, 1)} s`,
    );
  }
  const peak = peakRssGib();
  console.log(`peak RSS ${fmt(peak)} GiB; load average at end: ${load()}`);
  return {
    params,
    forward128_s: Number(fmt(forward128, 3)),
    forward128_gflops: Number(fmt(gflop(128) / forward128, 1)),
    train64_s: Number(fmt(train64, 3)),
    train64_gflops: Number(fmt(3 * gflop(64) / train64, 1)),
    tfjs_cpu_train32_s: Number(fmt(tfjs32, 3)),
    tfjs_cpu_train64_s: Number(fmt(8 * tfjs32, 2)),
    tfjs_cpu_train64_estimated: "yes: 32³ time × 8",
    tfjs_cpu_gflops: Number(fmt(3 * gflop(32) / tfjs32, 2)),
    engine_peak_rss_gib: Number(fmt(peak, 2)),
    engine_load_average: load(),
  };
};
