/**
 * CT scans for the viewer: finds a run's scan in its dataset (only inside
 * the data folders the server was given), reads it with core's reader, finds
 * a lung mask (the dataset's `seg-lungs-LUNA16/` file, else the run's own
 * segmenter plugin), and places the run's ground truth and detections in
 * voxel coordinates (converted by core/volume.ts). A few scans are kept in
 * memory, newest used last.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  createRng,
  nullLogger,
  nullProgress,
  type Registry,
  type RunRecord,
  type Volume,
  worldToVoxel,
} from "../../core/mod.ts";
import { UNSIZED_FINDING_DIAMETER_MM } from "../../core/froc.ts";
import { MARK_STATUS } from "../../core/froc.ts";
import { readMetaImageHeader, readVolume } from "../../core/io/mod.ts";
import { LUNA16_MASK_FOLDER } from "../../core/dataset/luna16.ts";
import type { FrocEvaluation } from "./froc_data.ts";
import { containedPath, isSafeSegment } from "./paths.ts";

/** A circle or box to draw: centre and radius per axis, in voxels. */
export interface ScanMarker {
  /** Centre (z, y, x) in voxels. */
  readonly voxel: readonly [number, number, number];
  /** Half the diameter along (z, y, x), in voxels. */
  readonly radiusVoxels: readonly [number, number, number];
  /** Diameter in mm (NaN when unknown; drawn as 10 mm). */
  readonly diameterMm: number;
}

/** A ground-truth finding in the viewer. */
export interface ScanFinding extends ScanMarker {
  /** Included nodule or excluded (irrelevant) finding. */
  readonly kind: "nodule" | "excluded";
  /** For nodules: whether a mark hit it. */
  readonly detected?: boolean;
}

/** A detection in the viewer. */
export interface ScanDetection extends ScanMarker {
  /** The mark's score. */
  readonly score: number;
  /** What the FROC made of it. */
  readonly status: "tp" | "fp" | "excluded" | "capped";
}

/** What the viewer needs to know about a scan before fetching slices. */
export interface ScanMeta {
  /** The scan ID. */
  readonly seriesuid: string;
  /** (z, y, x) voxels. */
  readonly shape: readonly [number, number, number];
  /** Voxel size (z, y, x) in mm. */
  readonly spacingMm: readonly [number, number, number];
  /** Whether a lung mask is available, where it comes from, or why not. */
  readonly mask: { readonly available: boolean; readonly source: string };
  /** Ground truth of this scan. */
  readonly findings: readonly ScanFinding[];
  /** Marks of this scan, highest score first (at most 100). */
  readonly detections: readonly ScanDetection[];
}

/** A scan read for the viewer. */
interface LoadedScan {
  readonly volume: Volume;
  readonly mask?: Uint8Array;
  readonly maskSource: string;
}

/** Why a scan cannot be shown (→ 404 with this message). */
export class ScanNotFound extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ScanNotFound";
  }
}

/** Reads scans for runs, within the allowed data folders. */
export class ScanService {
  readonly #roots: readonly string[];
  readonly #registry: Registry;
  readonly #cache = new Map<string, Promise<LoadedScan>>();
  readonly #limit: number;

  /**
   * @param dataRoots folders scans may be read from
   * @param registry plugins (the run's segmenter draws the mask when the dataset has none)
   * @param limit scans kept in memory
   */
  constructor(dataRoots: readonly string[], registry: Registry, limit = 2) {
    this.#roots = dataRoots.map((r) => resolve(r));
    this.#registry = registry;
    this.#limit = limit;
  }

