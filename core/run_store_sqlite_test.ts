import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  newRunId,
  openRunStore,
  RUN_STORE_DB_FILE,
  RUN_STORE_SCHEMA_VERSION,
} from "./run_store_sqlite.ts";
import type { RunStore } from "./run_store.ts";

const SLOTS = {
  segmenter: { plugin: "lung_reference", options: {} },
  miner: { plugin: "topk", options: { k: 2 } },
};

function runInput(name = "reference", extra: Record<string, unknown> = {}) {
  return {
    name,
    configJson: JSON.stringify({ name, model: SLOTS }),
    configHash: "ab".repeat(32),
    schemaVersion: 1,
    slots: SLOTS,
    ...extra,
  };
}

async function withStore(
  body: (store: RunStore, root: string) => void | Promise<void>,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "pleura_store_" });
  const store = openRunStore(root);
  try {
    await body(store, root);
  } finally {
    store.close();
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("newRunId() formats UTC time and a random suffix, sortable by time", () => {
  const t = Date.UTC(2026, 10, 26, 17, 5, 1);
  const id = newRunId(t);
  assert.match(id, /^20261126-170501-[0-9a-f]{4}$/);
  const later = newRunId(t + 1000);
  assert.ok(later.slice(0, 15) > id.slice(0, 15));
  assert.ok(newRunId(Date.UTC(2027, 0, 1)) > later);
});

Deno.test("createRun() and getRun() round-trip every field and make the run folder", () =>
  withStore((store, root) => {
    const run = store.createRun(
      runInput("topk3", { ablationId: "grid-1", variant: "miner=topk k=3" }),
    );
    assert.match(run.id, /^\d{8}-\d{6}-[0-9a-f]{4}$/);
    assert.equal(run.status, "queued");
    assert.equal(run.name, "topk3");
    assert.deepEqual(run.slots, SLOTS);
    assert.equal(run.ablationId, "grid-1");
    assert.equal(run.variant, "miner=topk k=3");
    assert.equal(run.schemaVersion, 1);
    assert.equal(run.cpm, undefined);
    assert.equal(run.error, undefined);
    assert.ok(Math.abs(run.createdAt - Date.now()) < 5000);
    assert.deepEqual(store.getRun(run.id), run);
    assert.equal(store.runDir(run.id), join(root, run.id));
    assert.ok(existsSync(store.runDir(run.id)));
    assert.equal(store.getRun("nope"), undefined);
  }));

Deno.test("createRun() gives unique ids to runs made in the same second", () =>
  withStore((store) => {
    const ids = new Set<string>();
    for (let i = 0; i < 60; i++) ids.add(store.createRun(runInput()).id);
    assert.equal(ids.size, 60);
  }));

Deno.test("createRun() rejects an unsafe or duplicate id", () =>
  withStore((store) => {
    assert.throws(
      () => store.createRun(runInput("x", { id: "../etc" })),
      {
        name: "RangeError",
        message:
          'Cannot use run id "../etc": expected letters, digits, "-" or "_" (at most 128, not starting with "-" or "_")',
      },
    );
    store.createRun(runInput("x", { id: "fixed-1" }));
    assert.throws(() => store.createRun(runInput("x", { id: "fixed-1" })), {
      message:
        'Cannot create run "fixed-1": a run with this id already exists, expected a new id',
    });
    assert.throws(() => store.runDir("a/b"), /Cannot use run id "a\/b"/);
  }));

Deno.test("updateRun() patches only the given fields, NaN CPM included", () =>
  withStore((store) => {
    const { id } = store.createRun(runInput());
    store.updateRun(id, { status: "running", startedAt: 1000 });
    store.updateRun(id, { progress: { task: "train", done: 3, total: 10 } });
    let run = store.getRun(id)!;
    assert.equal(run.status, "running");
    assert.equal(run.startedAt, 1000);
    assert.deepEqual(run.progress, { task: "train", done: 3, total: 10 });
    store.updateRun(id, {
      status: "done",
      endedAt: 2000,
      cpm: 0.8125,
      cpmCi: [0.75, 0.875],
    });
    run = store.getRun(id)!;
    assert.equal(run.status, "done");
    assert.equal(run.startedAt, 1000);
    assert.equal(run.cpm, 0.8125);
    assert.deepEqual(run.cpmCi, [0.75, 0.875]);
    store.updateRun(id, { cpm: NaN });
    assert.ok(Number.isNaN(store.getRun(id)!.cpm));
    store.updateRun(id, { cpm: undefined, cpmCi: undefined });
    assert.equal(store.getRun(id)!.cpm, undefined);
    assert.equal(store.getRun(id)!.cpmCi, undefined);
    store.updateRun(id, { status: "failed", error: "Out of memory" });
    assert.equal(store.getRun(id)!.error, "Out of memory");
    assert.throws(() => store.updateRun("missing", { status: "done" }), {
      name: "RangeError",
      message:
        'Cannot update run "missing": no such run, expected an existing run id',
    });
    assert.throws(
      // deno-lint-ignore no-explicit-any
      () => store.updateRun(id, { status: "paused" as any }),
      /status is "paused", expected one of "queued", "running", "done", "failed"/,
    );
  }));

Deno.test("listRuns() lists newest first and filters by status and ablation", () =>
  withStore((store) => {
    const a = store.createRun(runInput("a", { ablationId: "g1" }));
    const b = store.createRun(runInput("b", { ablationId: "g1" }));
    const c = store.createRun(runInput("c"));
    store.updateRun(b.id, { status: "done" });
    // Same creation millisecond is possible: order then falls back to id.
    const all = store.listRuns().map((r) => r.id);
    const expected = [a, b, c].sort((x, y) =>
      y.createdAt - x.createdAt || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0)
    ).map((r) => r.id);
    assert.deepEqual(all, expected);
    assert.deepEqual(
      store.listRuns({ ablationId: "g1" }).map((r) => r.name).sort(),
      ["a", "b"],
    );
    assert.deepEqual(store.listRuns({ status: "done" }).map((r) => r.id), [
      b.id,
    ]);
    assert.deepEqual(
      store.listRuns({ status: "queued", ablationId: "g1" }).map((r) => r.id),
      [a.id],
    );
    assert.deepEqual(store.listRuns({ ablationId: "none" }), []);
  }));

