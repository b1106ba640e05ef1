// deno-lint-ignore-file no-console -- a bench worker reports on stdout
/**
 * Bench worker (private to `bench/segment.ts`): reads one scan, segments it
 * with `lung_reference` and preprocesses it (inference settings), in a fresh
 * process so that the peak resident memory (VmHWM) is this work's alone.
 * Prints one JSON line.
 *
 * @module
 */

import process from "node:process";
import { readVolume } from "../core/io/mod.ts";
import { createLogger } from "../core/logger.ts";
import { INFERENCE_PREPROCESS, preprocessScan } from "../core/preprocess.ts";
import {
  DEFAULT_SETTINGS,
  segmentLungs,
} from "../plugins/lung_reference/segment.ts";

function vmHwmMb(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

const path = Deno.args[0];
let t = performance.now();
const volume = await readVolume(path);
const readMs = performance.now() - t;
const afterReadMb = vmHwmMb();
let stages: Record<string, number> = {};
const logger = createLogger((r) => {
  if (r.message.includes("stage times")) {
    stages = r.data as Record<string, number>;
  }
}, "debug");
const cpu0 = process.cpuUsage();
t = performance.now();
const masks = segmentLungs(volume, DEFAULT_SETTINGS, logger);
const segmentMs = performance.now() - t;
t = performance.now();
const pre = preprocessScan(volume, masks, INFERENCE_PREPROCESS);
const preprocessMs = performance.now() - t;
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({
  readMs,
  segmentMs,
  preprocessMs,
  cpuMs: (cpu.user + cpu.system) / 1000,
  peakMb: vmHwmMb(),
  afterReadMb,
  lungs: masks.report.lungCount,
  volumesL: masks.report.lungVolumesL,
  preprocessedShape: pre.shape,
  stages,
}));