  /**
   * The `.mhd` of `seriesuid` in the run's dataset, checked to lie (with its
   * data file) inside a data folder.
   *
   * @throws ScanNotFound when the ID is unsafe, the dataset is outside the
   *   data folders, or no such scan exists
   */
  async locate(run: RunRecord, seriesuid: string): Promise<string> {
    if (!isSafeSegment(seriesuid)) {
      throw new ScanNotFound(
        `Cannot find scan ${JSON.stringify(seriesuid)}: not a scan ID`,
      );
    }
    const dataset = datasetOf(run);
    const root = dataset === undefined
      ? undefined
      : containedPath(dataset, this.#roots);
    if (root === undefined) {
      throw new ScanNotFound(
        `Cannot find scan "${seriesuid}": the run's dataset ${
          JSON.stringify(dataset ?? null)
        } is not inside a data folder of this server`,
      );
    }
    for (let subset = 0; subset < 10; subset++) {
      const path = join(root, `subset${subset}`, `${seriesuid}.mhd`);
      if (!existsSync(path)) continue;
      const header = containedPath(path, this.#roots);
      if (header === undefined) continue;
      const parsed = await readMetaImageHeader(header);
      if (
        parsed.dataFile !== null &&
        containedPath(parsed.dataFile, this.#roots) === undefined
      ) {
        throw new ScanNotFound(
          `Cannot read scan "${seriesuid}": its data file lies outside the data folders`,
        );
      }
      return header;
    }
    throw new ScanNotFound(
      `Cannot find scan "${seriesuid}" in dataset "${dataset}": no subset*/${seriesuid}.mhd`,
    );
  }

  /** Reads (or reuses) the scan and its lung mask. */
  load(run: RunRecord, seriesuid: string): Promise<LoadedScan> {
    const key = `${run.id}/${seriesuid}`;
    let entry = this.#cache.get(key);
    if (entry) {
      this.#cache.delete(key);
    } else {
      entry = this.#read(run, seriesuid);
      entry.catch(() => this.#cache.delete(key));
    }
    this.#cache.set(key, entry);
    while (this.#cache.size > this.#limit) {
      this.#cache.delete(this.#cache.keys().next().value!);
    }
    return entry;
  }

  /**
   * The viewer's metadata: geometry, mask availability, ground truth and
   * detections in voxels.
   */
  async meta(
    run: RunRecord,
    seriesuid: string,
    evaluation: FrocEvaluation | undefined,
  ): Promise<ScanMeta> {
    const scan = await this.load(run, seriesuid);
    const { volume } = scan;
    const marker = (worldMm: readonly number[], diameterMm: number) => {
      const voxel = worldToVoxel(volume, [worldMm[0], worldMm[1], worldMm[2]]);
      const d = Number.isFinite(diameterMm) && diameterMm > 0
        ? diameterMm
        : UNSIZED_FINDING_DIAMETER_MM;
      return {
        voxel: [voxel[0], voxel[1], voxel[2]] as const,
        radiusVoxels: [
          d / 2 / volume.spacingMm[0],
          d / 2 / volume.spacingMm[1],
          d / 2 / volume.spacingMm[2],
        ] as const,
        diameterMm,
      };
    };
    const findings: ScanFinding[] = [];
    const detections: ScanDetection[] = [];
    if (evaluation) {
      const { input, result } = evaluation;
      for (const n of result.nodules) {
        if (n.nodule.seriesuid !== seriesuid) continue;
        findings.push({
          ...marker(n.nodule.worldMm, n.nodule.diameterMm),
          kind: "nodule",
          detected: n.detected,
        });
      }
      for (const f of input.excluded) {
        if (f.seriesuid !== seriesuid) continue;
        findings.push({ ...marker(f.worldMm, f.diameterMm), kind: "excluded" });
      }
      const statusName = {
        [MARK_STATUS.falsePositive]: "fp",
        [MARK_STATUS.truePositive]: "tp",
        [MARK_STATUS.excluded]: "excluded",
        [MARK_STATUS.capped]: "capped",
      } as Record<number, ScanDetection["status"]>;
      input.marks.forEach((m, i) => {
        if (m.seriesuid !== seriesuid) return;
        const status = statusName[result.markStatus[i]];
        if (!status) return;
        detections.push({
          ...marker(m.worldMm, m.diameterMm ?? NaN),
          score: m.score,
          status,
        });
      });
      detections.sort((a, b) => b.score - a.score);
      detections.splice(100);
    }
    return {
      seriesuid,
      shape: [volume.shape[0], volume.shape[1], volume.shape[2]],
      spacingMm: [
        volume.spacingMm[0],
        volume.spacingMm[1],
        volume.spacingMm[2],
      ],
      mask: { available: scan.mask !== undefined, source: scan.maskSource },
      findings,
      detections,
    };
  }

  /** A world position (LPS mm, z, y, x) in voxels of the scan. */
  async toVoxel(
    run: RunRecord,
    seriesuid: string,
    worldMm: readonly [number, number, number],
  ): Promise<[number, number, number]> {
    const { volume } = await this.load(run, seriesuid);
    const v = worldToVoxel(volume, worldMm);
    return [v[0], v[1], v[2]];
  }

  /**
   * One axial slice: Hounsfield units as little-endian int16 (`layer`
   * `image`), or the lung mask as bytes 0/1 (`mask`), row-major y then x.
   *
   * @throws RangeError when `z` is outside the scan or no mask exists
   */
  async slice(
    run: RunRecord,
    seriesuid: string,
    z: number,
    layer: "image" | "mask",
  ): Promise<Uint8Array> {
    const { volume, mask } = await this.load(run, seriesuid);
    const [nz, ny, nx] = volume.shape;
    if (!Number.isInteger(z) || z < 0 || z >= nz) {
      throw new RangeError(
        `Cannot read slice ${z} of scan "${seriesuid}": expected an integer in [0, ${
          nz - 1
        }]`,
      );
    }
    const plane = ny * nx;
    if (layer === "mask") {
      if (!mask) {
        throw new RangeError(
          `Cannot read the lung mask of scan "${seriesuid}": none is available`,
        );
      }
      return mask.slice(z * plane, (z + 1) * plane);
    }
    const out = new Int16Array(plane);
    const data = volume.data;
    const base = z * plane;
    for (let i = 0; i < plane; i++) {
      const v = Math.round(data[base + i]);
      out[i] = v < -32768 ? -32768 : v > 32767 ? 32767 : v;
    }
    // Int16Array is little-endian on every platform Deno runs on.
    return new Uint8Array(out.buffer);
  }

  async #read(run: RunRecord, seriesuid: string): Promise<LoadedScan> {
    const path = await this.locate(run, seriesuid);
    const volume = await readVolume(path);
    const maskPath = join(
      path, // <root>/subsetK/<uid>.mhd → <root>/seg-lungs-LUNA16/<uid>.mhd
      "..",
      "..",
      LUNA16_MASK_FOLDER,
      `${seriesuid}.mhd`,
    );
    const containedMask = existsSync(maskPath)
      ? containedPath(maskPath, this.#roots)
      : undefined;
    if (containedMask) {
      const maskVolume = await readVolume(containedMask);
      if (
        maskVolume.shape.every((n, i) => n === volume.shape[i])
      ) {
        const mask = new Uint8Array(maskVolume.data.length);
        for (let i = 0; i < mask.length; i++) {
          mask[i] = maskVolume.data[i] !== 0 ? 1 : 0;
        }
        return { volume, mask, maskSource: `dataset (${LUNA16_MASK_FOLDER})` };
      }
    }
    const slot = run.slots.segmenter;
    if (!slot) {
      return { volume, maskSource: "none: the run has no segmenter slot" };
    }
    const definition = this.#registry.get("segmenter", slot.plugin);
    if (!definition) {
      return {
        volume,
        maskSource:
          `none: segmenter plugin "${slot.plugin}" is not registered in this dashboard`,
      };
    }
    try {
      // Stored slots are resolved already; parsing again fills any default
      // a hand-written record left out.
      const options = definition.options.parse(slot.options) as Record<
        string,
        unknown
      >;
      const segmenter = this.#registry.create(
        "segmenter",
        slot.plugin,
        options,
        {
          logger: nullLogger,
          progress: nullProgress,
          rng: createRng(0),
          paths: { cacheDir: resolve(".cache") },
        },
      );
      const masks = await segmenter.segment(volume);
      return {
        volume,
        mask: masks.union.data,
        maskSource: `segmenter "${slot.plugin}"`,
      };
    } catch (error) {
      return {
        volume,
        maskSource: `none: segmenter "${slot.plugin}" failed: ${
          error instanceof Error ? error.message : String(error)
        }`,
      };
    }
  }
}

/**
 * The folder of the run's held-out scans (the ones its findings name) from
 * its resolved config: `data.test_dataset` when set, else `data.dataset`.
 */
export function datasetOf(run: RunRecord): string | undefined {
  try {
    const config = JSON.parse(run.configJson) as {
      data?: { dataset?: unknown; test_dataset?: unknown };
    };
    const data = config.data;
    if (typeof data?.test_dataset === "string") return data.test_dataset;
    return typeof data?.dataset === "string" ? data.dataset : undefined;
  } catch {
    return undefined;
  }
}
