/**
 * Synthetic chest CT: deterministic phantoms in Hounsfield units with their
 * ground truth (per-lung labels, nodules in world mm with their type,
 * irrelevant findings), and a writer for datasets in the LUNA16 layout.
 * They are Pleura's built-in default data for the demo, tests and training.
 *
 * @example
 * ```ts
 * import { generateSyntheticScan } from "./mod.ts";
 * const scan = generateSyntheticScan(1, { size: 64, slices: 32 });
 * scan.lungMask.data.some((label) => label === 3); // true: a right lung
 * ```
 *
 * @module
 */

export {
  generateSyntheticScan,
  LUNG_LABEL_LEFT,
  LUNG_LABEL_RIGHT,
  type SyntheticFinding,
  type SyntheticLandmarks,
  type SyntheticNodule,
  type SyntheticNoduleType,
  type SyntheticScan,
  type SyntheticScanFlags,
  type SyntheticScanOptions,
  validateSyntheticScanOptions,
} from "./scan.ts";
export {
  SYNTH_GENERATOR_VERSION,
  SYNTH_MANIFEST_FILE,
  type SyntheticManifest,
  type SyntheticManifestScan,
  syntheticScanSeed,
  syntheticSeriesuid,
  writeSyntheticDataset,
  type WriteSyntheticDatasetOptions,
} from "./dataset.ts";
export {
  LUNA16_DIAMETER_QUANTILES_MM,
  quantileSorted,
  sampleNoduleDiameterMm,
} from "./diameters.ts";
