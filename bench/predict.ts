// deno-lint-ignore-file no-console -- the bench prints its report
/**
 * `deno task bench predict`: full-scan prediction of a synthetic
 * 512×512×300 chest CT (core/synth), written as a LUNA16-style `.mhd` +
 * `.raw` and timed from reading to detections: read, segment, preprocess,
 * network, decode + NMS, with the CPU preset (`configs/base/cpu.yaml`): its
 * segmenter (`lung_reference`), its network (`resunet` `small` + `rpn3d`,
 * random weights, exported to ONNX and run by ONNX Runtime on every core)
 * and its `eval` settings. Target: ≤ 60 s in total.
 *
 * `PLEURA_BENCH_PREDICT_SIDE` and `PLEURA_BENCH_PREDICT_MARGIN` override
 * `eval.side` and `eval.margin` to compare tilings;
 * `PLEURA_BENCH_PREDICT_CONFIG` names another experiment (e.g.
 * `configs/base/cpu_blob.yaml`, whose blob channel is then computed after
 * preprocessing and counted in its row).
 *
 * @module
 */

import { join, resolve } from "node:path";
import { createEngine } from "../core/engine/mod.ts";
import { loadExperiment } from "../core/experiment.ts";
import { readVolume, writeVolume } from "../core/io/mod.ts";
import { createLogger } from "../core/logger.ts";
import { exportDetector } from "../core/onnx/export.ts";
import { createOnnxModel } from "../core/onnx/inference.ts";
import { predictScanDetailed } from "../core/predict/predict.ts";
import { createRng } from "../core/random.ts";
import { createRegistry } from "../core/registry.ts";
import { generateSyntheticScan } from "../core/synth/mod.ts";
import { testPluginContext } from "../core/testing/plugin_context.ts";
import { REPO_ROOT } from "../core/testing/shared_data.ts";
import { plugins } from "../plugins/mod.ts";
import {
  planMultiplyAdds,
  planResUnet,
} from "../plugins/resunet/architecture.ts";
import {
  architectureFromOptions,
  resunetOptions,
} from "../plugins/resunet/options.ts";
import type { BenchSection } from "./main.ts";

const TARGET_S = 60;

/** The predict section. */
export const run: BenchSection = async () => {
  const registry = createRegistry(plugins);
  const sets = [
    ["eval.side", Deno.env.get("PLEURA_BENCH_PREDICT_SIDE")],
    ["eval.margin", Deno.env.get("PLEURA_BENCH_PREDICT_MARGIN")],
  ].filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  const config = Deno.env.get("PLEURA_BENCH_PREDICT_CONFIG") ??
    "configs/base/cpu.yaml";
  const experiment = await loadExperiment(
    resolve(REPO_ROOT, config),
    registry,
    { set: sets },
  );
  const settings = experiment.eval;
  const slots = experiment.model;
  const dir = await Deno.makeTempDir({ prefix: "pleura-bench-predict-" });
  try {
    let t = performance.now();
    const scan = generateSyntheticScan(3, { size: 512, slices: 300 });
    const path = join(dir, "scan.mhd");
    await writeVolume(path, scan.volume);
    console.log(
      `synthetic scan ${scan.volume.shape.join("×")} (z×y×x) at ${
        scan.volume.spacingMm.map((s) => s.toFixed(3)).join("×")
      } mm, ${scan.nodules.length} nodules: generated and written in ${
        seconds(performance.now() - t)
      } s (not timed)`,
    );

    // The CPU preset's detector with random weights, exported as training does.
    const context = testPluginContext();
    const engine = await createEngine("tfjs-cpu");
    const backbone = registry.create(
      "backbone",
      slots.backbone.plugin,
      slots.backbone.options,
      context,
    );
    const head = registry.create(
      "anchor_head",
      slots.anchor_head.plugin,
      slots.anchor_head.options,
      context,
    );
    const body = backbone.build(engine, createRng(1));
    const headNet = head.build(engine, backbone.output, createRng(2));
    const { bytes } = exportDetector(backbone, body, head, headNet);
    body.dispose();
    headNet.dispose();
    engine.dispose();
    const threads = navigator.hardwareConcurrency ?? 1;
    const model = await createOnnxModel(bytes, { threads });
    const segmenter = registry.create(
      "segmenter",
      slots.segmenter.plugin,
      slots.segmenter.options,
      context,
    );
    const messages: string[] = [];
    const logger = createLogger((r) => messages.push(r.message), "info");

    t = performance.now();
    const volume = await readVolume(path);
    const readMs = performance.now() - t;
    const result = await predictScanDetailed(volume, {
      segmenter,
      head,
      model,
      eval: settings,
      maxStride: backbone.maxStride,
      blobChannel: experiment.data.blob_channel,
      logger,
    });
    const totalMs = performance.now() - t;
    await model.dispose();

    const tm = result.timings;
    const shape = result.preprocessedShape;
    // MACs per input voxel of the backbone (the head adds < 1 %).
    const macPerVoxel = slots.backbone.plugin === "resunet"
      ? planMultiplyAdds(
        planResUnet(
          architectureFromOptions(
            resunetOptions.parse(slots.backbone.options),
          ),
        ),
        [16, 16, 16],
      ) / 16 ** 3
      : NaN;
    console.log(
      `${experiment.name}: ${slots.segmenter.plugin}, ${slots.backbone.plugin} ${
        JSON.stringify(slots.backbone.options.preset ?? "")
      }, ${slots.anchor_head.plugin}; eval.side ${settings.side}, margin ${settings.margin}, ORT threads ${threads}`,
    );
    console.log(
      `preprocessed ${
        shape.join("×")
      } voxels; patches run ${result.patchesRun}, skipped ${result.patchesSkipped}; ${result.detections.length} detections`,
    );
    const gmac = result.inputVoxels * macPerVoxel / 1e9;
    console.log(
      `network input ${(result.inputVoxels / 1e6).toFixed(1)} M voxels × ${
        (macPerVoxel / 1e3).toFixed(1)
      } kMAC = ${gmac.toFixed(0)} GMAC (${
        (gmac / (tm.networkMs / 1000)).toFixed(1)
      } GMAC/s)`,
    );
    const rows: [string, number][] = [
      ["read", readMs],
      ["segment", tm.segmentMs],
      [
        experiment.data.blob_channel ? "preprocess+blob" : "preprocess",
        tm.preprocessMs,
      ],
      ["network", tm.networkMs],
      ["decode+NMS", tm.decodeMs],
    ];
    for (const [name, ms] of rows) {
      console.log(`  ${name.padEnd(15)} ${seconds(ms).padStart(6)} s`);
    }
    const total = totalMs / 1000;
    console.log(
      `  ${"total".padEnd(15)} ${
        total.toFixed(1).padStart(6)
      } s  (target ≤ ${TARGET_S} s: ${total <= TARGET_S ? "met" : "MISSED"})`,
    );
    return { predict_512x300_s: Number(total.toFixed(2)) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
};

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
