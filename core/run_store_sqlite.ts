/**
 * The embedded run store: SQLite (`node:sqlite`) in `<root>/runs.db`, each
 * run's files in `<root>/<runId>/`, JSON artefacts in
 * `<root>/<runId>/artifacts/<name>.json`.
 *
 * - WAL journal: readers (the dashboard, the CLI) see a consistent snapshot
 *   and never block the writer (a training process); a busy timeout makes
 *   concurrent writers wait instead of failing.
 * - Every multi-row write is one transaction; artefacts are written to a
 *   temporary file and renamed over the old one, so a reader never sees half
 *   a file and a crash leaves either the old or the new version.
 * - The schema is versioned with `PRAGMA user_version` and migrated forward
 *   on open; a database from a newer Pleura is refused.
 *
 * @module
 */

import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import type {
  AblationRecord,
  CheckpointRecord,
  MetricSample,
  RunEvent,
  RunRecord,
  RunStatus,
  RunStore,
  SlotChoice,
  StageRecord,
} from "./run_store.ts";

/** The schema version this file writes (`PRAGMA user_version`). */
export const RUN_STORE_SCHEMA_VERSION = 1;

/** File name of the database inside the store's root. */
export const RUN_STORE_DB_FILE = "runs.db";

/** How long a writer waits for another writer's lock before failing, in ms. */
const BUSY_TIMEOUT_MS = 10_000;

const RUN_STATUSES: readonly RunStatus[] = [
  "queued",
  "running",
  "done",
  "failed",
];