Deno.test("appendMetrics() and metrics() keep samples ordered by stage and step", () =>
  withStore((store) => {
    const { id } = store.createRun(runInput());
    store.appendMetrics(id, [
      { stage: 1, step: 0, name: "loss", value: 0.5, time: 3 },
      { stage: 0, step: 2, name: "loss", value: 0.9, time: 2 },
      { stage: 0, step: 1, name: "loss", value: NaN, time: 1 },
      { stage: 0, step: 1, name: "lr", value: 0.01, time: 1 },
    ]);
    const got = store.metrics(id);
    assert.deepEqual(got.map((s) => [s.stage, s.step, s.name]), [
      [0, 1, "loss"],
      [0, 1, "lr"],
      [0, 2, "loss"],
      [1, 0, "loss"],
    ]);
    assert.ok(Number.isNaN(got[0].value));
    assert.equal(got[1].value, 0.01);
    assert.deepEqual(store.metrics("other"), []);
    assert.throws(
      () => store.appendMetrics("other", []),
      /Cannot append metrics to run "other": no such run/,
    );
  }));

Deno.test("putStage() inserts then updates a stage in place", () =>
  withStore((store) => {
    const { id } = store.createRun(runInput());
    store.putStage(id, {
      index: 1,
      label: "stage 1",
      status: "running",
      summary: {},
    });
    store.putStage(id, {
      index: 0,
      label: "stage 0",
      status: "done",
      summary: { cpm: 0.5 },
    });
    store.putStage(id, {
      index: 1,
      label: "stage 1 (hard negatives)",
      status: "done",
      summary: { cpm: 0.6, mined: 120 },
    });
    assert.deepEqual(store.stages(id), [
      { index: 0, label: "stage 0", status: "done", summary: { cpm: 0.5 } },
      {
        index: 1,
        label: "stage 1 (hard negatives)",
        status: "done",
        summary: { cpm: 0.6, mined: 120 },
      },
    ]);
  }));

Deno.test("latestCheckpoint() returns the checkpoint of the highest stage and step", () =>
  withStore((store) => {
    const { id } = store.createRun(runInput());
    assert.equal(store.latestCheckpoint(id), undefined);
    store.addCheckpoint(id, { stage: 0, step: 100, path: "a.bin", time: 1 });
    store.addCheckpoint(id, { stage: 1, step: 20, path: "b.bin", time: 2 });
    store.addCheckpoint(id, { stage: 0, step: 200, path: "c.bin", time: 3 });
    assert.deepEqual(store.latestCheckpoint(id), {
      stage: 1,
      step: 20,
      path: "b.bin",
      time: 2,
    });
  }));

