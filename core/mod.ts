/**
 * Pleura's core: interfaces (Segmenter, Backbone, AnchorHead, Miner, Loss),
 * volumes and coordinates, the registry, experiments, engines, pipelines,
 * FROC and the run store. Plugins import only this module.
 *
 * @module
 */

export * from "./errors.ts";
export * from "./volume.ts";
export * from "./dataset/luna16.ts";
export * from "./froc.ts";
export * from "./froc_report.ts";
export * from "./io/mod.ts";
export * from "./logger.ts";
export * from "./random.ts";
export * from "./plugin.ts";
export * from "./registry.ts";
export * from "./segmenter.ts";
export * from "./morphology/mod.ts";
export * from "./lung_masks.ts";
export * from "./preprocess.ts";
export * from "./preprocess_cache.ts";
export * from "./backbone.ts";
export * from "./anchor_head.ts";
export * from "./miner.ts";
export * from "./loss.ts";
export * from "./engine/engine.ts";
export * from "./engine/mod.ts";
export * from "./onnx/graph.ts";
export * from "./onnx/builder.ts";
export * from "./run_store.ts";
export * from "./run_store_sqlite.ts";
export * from "./synth/mod.ts";
export * from "./experiment.ts";
export * from "./ablation.ts";
export * from "./options.ts";
