/**
 * `pleura segment`: segments the lungs of a scan (or of every scan of a
 * folder or LUNA16 dataset) with a segmenter plugin and writes
 * `<out>/<seriesuid>_lungmask.mhd` (uint8: 1 = lungs[0], 2 = lungs[1], on
 * the scan's own grid and geometry) and, with `--png`, overlay PNGs of a few
 * axial slices.
 *
 * @module
 */

import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { openLuna16Dataset } from "../dataset/luna16.ts";
import { readVolume, seriesUidFromPath, VOLUME_SUFFIXES } from "../io/mod.ts";
import { writeMetaImage } from "../io/metaimage.ts";
import { encodePng } from "../io/png.ts";
import type { PluginContext } from "../plugin.ts";
import { createRng } from "../random.ts";
import type { LungMasks } from "../segmenter.ts";
import { createVolume, type Volume } from "../volume.ts";
import { type CliContext, UsageError } from "./context.ts";

/** Flags of `pleura segment`, as commander hands them over. */
interface SegmentFlags {
  input?: string;
  out?: string;
  segmenter: string;
  set: string[];
  png?: boolean;
}

/** Builds the `segment` command. */
export function segmentCommand(context: CliContext): Command {
  return new Command("segment")
    .description(
      "Segment the lungs of a scan, a folder of scans or a LUNA16 dataset; writes <seriesuid>_lungmask.mhd (1/2 per lung)",
    )
    .option(
      "--input <path>",
      "a scan (.mhd, .mha, .nii, .nii.gz, DICOM folder), a folder of scans or a LUNA16 dataset",
    )
    .option("--out <dir>", "output folder (created if missing)")
    .option("--segmenter <id>", "segmenter plugin", "lung_reference")
    .option(
      "--set <option=value>",
      "a segmenter option, value as YAML (repeatable), e.g. threshold_hu=-150",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option("--png", "also write overlay PNGs of a few axial slices")
    .action(async (flags: SegmentFlags) => {
      await runSegment(context, flags);
    });
}

/**
 * Parses `--set option=value` pairs (values as YAML) into an options object.
 *
 * @param sets the raw pairs
 * @returns the options
 * @throws {UsageError} for a pair without `=` or an empty name
 * @example
 * ```ts
 * import { parseOptionSets } from "./segment.ts";
 * parseOptionSets(["threshold_hu=-150", "volume_l=[0.5, 8]"]); // { threshold_hu: -150, volume_l: [0.5, 8] }
 * ```
 */
export function parseOptionSets(
  sets: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const set of sets) {
    const eq = set.indexOf("=");
    if (eq <= 0) {
      throw new UsageError(
        `segment: --set "${set}" is not option=value (e.g. threshold_hu=-150)`,
      );
    }
    const name = set.slice(0, eq).trim();
    const raw = set.slice(eq + 1);
    let value: unknown;
    try {
      value = parseYaml(raw);
    } catch {
      value = raw;
    }
    out[name] = value;
  }
  return out;
}

/** One scan to segment. */
interface Job {
  seriesuid: string;
  path: string;
}

async function listInputs(input: string): Promise<Job[]> {
  if (!existsSync(input)) {
    throw new UsageError(`segment: --input "${input}" does not exist`);
  }
  if (!statSync(input).isDirectory()) {
    return [{ seriesuid: seriesUidFromPath(input), path: input }];
  }
  const names = [...Deno.readDirSync(input)];
  if (names.some((e) => e.isDirectory && /^subset\d$/.test(e.name))) {
    const dataset = await openLuna16Dataset(input);
    return dataset.scans.map((s) => ({
      seriesuid: s.seriesuid,
      path: s.imagePath,
    }));
  }
  const files = names
    .filter((e) =>
      e.isFile && VOLUME_SUFFIXES.some((s) => e.name.toLowerCase().endsWith(s))
    )
    .map((e) => e.name)
    .sort();
  if (files.length > 0) {
    return files.map((name) => ({
      seriesuid: seriesUidFromPath(name),
      path: join(input, name),
    }));
  }
  // A folder without volume files: a DICOM series.
  return [{ seriesuid: seriesUidFromPath(input), path: input }];
}

