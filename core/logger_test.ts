import assert from "node:assert/strict";
import { createLogger, createProgress, createRecorder } from "./logger.ts";
import type { LogRecord, ProgressEvent } from "./logger.ts";

Deno.test("createLogger() drops records below the minimum level", () => {
  const records: LogRecord[] = [];
  const logger = createLogger((r) => records.push(r), "warn");
  logger.debug("d");
  logger.info("i");
  logger.warn("w", { n: 1 });
  logger.error("e");
  assert.deepEqual(records.map((r) => [r.level, r.message, r.data]), [
    ["warn", "w", { n: 1 }],
    ["error", "e", undefined],
  ]);
});

Deno.test("createProgress() carries the task total into each step", () => {
  const events: ProgressEvent[] = [];
  const progress = createProgress((e) => events.push(e));
  progress.start("train", 10, "steps");
  progress.step("train", 3, { loss: 0.5 });
  progress.end("train");
  progress.step("train", 4);
  const steps = events.filter((e) => e.kind === "step");
  assert.deepEqual(
    steps.map((e) => e.kind === "step" ? [e.done, e.total, e.metrics] : []),
    [[3, 10, { loss: 0.5 }], [4, undefined, undefined]],
  );
  assert.deepEqual(events.map((e) => e.kind), ["start", "step", "end", "step"]);
});

Deno.test("createRecorder() keeps debug records and progress events", () => {
  const recorder = createRecorder();
  recorder.logger.debug("built", { id: "topk" });
  recorder.progress.start("x");
  assert.equal(recorder.records.length, 1);
  assert.equal(recorder.events.length, 1);
});