Deno.test("appendEvent() numbers events 1, 2, 3… per run and events() reads after a number", () =>
  withStore((store) => {
    const a = store.createRun(runInput("a")).id;
    const b = store.createRun(runInput("b")).id;
    assert.equal(store.appendEvent(a, "log", { message: "one" }), 1);
    assert.equal(store.appendEvent(a, "log", { message: "two" }), 2);
    assert.equal(store.appendEvent(b, "log", { message: "other" }), 1);
    assert.equal(
      store.appendEvent(a, "progress", { kind: "end", task: "t", time: 7 }),
      3,
    );
    assert.deepEqual(store.events(a).map((e) => e.seq), [1, 2, 3]);
    const after = store.events(a, 1);
    assert.deepEqual(after.map((e) => [e.seq, e.type]), [[2, "log"], [
      3,
      "progress",
    ]]);
    assert.equal(after[1].time, 7);
    assert.deepEqual(after[0].data, { message: "two" });
    assert.deepEqual(store.events(a, 3), []);
    assert.throws(
      // deno-lint-ignore no-explicit-any
      () => store.appendEvent(a, "metric" as any, {}),
      /type is "metric", expected "log" or "progress"/,
    );
  }));

Deno.test("appendEvent() of a progress start or step updates the run's progress", () =>
  withStore((store) => {
    const { id } = store.createRun(runInput());
    store.appendEvent(id, "progress", {
      kind: "start",
      task: "train",
      total: 40,
    });
    assert.deepEqual(store.getRun(id)!.progress, {
      task: "train",
      done: 0,
      total: 40,
    });
    store.appendEvent(id, "progress", {
      kind: "step",
      task: "train",
      done: 12,
      total: 40,
      metrics: { loss: 0.3 },
    });
    assert.deepEqual(store.getRun(id)!.progress, {
      task: "train",
      done: 12,
      total: 40,
    });
    store.appendEvent(id, "log", { level: "info", message: "x", task: "y" });
    assert.equal(store.getRun(id)!.progress!.done, 12);
  }));

Deno.test("putArtifact() writes atomically and getArtifact() reads it back", () =>
  withStore((store) => {
    const { id } = store.createRun(runInput());
    const froc = {
      cpm: 0.5,
      sensitivities: [0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9],
    };
    store.putArtifact(id, "froc", froc);
    store.putArtifact(id, "froc.stage1", { cpm: 0.4 });
    assert.deepEqual(store.getArtifact(id, "froc"), froc);
    store.putArtifact(id, "froc", { cpm: 0.6 });
    assert.deepEqual(store.getArtifact(id, "froc"), { cpm: 0.6 });
    assert.deepEqual(store.getArtifact(id, "froc.stage1"), { cpm: 0.4 });
    assert.equal(store.getArtifact(id, "sizes"), undefined);
    // No temporary file is left behind.
    assert.deepEqual(
      readdirSync(join(store.runDir(id), "artifacts")).sort(),
      ["froc.json", "froc.stage1.json"],
    );
    for (const bad of ["../x", "a/b", "..", "", ".hidden"]) {
      assert.throws(
        () => store.putArtifact(id, bad, 1),
        new RegExp(`Cannot use artefact name ${JSON.stringify(bad)}`.replace(
          /[.]/g,
          "\\.",
        )),
      );
    }
    assert.throws(
      () => store.putArtifact(id, "f", undefined),
      /Cannot store artefact "f" of run ".*": the value is not JSON/,
    );
    assert.throws(
      () => store.putArtifact("missing", "froc", {}),
      /Cannot store an artefact of run "missing": no such run/,
    );
  }));

Deno.test("ablations are created, listed and given a base run", () =>
  withStore((store) => {
    const grid = store.createAblation({ name: "miners", gridJson: "{}" });
    assert.equal(grid.baseRunId, undefined);
    const run = store.createRun(runInput("base", { ablationId: grid.id }));
    store.setAblationBase(grid.id, run.id);
    assert.equal(store.getAblation(grid.id)!.baseRunId, run.id);
    store.createAblation({ name: "losses", gridJson: "[]", id: "losses-1" });
    assert.deepEqual(store.listAblations().map((a) => a.name).sort(), [
      "losses",
      "miners",
    ]);
    assert.throws(
      () => store.setAblationBase("missing", run.id),
      /Cannot set the base run of ablation "missing": no such ablation/,
    );
    assert.throws(
      () => store.createAblation({ name: "x", gridJson: "{}", id: "losses-1" }),
      /an ablation with this id already exists/,
    );
  }));