/** Ids of runs and ablations: a safe folder name (no separators, no `..`). */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** Artefact names: dotted words (`froc`, `froc.stage1`, `sizes`). */
const ARTIFACT_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** Migrations: entry `i` upgrades a database from version `i` to `i + 1`. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    error TEXT,
    config_json TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    slots_json TEXT NOT NULL,
    ablation_id TEXT,
    variant TEXT,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    ended_at INTEGER,
    progress_json TEXT,
    has_cpm INTEGER NOT NULL DEFAULT 0,
    cpm REAL,
    cpm_lo REAL,
    cpm_hi REAL
  );
  CREATE INDEX runs_by_created ON runs (created_at DESC, id DESC);
  CREATE INDEX runs_by_ablation ON runs (ablation_id, created_at DESC);
  CREATE TABLE metrics (
    run_id TEXT NOT NULL,
    stage INTEGER NOT NULL,
    step INTEGER NOT NULL,
    name TEXT NOT NULL,
    value REAL,
    time INTEGER NOT NULL
  );
  CREATE INDEX metrics_by_run ON metrics (run_id, stage, step);
  CREATE TABLE stages (
    run_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    label TEXT NOT NULL,
    status TEXT NOT NULL,
    summary_json TEXT NOT NULL,
    PRIMARY KEY (run_id, idx)
  ) WITHOUT ROWID;
  CREATE TABLE checkpoints (
    run_id TEXT NOT NULL,
    stage INTEGER NOT NULL,
    step INTEGER NOT NULL,
    path TEXT NOT NULL,
    time INTEGER NOT NULL
  );
  CREATE INDEX checkpoints_by_run ON checkpoints (run_id, time);
  CREATE TABLE events (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    time INTEGER NOT NULL,
    type TEXT NOT NULL,
    data_json TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
  ) WITHOUT ROWID;
  CREATE TABLE ablations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    grid_json TEXT NOT NULL,
    base_run_id TEXT,
    created_at INTEGER NOT NULL
  );
  `,
];

type Row = Record<string, SQLInputValue>;

/**
 * Opens (creating when needed) the run store kept in `root`.
 *
 * @param root folder holding `runs.db` and one folder per run
 * @returns the store; call `close()` when done
 * @throws RangeError when the database was written by a newer schema
 *
 * @example
 * ```ts
 * import { openRunStore } from "./run_store_sqlite.ts";
 * const store = openRunStore(await Deno.makeTempDir());
 * const run = store.createRun({
 *   name: "reference", configJson: "{}", configHash: "0", schemaVersion: 1, slots: {},
 * });
 * store.updateRun(run.id, { status: "running", startedAt: Date.now() });
 * store.getRun(run.id)?.status; // "running"
 * store.close();
 * ```
 */
export function openRunStore(root: string): RunStore {
  const rootDir = resolve(root);
  mkdirSync(rootDir, { recursive: true });
  const dbPath = join(rootDir, RUN_STORE_DB_FILE);
  const db = new DatabaseSync(dbPath);
  try {
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.exec("PRAGMA journal_mode = WAL");
    // WAL + NORMAL is durable at checkpoints and never corrupts on a crash.
    db.exec("PRAGMA synchronous = NORMAL");
    migrate(db, dbPath);
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteRunStore(rootDir, db);
}

function migrate(db: DatabaseSync, dbPath: string): void {
  const version = userVersion(db);
  if (version > RUN_STORE_SCHEMA_VERSION) {
    throw new RangeError(
      `Cannot open run store "${dbPath}": schema version is ${version}, expected ${RUN_STORE_SCHEMA_VERSION} or lower (written by a newer Pleura)`,
    );
  }
  if (version === RUN_STORE_SCHEMA_VERSION) return;
  transaction(db, () => {
    // Another process may have migrated while we waited for the lock.
    for (let v = userVersion(db); v < RUN_STORE_SCHEMA_VERSION; v++) {
      db.exec(MIGRATIONS[v]);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    }
  });
}

function userVersion(db: DatabaseSync): number {
  const row = db.prepare("PRAGMA user_version").get() as Row;
  return Number(row.user_version);
}

/** Runs `body` inside `BEGIN IMMEDIATE … COMMIT` (rolled back on a throw). */
function transaction<T>(db: DatabaseSync, body: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = body();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

/**
 * A new run id: UTC time of creation and four random hex digits,
 * `20261126-170501-ab12`; ids sort by creation second.
 *
 * @param now milliseconds since the epoch
 */
export function newRunId(now: number = Date.now()): string {
  const d = new Date(now);
  const two = (n: number) => String(n).padStart(2, "0");
  const date = `${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${
    two(d.getUTCDate())
  }`;
  const time = `${two(d.getUTCHours())}${two(d.getUTCMinutes())}${
    two(d.getUTCSeconds())
  }`;
  const bytes = crypto.getRandomValues(new Uint8Array(2));
  const suffix = [...bytes].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
  return `${date}-${time}-${suffix}`;
}

/** Throws a RangeError unless `id` is a safe run or ablation id. */
function checkId(id: string, what: string): void {
  if (typeof id !== "string" || !ID_PATTERN.test(id)) {
    throw new RangeError(
      `Cannot use ${what} id ${
        JSON.stringify(id)
      }: expected letters, digits, "-" or "_" (at most 128, not starting with "-" or "_")`,
    );
  }
}

function checkArtifactName(name: string): void {
  if (
    typeof name !== "string" || name.length > 128 ||
    !ARTIFACT_PATTERN.test(name)
  ) {
    throw new RangeError(
      `Cannot use artefact name ${
        JSON.stringify(name)
      }: expected dot-separated words of letters, digits, "-" or "_"`,
    );
  }
}

function optionalNumber(value: SQLInputValue | undefined): number | undefined {
  return value === null || value === undefined ? undefined : Number(value);
}

function optionalString(value: SQLInputValue | undefined): string | undefined {
  return value === null || value === undefined ? undefined : String(value);
}

function runFromRow(row: Row): RunRecord {
  const cpmLo = optionalNumber(row.cpm_lo);
  const cpmHi = optionalNumber(row.cpm_hi);
  const progress = optionalString(row.progress_json);
  const record: Record<string, unknown> = {
    id: String(row.id),
    name: String(row.name),
    status: String(row.status) as RunStatus,
    configJson: String(row.config_json),
    configHash: String(row.config_hash),
    schemaVersion: Number(row.schema_version),
    slots: JSON.parse(String(row.slots_json)) as Record<string, SlotChoice>,
    createdAt: Number(row.created_at),
  };
  const optional: Record<string, unknown> = {
    error: optionalString(row.error),
    ablationId: optionalString(row.ablation_id),
    variant: optionalString(row.variant),
    startedAt: optionalNumber(row.started_at),
    endedAt: optionalNumber(row.ended_at),
    progress: progress === undefined ? undefined : JSON.parse(progress),
    // SQLite stores NaN as NULL: `has_cpm` tells a NaN CPM (evaluated, no
    // detection) from one never set.
    cpm: Number(row.has_cpm) === 0
      ? undefined
      : row.cpm === null
      ? NaN
      : Number(row.cpm),
    cpmCi: cpmLo !== undefined && cpmHi !== undefined
      ? [cpmLo, cpmHi]
      : undefined,
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) record[key] = value;
  }
  return record as unknown as RunRecord;
}

class SqliteRunStore implements RunStore {
  readonly root: string;
  readonly #db: DatabaseSync;

  constructor(root: string, db: DatabaseSync) {
    this.root = root;
    this.#db = db;
  }

  createRun(input: Parameters<RunStore["createRun"]>[0]): RunRecord {
    if (input.id !== undefined) checkId(input.id, "run");
    if (input.ablationId !== undefined) checkId(input.ablationId, "ablation");
    const insert = this.#db.prepare(
      `INSERT INTO runs (id, name, status, config_json, config_hash, schema_version,
         slots_json, ablation_id, variant, created_at)
       VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)`,
    );
    const now = Date.now();
    // A generated id may collide with one made in the same second by another
    // process: the primary key rejects it and a new suffix is drawn.
    for (let attempt = 0;; attempt++) {
      const id = input.id ?? newRunId(now);
      try {
        insert.run(
          id,
          input.name,
          input.configJson,
          input.configHash,
          input.schemaVersion,
          JSON.stringify(input.slots),
          input.ablationId ?? null,
          input.variant ?? null,
          now,
        );
      } catch (error) {
        const duplicate = error instanceof Error &&
          /UNIQUE constraint failed/.test(error.message);
        if (!duplicate) throw error;
        if (input.id !== undefined) {
          throw new RangeError(
            `Cannot create run "${id}": a run with this id already exists, expected a new id`,
          );
        }
        if (attempt > 1000) throw error;
        continue;
      }
      mkdirSync(this.runDir(id), { recursive: true });
      return this.getRun(id)!;
    }
  }

  getRun(id: string): RunRecord | undefined {
    const row = this.#db.prepare("SELECT * FROM runs WHERE id = ?").get(id) as
      | Row
      | undefined;
    return row ? runFromRow(row) : undefined;
  }

  listRuns(
    filter: { ablationId?: string; status?: RunStatus } = {},
  ): RunRecord[] {
    const where: string[] = [];
    const values: SQLInputValue[] = [];
    if (filter.ablationId !== undefined) {
      where.push("ablation_id = ?");
      values.push(filter.ablationId);
    }
    if (filter.status !== undefined) {
      where.push("status = ?");
      values.push(filter.status);
    }
    const sql = `SELECT * FROM runs ${
      where.length > 0 ? "WHERE " + where.join(" AND ") : ""
    } ORDER BY created_at DESC, id DESC`;
    return (this.#db.prepare(sql).all(...values) as Row[]).map(runFromRow);
  }

  updateRun(
    id: string,
    patch: Parameters<RunStore["updateRun"]>[1],
  ): void {
    const sets: string[] = [];
    const values: SQLInputValue[] = [];
    const set = (column: string, value: SQLInputValue) => {
      sets.push(`${column} = ?`);
      values.push(value);
    };
    if (patch.status !== undefined) {
      if (!RUN_STATUSES.includes(patch.status)) {
        throw new RangeError(
          `Cannot update run "${id}": status is ${
            JSON.stringify(patch.status)
          }, expected one of ${RUN_STATUSES.map((s) => `"${s}"`).join(", ")}`,
        );
      }
      set("status", patch.status);
    }
    if ("error" in patch) set("error", patch.error ?? null);
    if ("progress" in patch) {
      set(
        "progress_json",
        patch.progress === undefined ? null : JSON.stringify(patch.progress),
      );
    }
    if ("cpm" in patch) {
      set("has_cpm", patch.cpm === undefined ? 0 : 1);
      set("cpm", patch.cpm ?? null);
    }
    if ("cpmCi" in patch) {
      set("cpm_lo", patch.cpmCi?.[0] ?? null);
      set("cpm_hi", patch.cpmCi?.[1] ?? null);
    }
    if ("startedAt" in patch) set("started_at", patch.startedAt ?? null);
    if ("endedAt" in patch) set("ended_at", patch.endedAt ?? null);
    if (sets.length === 0) {
      this.#requireRun(id, "update");
      return;
    }
    const result = this.#db.prepare(
      `UPDATE runs SET ${sets.join(", ")} WHERE id = ?`,
    ).run(...values, id);
    if (Number(result.changes) === 0) this.#requireRun(id, "update");
  }

  runDir(id: string): string {
    checkId(id, "run");
    return join(this.root, id);
  }

  appendMetrics(runId: string, samples: readonly MetricSample[]): void {
    this.#requireRun(runId, "append metrics to");
    const insert = this.#db.prepare(
      "INSERT INTO metrics (run_id, stage, step, name, value, time) VALUES (?, ?, ?, ?, ?, ?)",
    );
    transaction(this.#db, () => {
      for (const s of samples) {
        insert.run(
          runId,
          s.stage,
          s.step,
          s.name,
          Number.isFinite(s.value) ? s.value : null,
          s.time,
        );
      }
    });
  }

  truncateMetrics(runId: string, stage: number, fromStep: number): void {
    this.#requireRun(runId, "truncate metrics of");
    this.#db.prepare(
      "DELETE FROM metrics WHERE run_id = ? AND (stage > ? OR (stage = ? AND step >= ?))",
    ).run(runId, stage, stage, fromStep);
  }

  metrics(runId: string): MetricSample[] {
    const rows = this.#db.prepare(
      `SELECT stage, step, name, value, time FROM metrics WHERE run_id = ?
       ORDER BY stage, step, rowid`,
    ).all(runId) as Row[];
    return rows.map((r) => ({
      stage: Number(r.stage),
      step: Number(r.step),
      name: String(r.name),
      value: r.value === null ? NaN : Number(r.value),
      time: Number(r.time),
    }));
  }

  putStage(runId: string, stage: StageRecord): void {
    this.#requireRun(runId, "put a stage of");
    this.#db.prepare(
      `INSERT INTO stages (run_id, idx, label, status, summary_json) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (run_id, idx) DO UPDATE SET label = excluded.label,
         status = excluded.status, summary_json = excluded.summary_json`,
    ).run(
      runId,
      stage.index,
      stage.label,
      stage.status,
      JSON.stringify(stage.summary),
    );
  }

  stages(runId: string): StageRecord[] {
    const rows = this.#db.prepare(
      "SELECT idx, label, status, summary_json FROM stages WHERE run_id = ? ORDER BY idx",
    ).all(runId) as Row[];
    return rows.map((r) => ({
      index: Number(r.idx),
      label: String(r.label),
      status: String(r.status) as RunStatus,
      summary: JSON.parse(String(r.summary_json)),
    }));
  }

  addCheckpoint(runId: string, checkpoint: CheckpointRecord): void {
    this.#requireRun(runId, "add a checkpoint to");
    this.#db.prepare(
      "INSERT INTO checkpoints (run_id, stage, step, path, time) VALUES (?, ?, ?, ?, ?)",
    ).run(
      runId,
      checkpoint.stage,
      checkpoint.step,
      checkpoint.path,
      checkpoint.time,
    );
  }

  latestCheckpoint(runId: string): CheckpointRecord | undefined {
    const row = this.#db.prepare(
      `SELECT stage, step, path, time FROM checkpoints WHERE run_id = ?
       ORDER BY stage DESC, step DESC, time DESC, rowid DESC LIMIT 1`,
    ).get(runId) as Row | undefined;
    return row
      ? {
        stage: Number(row.stage),
        step: Number(row.step),
        path: String(row.path),
        time: Number(row.time),
      }
      : undefined;
  }

  appendEvent(
    runId: string,
    type: RunEvent["type"],
    data: Record<string, unknown>,
  ): number {
    if (type !== "log" && type !== "progress") {
      throw new RangeError(
        `Cannot append event to run "${runId}": type is ${
          JSON.stringify(type)
        }, expected "log" or "progress"`,
      );
    }
    this.#requireRun(runId, "append an event to");
    const time = typeof data.time === "number" ? data.time : Date.now();
    // The sequence number is read and written under the write lock, so two
    // processes appending to one run never reuse a number.
    return transaction(this.#db, () => {
      const row = this.#db.prepare(
        "SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM events WHERE run_id = ?",
      ).get(runId) as Row;
      const seq = Number(row.next);
      this.#db.prepare(
        "INSERT INTO events (run_id, seq, time, type, data_json) VALUES (?, ?, ?, ?, ?)",
      ).run(runId, seq, time, type, JSON.stringify(data));
      const progress = type === "progress" ? progressOf(data) : undefined;
      if (progress) {
        this.#db.prepare("UPDATE runs SET progress_json = ? WHERE id = ?")
          .run(JSON.stringify(progress), runId);
      }
      return seq;
    });
  }

  events(runId: string, afterSeq = 0): RunEvent[] {
    const rows = this.#db.prepare(
      "SELECT seq, time, type, data_json FROM events WHERE run_id = ? AND seq > ? ORDER BY seq",
    ).all(runId, afterSeq) as Row[];
    return rows.map((r) => ({
      seq: Number(r.seq),
      time: Number(r.time),
      type: String(r.type) as RunEvent["type"],
      data: JSON.parse(String(r.data_json)),
    }));
  }

  putArtifact(runId: string, name: string, value: unknown): void {
    checkArtifactName(name);
    this.#requireRun(runId, "store an artefact of");
    const text = JSON.stringify(value);
    if (text === undefined) {
      throw new TypeError(
        `Cannot store artefact "${name}" of run "${runId}": the value is not JSON, expected a JSON value`,
      );
    }
    const dir = join(this.runDir(runId), "artifacts");
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${name}.json`);
    const temp = join(
      dir,
      `.${name}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`,
    );
    try {
      writeFileSync(temp, text);
      renameSync(temp, path); // atomic on POSIX: readers see old or new
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
  }

  getArtifact(runId: string, name: string): unknown {
    checkArtifactName(name);
    const path = join(this.runDir(runId), "artifacts", `${name}.json`);
    if (!existsSync(path)) return undefined;
    return JSON.parse(readFileSync(path, "utf8"));
  }

  createAblation(
    input: { name: string; gridJson: string; id?: string },
  ): AblationRecord {
    if (input.id !== undefined) checkId(input.id, "ablation");
    const now = Date.now();
    const insert = this.#db.prepare(
      "INSERT INTO ablations (id, name, grid_json, created_at) VALUES (?, ?, ?, ?)",
    );
    for (let attempt = 0;; attempt++) {
      const id = input.id ?? newRunId(now);
      try {
        insert.run(id, input.name, input.gridJson, now);
        return this.getAblation(id)!;
      } catch (error) {
        const duplicate = error instanceof Error &&
          /UNIQUE constraint failed/.test(error.message);
        if (!duplicate) throw error;
        if (input.id !== undefined) {
          throw new RangeError(
            `Cannot create ablation "${id}": an ablation with this id already exists, expected a new id`,
          );
        }
        if (attempt > 1000) throw error;
      }
    }
  }

  setAblationBase(id: string, baseRunId: string): void {
    const result = this.#db.prepare(
      "UPDATE ablations SET base_run_id = ? WHERE id = ?",
    ).run(baseRunId, id);
    if (Number(result.changes) === 0) {
      throw new RangeError(
        `Cannot set the base run of ablation "${id}": no such ablation, expected an existing id`,
      );
    }
  }

  getAblation(id: string): AblationRecord | undefined {
    const row = this.#db.prepare("SELECT * FROM ablations WHERE id = ?").get(
      id,
    ) as Row | undefined;
    return row ? ablationFromRow(row) : undefined;
  }

  listAblations(): AblationRecord[] {
    return (this.#db.prepare(
      "SELECT * FROM ablations ORDER BY created_at DESC, id DESC",
    ).all() as Row[]).map(ablationFromRow);
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  #requireRun(id: string, action: string): void {
    const row = this.#db.prepare("SELECT 1 AS found FROM runs WHERE id = ?")
      .get(id);
    if (!row) {
      throw new RangeError(
        `Cannot ${action} run ${
          JSON.stringify(id)
        }: no such run, expected an existing run id`,
      );
    }
  }
}

function ablationFromRow(row: Row): AblationRecord {
  const record: Record<string, unknown> = {
    id: String(row.id),
    name: String(row.name),
    gridJson: String(row.grid_json),
    createdAt: Number(row.created_at),
  };
  if (row.base_run_id !== null) record.baseRunId = String(row.base_run_id);
  return record as unknown as AblationRecord;
}

/** The run's latest progress from a progress event (`start` or `step`). */
function progressOf(
  data: Record<string, unknown>,
): RunRecord["progress"] | undefined {
  if (typeof data.task !== "string") return undefined;
  const total = typeof data.total === "number" ? data.total : undefined;
  if (data.kind === "start") {
    return total === undefined
      ? { task: data.task, done: 0 }
      : { task: data.task, done: 0, total };
  }
  if (data.kind === "step" && typeof data.done === "number") {
    return total === undefined
      ? { task: data.task, done: data.done }
      : { task: data.task, done: data.done, total };
  }
  return undefined;
}