async function runSegment(
  context: CliContext,
  flags: SegmentFlags,
): Promise<void> {
  if (!flags.input) throw new UsageError("segment: missing option --input");
  if (!flags.out) throw new UsageError("segment: missing option --out");
  const definition = context.registry.get("segmenter", flags.segmenter);
  if (!definition) {
    throw new UsageError(
      `segment: unknown segmenter "${flags.segmenter}", expected one of ${
        context.registry.ids("segmenter").map((i) => `"${i}"`).join(", ")
      }`,
    );
  }
  const parsed = definition.options.safeParse(parseOptionSets(flags.set));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) =>
      `${i.path.join(".") || "(options)"}: ${i.message}`
    );
    throw new UsageError(
      `segment: bad options for "${flags.segmenter}": ${issues.join("; ")}`,
    );
  }
  const pluginContext: PluginContext = {
    logger: context.logger,
    progress: context.progress,
    rng: createRng(0),
    paths: { cacheDir: ".cache" },
  };
  const segmenter = context.registry.create(
    "segmenter",
    flags.segmenter,
    parsed.data as Record<string, unknown>,
    pluginContext,
  );
  const jobs = await listInputs(flags.input);
  await Deno.mkdir(flags.out, { recursive: true });
  const many = jobs.length > 1;
  if (many) context.progress.start("segment", jobs.length, "scans");
  let failed = 0;
  for (const [k, job] of jobs.entries()) {
    try {
      const started = performance.now();
      const volume = await readVolume(job.path);
      const masks = await segmenter.segment(volume);
      const out = join(flags.out, `${job.seriesuid}_lungmask.mhd`);
      await writeMetaImage(out, labelVolume(volume, masks), { compress: true });
      const pngs = flags.png
        ? await writeOverlays(flags.out, job.seriesuid, volume, masks)
        : [];
      const r = masks.report;
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      context.print(
        r.lungCount === 0
          ? `${job.seriesuid}: no lung (${r.emptyReason}) → ${out} [${seconds} s]`
          : `${job.seriesuid}: ${r.lungCount} lung${
            r.lungCount === 1 ? "" : "s"
          }, ${r.lungVolumesL.map((v) => v.toFixed(2)).join(" + ")} L; ${
            r.decisions.map((d) => d.step).join(", ")
          } → ${out}${
            pngs.length ? ` (+${pngs.length} PNG)` : ""
          } [${seconds} s]`,
      );
    } catch (error) {
      if (!many) throw error;
      failed++;
      context.logger.error(
        `Cannot segment "${job.path}": ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    }
    if (many) context.progress.step("segment", k + 1, { failed });
  }
  if (many) context.progress.end("segment");
  if (failed > 0) {
    throw new Error(
      `segment: ${failed} of ${jobs.length} scans failed (see the log above)`,
    );
  }
}

/**
 * The label volume written by `pleura segment`: 1 where lungs[0], 2 where
 * lungs[1], 0 elsewhere, with the scan's geometry.
 *
 * @param volume the scan
 * @param masks its segmentation
 * @returns a uint8 volume on the scan's grid
 */
export function labelVolume(
  volume: Volume,
  masks: LungMasks,
): Volume<Uint8Array> {
  const a = masks.lungs[0].data, b = masks.lungs[1].data;
  const out = new Uint8Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = a[i] ? 1 : b[i] ? 2 : 0;
  return createVolume(out, volume.shape, volume);
}

/**
 * An RGB overlay of axial slice `z`: the CT in a lung window
 * (−1200…600 HU) in gray, lungs[0] tinted red and lungs[1] blue.
 *
 * @param volume the scan
 * @param masks its segmentation
 * @param z the slice
 * @returns PNG bytes (nx × ny pixels)
 */
export function overlayPng(
  volume: Volume,
  masks: LungMasks,
  z: number,
): Uint8Array {
  const [, ny, nx] = volume.shape;
  const plane = ny * nx, base = z * plane;
  const rgb = new Uint8Array(plane * 3);
  const a = masks.lungs[0].data, b = masks.lungs[1].data;
  for (let i = 0; i < plane; i++) {
    const hu = volume.data[base + i];
    const t = (hu - -1200) / 1800;
    const g = Math.floor(255 * (t < 0 ? 0 : t > 1 ? 1 : t));
    let r = g, gr = g, bl = g;
    if (a[base + i]) {
      r = Math.round(0.55 * g + 0.45 * 255);
      gr = Math.round(0.55 * g);
      bl = Math.round(0.55 * g);
    } else if (b[base + i]) {
      r = Math.round(0.55 * g);
      gr = Math.round(0.55 * g + 0.45 * 120);
      bl = Math.round(0.55 * g + 0.45 * 255);
    }
    rgb[3 * i] = r;
    rgb[3 * i + 1] = gr;
    rgb[3 * i + 2] = bl;
  }
  return encodePng(rgb, nx, ny, 3);
}

// Five slices spread over the lungs' z range (or the whole scan when empty).
async function writeOverlays(
  dir: string,
  seriesuid: string,
  volume: Volume,
  masks: LungMasks,
): Promise<string[]> {
  const [nz, ny, nx] = volume.shape;
  let z0 = -1, z1 = -1;
  for (let z = 0; z < nz; z++) {
    const s = masks.union.data.subarray(z * ny * nx, (z + 1) * ny * nx);
    if (s.includes(1)) {
      if (z0 < 0) z0 = z;
      z1 = z;
    }
  }
  if (z0 < 0) [z0, z1] = [0, nz - 1];
  const picks = [
    ...new Set(
      [0.1, 0.3, 0.5, 0.7, 0.9].map((f) => Math.round(z0 + f * (z1 - z0))),
    ),
  ];
  const written: string[] = [];
  for (const z of picks) {
    const path = join(dir, `${seriesuid}_z${String(z).padStart(4, "0")}.png`);
    await Deno.writeFile(path, overlayPng(volume, masks, z));
    written.push(path);
  }
  return written;
}