Deno.test("openRunStore() reopens a closed store with its runs, checkpoints and event numbers", async () => {
  const root = await Deno.makeTempDir({ prefix: "pleura_store_" });
  try {
    let store = openRunStore(root);
    const { id } = store.createRun(runInput());
    store.updateRun(id, { status: "running" });
    store.addCheckpoint(id, { stage: 0, step: 50, path: "ckpt.bin", time: 1 });
    store.appendEvent(id, "log", { message: "before crash" });
    store.putArtifact(id, "froc", { cpm: 0.25 });
    store.close();
    store.close(); // closing twice is harmless

    store = openRunStore(root);
    assert.equal(store.getRun(id)!.status, "running");
    assert.equal(store.latestCheckpoint(id)!.step, 50);
    assert.equal(store.appendEvent(id, "log", { message: "resumed" }), 2);
    assert.deepEqual(store.getArtifact(id, "froc"), { cpm: 0.25 });
    store.close();
    assert.throws(() => store.getRun(id), /not open/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("openRunStore() refuses a database written by a newer schema", async () => {
  const root = await Deno.makeTempDir({ prefix: "pleura_store_" });
  try {
    openRunStore(root).close();
    const db = new DatabaseSync(join(root, RUN_STORE_DB_FILE));
    db.exec(`PRAGMA user_version = ${RUN_STORE_SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(() => openRunStore(root), {
      name: "RangeError",
      message: `Cannot open run store "${
        join(root, RUN_STORE_DB_FILE)
      }": schema version is ${
        RUN_STORE_SCHEMA_VERSION + 1
      }, expected ${RUN_STORE_SCHEMA_VERSION} or lower (written by a newer Pleura)`,
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a reader with an open snapshot does not block a writer (WAL)", () =>
  withStore((writer, root) => {
    const { id } = writer.createRun(runInput());
    writer.appendMetrics(
      id,
      Array.from(
        { length: 10 },
        (_, i) => ({ stage: 0, step: i, name: "loss", value: i, time: i }),
      ),
    );
    // A second connection keeps a read transaction open mid-iteration.
    const reader = new DatabaseSync(join(root, RUN_STORE_DB_FILE));
    reader.exec("PRAGMA busy_timeout = 0");
    const rows = reader.prepare(
      "SELECT step FROM metrics WHERE run_id = ? ORDER BY step",
    ).iterate(id);
    assert.equal(rows.next().value!.step, 0);
    // The writer commits while the reader is inside its snapshot.
    const started = performance.now();
    writer.appendMetrics(id, [
      { stage: 0, step: 10, name: "loss", value: 10, time: 10 },
    ]);
    writer.appendEvent(id, "log", { message: "written during a read" });
    assert.ok(performance.now() - started < 1000);
    let seen = 1;
    for (const _ of rows) seen++;
    assert.equal(seen, 10, "the reader's snapshot predates the write");
    assert.equal(
      Number(
        (reader.prepare("SELECT COUNT(*) AS n FROM metrics").get() as {
          n: number;
        }).n,
      ),
      11,
    );
    reader.close();
  }));

Deno.test("a reader polls events while another process appends them", async () => {
  const root = await Deno.makeTempDir({ prefix: "pleura_store_" });
  const reader = openRunStore(root);
  try {
    const { id } = reader.createRun(runInput());
    const script = `
      import { openRunStore } from ${
      JSON.stringify(new URL("./run_store_sqlite.ts", import.meta.url).href)
    };
      const store = openRunStore(${JSON.stringify(root)});
      for (let i = 0; i < 150; i++) {
        store.appendEvent(${
      JSON.stringify(id)
    }, "progress", { kind: "step", task: "train", done: i + 1, total: 150 });
        store.appendMetrics(${
      JSON.stringify(id)
    }, [{ stage: 0, step: i, name: "loss", value: 1 / (i + 1), time: i }]);
      }
      store.close();
    `;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", script],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const seen: number[] = [];
    let done = false;
    const finished = child.output().then((out) => {
      done = true;
      return out;
    });
    while (!done) {
      for (const event of reader.events(id, seen.at(-1) ?? 0)) {
        seen.push(event.seq);
      }
      reader.getRun(id);
      await new Promise((r) => setTimeout(r, 5));
    }
    const out = await finished;
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    for (const event of reader.events(id, seen.at(-1) ?? 0)) {
      seen.push(event.seq);
    }
    assert.deepEqual(seen, Array.from({ length: 150 }, (_, i) => i + 1));
    assert.deepEqual(reader.getRun(id)!.progress, {
      task: "train",
      done: 150,
      total: 150,
    });
    assert.equal(reader.metrics(id).length, 150);
  } finally {
    reader.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("truncateMetrics() drops the steps a resumed run repeats", async () => {
  const root = await Deno.makeTempDir({ prefix: "pleura-store-trunc-" });
  const store = openRunStore(root);
  try {
    const run = store.createRun({
      name: "t",
      configJson: "{}",
      configHash: "h",
      schemaVersion: 1,
      slots: {},
    });
    const sample = (stage: number, step: number) => ({
      stage,
      step,
      name: "loss",
      value: step,
      time: 0,
    });
    store.appendMetrics(run.id, [
      sample(0, 0),
      sample(0, 1),
      sample(0, 2),
      sample(1, 0),
    ]);
    store.truncateMetrics(run.id, 0, 2);
    assert.deepEqual(
      store.metrics(run.id).map((m) => [m.stage, m.step]),
      [[0, 0], [0, 1]],
    );
  } finally {
    store.close();
    await Deno.remove(root, { recursive: true });
  }
});
