import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ConfigError,
  formatConfigIssue,
  loadExperiment,
  PLUGIN_KINDS,
  resolveExperiment,
} from "../core/mod.ts";
import { readVolume } from "../core/io/mod.ts";
import { MAX_BODY_BYTES } from "./server/http.ts";
import { startTestDashboard, type TestDashboard } from "./testing/harness.ts";

async function getJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

function post(url: string, body: unknown, type = "application/json") {
  return getJson(url, {
    method: "POST",
    headers: { "content-type": type },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** A valid experiment for the test registry, as the form would send it. */
function experiment(
  t: TestDashboard,
  name: string,
  miner: Record<string, unknown> = { plugin: "topk", options: { k: 3 } },
): Record<string, unknown> {
  const model: Record<string, unknown> = {};
  for (const kind of PLUGIN_KINDS) {
    model[kind] = { plugin: t.registry.ids(kind)[0], options: {} };
  }
  model.miner = miner;
  return { name, data: { dataset: t.dataset }, model, train: { max_steps: 2 } };
}

/** Reads a server-sent event stream until `until` says stop (or 5 s pass). */
async function readEvents(
  url: string,
  until: (events: { event: string; data: unknown; id?: string }[]) => boolean,
  headers: HeadersInit = {},
): Promise<{ event: string; data: unknown; id?: string }[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 5000);
  const response = await fetch(url, { signal: controller.signal, headers });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type")!, /^text\/event-stream/);
  const events: { event: string; data: unknown; id?: string }[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for await (const chunk of response.body!) {
      buffer += decoder.decode(chunk, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const fields: Record<string, string> = {};
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          fields[line.slice(0, colon)] = line.slice(colon + 2);
        }
        if (fields.event) {
          events.push({
            event: fields.event,
            data: JSON.parse(fields.data),
            id: fields.id,
          });
        }
      }
      if (until(events)) break;
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}

Deno.test("dashboard API answers every endpoint, rejects bad input and serves nothing outside its folders", async (t) => {
  const dash = await startTestDashboard({ compareResamples: 100 });
  const { url, seeded } = dash;
  const store = dash.dashboard.state.store;
  const ref = seeded.byName["reference"];
  const focal = seeded.byName["focal"];
  const scan0 = seeded.truth.seriesuids[0];
  try {
    await t.step("binds 127.0.0.1 on a free port", () => {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.ok(dash.dashboard.port > 0);
    });

    await t.step("GET /api/runs lists every run newest first", async () => {
      const { status, body } = await getJson(`${url}api/runs`);
      assert.equal(status, 200);
      const runs = body.runs as { id: string; name: string }[];
      assert.equal(runs.length, seeded.runIds.length);
      assert.deepEqual(
        runs.map((r) => r.id),
        store.listRuns().map((r) => r.id),
      );
      const reference = runs.find((r) => r.id === ref) as Record<
        string,
        unknown
      >;
      assert.equal(reference.status, "done");
      assert.deepEqual(reference.components, {
        segmenter: "lung_reference",
        backbone: "resunet",
        anchor_head: "rpn3d",
        miner: "topk",
        loss: "balanced",
      });
      assert.equal(reference.cpm, store.getRun(ref)!.cpm);
      assert.equal("configJson" in reference, false);
    });

    await t.step(
      "GET /api/runs filters by status, component and ablation",
      async () => {
        const failed = await getJson(`${url}api/runs?status=failed`);
        assert.deepEqual(
          (failed.body.runs as { name: string }[]).map((r) => r.name),
          ["too-big"],
        );
        const focalRuns = await getJson(`${url}api/runs?component=loss:focal`);
        assert.deepEqual(
          (focalRuns.body.runs as { name: string }[]).map((r) => r.name),
          ["focal"],
        );
        const grid = await getJson(
          `${url}api/runs?ablation=${seeded.ablationId}&component=miner:topk`,
        );
        assert.deepEqual(
          (grid.body.runs as { name: string }[]).map((r) => r.name).sort(),
          ["miner-base", "miner-topk3"],
        );
      },
    );

    await t.step(
      "GET /api/runs rejects unknown parameters and malformed filters",
      async () => {
        const badStatus = await getJson(`${url}api/runs?status=paused`);
        assert.equal(badStatus.status, 400);
        assert.equal(
          (badStatus.body.issues as { path: string }[])[0].path,
          "status",
        );
        const badFilter = await getJson(`${url}api/runs?component=pipeline:x`);
        assert.equal(badFilter.status, 400);
        assert.deepEqual(badFilter.body.issues, [{
          path: "component",
          message: "Invalid component filter",
          expected:
            'kind:plugin with kind one of "segmenter", "backbone", "anchor_head", "miner", "loss"',
          received: '"pipeline:x"',
        }]);
        const unknown = await getJson(`${url}api/runs?sort=cpm`);
        assert.equal(unknown.status, 400);
      },
    );

    await t.step(
      "GET /api/runs/:id returns config, stages and FROC; 404 otherwise",
      async () => {
        const { status, body } = await getJson(`${url}api/runs/${ref}`);
        assert.equal(status, 200);
        assert.deepEqual(
          body.config,
          JSON.parse(store.getRun(ref)!.configJson),
        );
        assert.equal((body.stages as unknown[]).length, 2);
        assert.equal(
          (body.froc as { cpm: number }).cpm,
          store.getRun(ref)!.cpm,
        );
        const missing = await getJson(`${url}api/runs/20990101-000000-abcd`);
        assert.equal(missing.status, 404);
        assert.equal(
          missing.body.error,
          'Cannot find run "20990101-000000-abcd"',
        );
      },
    );

    await t.step(
      "GET /api/runs/:id/metrics returns samples, filtered by name",
      async () => {
        const all = await getJson(`${url}api/runs/${ref}/metrics`);
        assert.equal(
          (all.body.samples as unknown[]).length,
          store.metrics(ref).length,
        );
        const lr = await getJson(`${url}api/runs/${ref}/metrics?name=lr`);
        const samples = lr.body.samples as { name: string; stage: number }[];
        assert.equal(samples.length, 2 * 60);
        assert.ok(samples.every((s) => s.name === "lr"));
        assert.equal(
          (await getJson(`${url}api/runs/nope/metrics`)).status,
          404,
        );
      },
    );

    await t.step(
      "GET /api/runs/:id/froc returns the summary, sizes, missed nodules and false positives",
      async () => {
        const { status, body } = await getJson(`${url}api/runs/${ref}/froc`);
        assert.equal(status, 200);
        const summary = body.summary as {
          cpm: number;
          sensitivities: number[];
        };
        assert.equal(summary.cpm, store.getRun(ref)!.cpm);
        const mean = summary.sensitivities.reduce((a, b) => a + b, 0) / 7;
        assert.ok(Math.abs(mean - summary.cpm) < 1e-12);
        const sizes = body.sizes as { label: string; nodules: number }[];
        assert.deepEqual(sizes.map((s) => s.label), [
          "<10 mm",
          "10-30 mm",
          ">30 mm",
          "all",
        ]);
        assert.equal(sizes[3].nodules, seeded.truth.annotations.length);
        const missed = body.missed as { seriesuid: string }[];
        const detected = sizes[3].nodules - missed.length;
        assert.equal(
          detected,
          (store.getArtifact(ref, "froc") as {
            counts: { truePositives: number };
          })
            .counts.truePositives,
        );
        const fps = body.falsePositives as { score: number }[];
        assert.equal(fps.length, 20);
        for (let i = 1; i < fps.length; i++) {
          assert.ok(fps[i - 1].score >= fps[i].score);
        }
        const stage0 = await getJson(`${url}api/runs/${ref}/froc?stage=0`);
        assert.equal(stage0.status, 200);
        assert.equal(
          (stage0.body.summary as { cpm: number }).cpm,
          (store.getArtifact(ref, "froc.stage0") as { cpm: number }).cpm,
        );
        assert.equal(
          (await getJson(`${url}api/runs/${ref}/froc?stage=7`)).status,
          404,
        );
        assert.equal(
          (await getJson(`${url}api/runs/${ref}/froc?stage=-1`)).status,
          400,
        );
        const queued = seeded.byName["waiting"];
        const notEvaluated = await getJson(`${url}api/runs/${queued}/froc`);
        assert.equal(notEvaluated.status, 404);
        assert.match(String(notEvaluated.body.error), /not evaluated/);
      },
    );

    await t.step(
      "GET /api/runs/:id/scans lists the evaluated scans with counts",
      async () => {
        const { body } = await getJson(`${url}api/runs/${ref}/scans`);
        const scans = body.scans as { seriesuid: string; nodules: number }[];
        assert.deepEqual(
          scans.map((s) => s.seriesuid),
          seeded.truth.seriesuids,
        );
        assert.equal(
          scans.reduce((a, s) => a + s.nodules, 0),
          seeded.truth.annotations.length,
        );
      },
    );

    await t.step(
      "GET /api/runs/:id/scans/:uid places nodules and detections in voxels",
      async () => {
        const { status, body } = await getJson(
          `${url}api/runs/${ref}/scans/${scan0}`,
        );
        assert.equal(status, 200);
        assert.deepEqual(body.shape, [40, 128, 128]);
        assert.deepEqual(body.mask, {
          available: true,
          source: "dataset (seg-lungs-LUNA16)",
        });
        const findings = body.findings as {
          voxel: number[];
          diameterMm: number;
          kind: string;
        }[];
        const truth = seeded.truth.annotations.filter((n) =>
          n.seriesuid === scan0
        );
        assert.equal(
          findings.filter((f) => f.kind === "nodule").length,
          truth.length,
        );
        // Phantom geometry: origin (-50, -48, -48) mm, spacing (2.5, 0.75, 0.75).
        const expected = [
          (truth[0].worldMm[0] + 50) / 2.5,
          (truth[0].worldMm[1] + 48) / 0.75,
          (truth[0].worldMm[2] + 48) / 0.75,
        ];
        findings[0].voxel.forEach((v, i) =>
          assert.ok(Math.abs(v - expected[i]) < 1e-9)
        );
        const detections = body.detections as { status: string }[];
        assert.ok(detections.some((d) => d.status === "tp"));
        assert.ok(detections.some((d) => d.status === "fp"));
      },
    );

    await t.step(
      "GET …/slices/:z returns int16 Hounsfield units and the 0/1 mask",
      async () => {
        const volume = await readVolume(
          join(dash.dataset, "subset0", `${scan0}.mhd`),
        );
        const response = await fetch(
          `${url}api/runs/${ref}/scans/${scan0}/slices/20`,
        );
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("x-slice-shape"), "128,128");
        const hu = new Int16Array(await response.arrayBuffer());
        assert.deepEqual(
          Array.from(hu),
          Array.from(volume.data.subarray(20 * 128 * 128, 21 * 128 * 128)),
        );
        const mask = new Uint8Array(
          await (await fetch(
            `${url}api/runs/${ref}/scans/${scan0}/slices/20?layer=mask`,
          )).arrayBuffer(),
        );
        assert.equal(mask.length, 128 * 128);
        const lungPixels = mask.reduce((a, b) => a + b, 0);
        assert.ok(lungPixels > 1000 && lungPixels < 128 * 128 / 2);
      },
    );

    await t.step(
      "slices reject bad indices, layers and unknown scans",
      async () => {
        const base = `${url}api/runs/${ref}/scans/${scan0}/slices`;
        assert.equal((await getJson(`${base}/40`)).status, 404);
        assert.equal((await getJson(`${base}/-1`)).status, 400);
        assert.equal((await getJson(`${base}/1.5`)).status, 400);
        assert.equal((await getJson(`${base}/3?layer=raw`)).status, 400);
        const otherScan = seeded.truth.seriesuids[1];
        const missing = await getJson(
          `${url}api/runs/${ref}/scans/${otherScan}/slices/0`,
        );
        assert.equal(missing.status, 404);
        assert.match(String(missing.body.error), /no subset\*\/.*\.mhd/);
      },
    );

    await t.step(
      "path traversal in any parameter never reaches a file",
      async () => {
        const secret = join(dash.root, "secret.mhd");
        Deno.writeTextFileSync(secret, "ObjectType = Image\n");
        const attempts = [
          `api/runs/${ref}/scans/..%2F..%2Fsecret/slices/0`,
          `api/runs/${ref}/scans/..%2Fsecret`,
          `api/runs/${ref}/scans/%2E%2E/slices/0`,
          `api/runs/${ref}/scans/..%252Fsecret`,
          `api/runs/..%2F..%2Fetc/froc`,
          `api/runs/%2E%2E%2F%2E%2E/metrics`,
          `static/..%2Fmain.ts`,
          `static/%2E%2E/%2E%2E/deno.json`,
          `static/js/..%2F..%2Fmain.ts`,
          `api/experiments?file=..%2F..%2Fdeno.json`,
          `api/experiments?file=%2Fetc%2Fpasswd`,
          `api/experiments?file=base%2F..%2F..%2Fsecret.yaml`,
          `api/runs/${ref}/scans/${scan0}%2F..%2F..%2F..%2Fsecret/slices/0`,
        ];
        for (const path of attempts) {
          const response = await fetch(url + path);
          const text = await response.text();
          assert.ok(
            response.status === 404 || response.status === 400,
            `${path} answered ${response.status}`,
          );
          assert.ok(!text.includes("ObjectType"), path);
          assert.ok(!text.includes('"imports"'), path);
        }
        // A run whose dataset lies outside the data folders shows no scan.
        const outside = store.createRun({
          name: "outside",
          configJson: JSON.stringify({ data: { dataset: dash.root } }),
          configHash: "0",
          schemaVersion: 1,
          slots: {},
        });
        const refused = await getJson(
          `${url}api/runs/${outside.id}/scans/${scan0}`,
        );
        assert.equal(refused.status, 404);
        assert.match(
          String(refused.body.error),
          /is not inside a data folder of this server/,
        );
      },
    );

    await t.step(
      "GET /api/runs/:id/events streams events, the run, and ends for a finished run",
      async () => {
        const events = await readEvents(
          `${url}api/runs/${ref}/events`,
          (list) => list.some((e) => e.event === "end"),
        );
        const logs = events.filter((e) =>
          e.event === "log" || e.event === "progress"
        );
        assert.deepEqual(
          logs.map((e) => Number(e.id)),
          store.events(ref).map((e) => e.seq),
        );
        assert.deepEqual(events.at(-1), {
          event: "end",
          data: { status: "done" },
          id: undefined,
        });
        const run = events.find((e) => e.event === "run")!.data as {
          status: string;
        };
        assert.equal(run.status, "done");
        // Resuming after the last seen id sends only what is new.
        const last = store.events(ref).at(-1)!.seq;
        const resumed = await readEvents(
          `${url}api/runs/${ref}/events`,
          (list) => list.some((e) => e.event === "end"),
          { "last-event-id": String(last - 1) },
        );
        assert.deepEqual(
          resumed.filter((e) => e.id !== undefined).map((e) => Number(e.id)),
          [last],
        );
        assert.equal(
          (await getJson(`${url}api/runs/${ref}/events?after=x`)).status,
          400,
        );
        assert.equal((await getJson(`${url}api/runs/nope/events`)).status, 404);
      },
    );

    await t.step(
      "events of a running run arrive as they are written",
      async () => {
        const live = seeded.byName["long-training"];
        const before = store.events(live).at(-1)!.seq;
        const reading = readEvents(
          `${url}api/runs/${live}/events?after=${before}`,
          (list) => list.some((e) => e.event === "end"),
        );
        await new Promise((r) => setTimeout(r, 150));
        store.appendEvent(live, "progress", {
          kind: "step",
          task: "train",
          done: 59,
          total: 60,
        });
        store.appendEvent(live, "log", { level: "info", message: "almost" });
        await new Promise((r) => setTimeout(r, 150));
        store.updateRun(live, { status: "done", endedAt: Date.now() });
        const events = await reading;
        assert.deepEqual(
          events.filter((e) => e.id !== undefined).map((
            e,
          ) => [e.event, Number(e.id)]),
          [["progress", before + 1], ["log", before + 2]],
        );
        const runs = events.filter((e) => e.event === "run").map((
          e,
        ) => (e.data as { status: string; progress: { done: number } }));
        assert.equal(runs.at(-1)!.status, "done");
        assert.ok(runs.some((r) => r.progress.done === 59));
        assert.equal(events.at(-1)!.event, "end");
      },
    );

    await t.step("GET /api/events announces runs that change", async () => {
      const waiting = seeded.byName["waiting"];
      const reading = readEvents(
        `${url}api/events`,
        (list) => list.some((e) => (e.data as { id: string }).id === waiting),
      );
      await new Promise((r) => setTimeout(r, 400));
      store.updateRun(waiting, { status: "running", startedAt: Date.now() });
      const events = await reading;
      const changed = events.find((e) =>
        (e.data as { id: string }).id === waiting
      )!;
      assert.equal(changed.event, "run");
      assert.equal((changed.data as { status: string }).status, "running");
    });

    await t.step(
      "GET /api/compare gives paired ΔCPM, sensitivities and the component diff",
      async () => {
        const { status, body } = await getJson(
          `${url}api/compare?runs=${ref},${focal}&baseline=${ref}`,
        );
        assert.equal(status, 200);
        assert.equal(body.baselineId, ref);
        const runs = body.runs as {
          run: { id: string; cpm: number };
          delta: { deltaCpm: number; ci: number[]; pValue: number } | null;
        }[];
        assert.equal(runs[0].delta, null);
        const delta = runs[1].delta!;
        assert.ok(
          Math.abs(delta.deltaCpm - (runs[1].run.cpm - runs[0].run.cpm)) <
            1e-12,
        );
        assert.ok(delta.ci[0] <= delta.ci[1]);
        assert.ok(delta.pValue > 0 && delta.pValue <= 1);
        const diff = body.diff as {
          path: string;
          kind: string;
          values: string[];
        }[];
        assert.deepEqual(diff[0], {
          path: "model.loss.plugin",
          kind: "component",
          values: ['"balanced"', '"focal"'],
        });
        assert.ok(
          diff.some((d) =>
            d.path === "model.loss.options.gamma" && d.kind === "option"
          ),
        );
        assert.ok(diff.some((d) => d.path === "train.hard_mining.stages"));
        assert.ok(!diff.some((d) => d.path.startsWith("model.miner")));
      },
    );

    await t.step("GET /api/compare rejects bad input", async () => {
      const one = await getJson(`${url}api/compare?runs=${ref}`);
      assert.equal(one.status, 400);
      assert.equal((one.body.issues as { path: string }[])[0].path, "runs");
      const missing = await getJson(`${url}api/compare?runs=${ref},nope`);
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error, 'Cannot find run "nope"');
      const baseline = await getJson(
        `${url}api/compare?runs=${ref},${focal}&baseline=other`,
      );
      assert.equal(baseline.status, 400);
      const many = Array.from({ length: 13 }, (_, i) => `r${i}`).join(",");
      assert.equal(
        (await getJson(`${url}api/compare?runs=${many}`)).status,
        400,
      );
    });

    await t.step(
      "GET /api/ablations and /api/ablations/:id give the matrix and per-choice effects",
      async () => {
        const list = await getJson(`${url}api/ablations`);
        const grids = list.body.ablations as { id: string; runs: number }[];
        assert.deepEqual(grids.map((g) => [g.id, g.runs]), [[
          seeded.ablationId,
          4,
        ]]);
        const { status, body } = await getJson(
          `${url}api/ablations/${seeded.ablationId}`,
        );
        assert.equal(status, 200);
        assert.deepEqual(body.varied, ["model.miner"]);
        assert.equal(body.baseRunId, seeded.byName["miner-base"]);
        const effects = body.effects as {
          choice: string;
          cpm: number;
          delta: { deltaCpm: number };
        }[];
        assert.deepEqual(effects.map((e) => e.choice).sort(), [
          "all",
          "random(k=2)",
          "topk(k=3, per_sample=true)",
        ]);
        const baseCpm = store.getRun(seeded.byName["miner-base"])!.cpm!;
        for (const e of effects) {
          assert.ok(Math.abs(e.delta.deltaCpm - (e.cpm - baseCpm)) < 1e-12);
        }
        assert.equal((await getJson(`${url}api/ablations/nope`)).status, 404);
      },
    );

    await t.step(
      "GET /api/plugins describes every plugin's options",
      async () => {
        const { body } = await getJson(`${url}api/plugins`);
        const plugins = body.plugins as {
          kind: string;
          id: string;
          options: { name: string; default: unknown }[];
        }[];
        assert.deepEqual(
          plugins.map((p) => `${p.kind}/${p.id}`),
          dash.registry.all().map((d) => `${d.kind}/${d.id}`),
        );
        const topk = plugins.find((p) => p.id === "topk")!;
        assert.deepEqual(topk.options.find((o) => o.name === "k")!.default, 2);
        const sections = body.sections as Record<string, { name: string }[]>;
        assert.ok(sections.train.some((o) => o.name === "lr"));
      },
    );

    await t.step(
      "GET /api/experiments lists configs and reads one, resolved",
      async () => {
        const list = await getJson(`${url}api/experiments`);
        assert.deepEqual(list.body.experiments, [{
          file: "base/test.yaml",
          name: "test",
          grid: false,
        }]);
        const one = await getJson(`${url}api/experiments?file=base/test.yaml`);
        assert.equal(one.status, 200);
        assert.deepEqual(one.body.issues, []);
        const exp = one.body.experiment as {
          name: string;
          model: { miner: { options: { k: number } } };
        };
        assert.equal(exp.name, "test");
        assert.equal(exp.model.miner.options.k, 2);
        assert.equal(
          (await getJson(`${url}api/experiments?file=base/none.yaml`)).status,
          404,
        );
      },
    );

    await t.step(
      "POST /api/experiments/validate returns the resolved experiment or the CLI's issues",
      async () => {
        const good = await post(`${url}api/experiments/validate`, {
          experiment: experiment(dash, "good"),
        });
        assert.equal(good.status, 200);
        assert.equal(
          (good.body.resolved as {
            model: { miner: { options: { k: number } } };
          })
            .model.miner.options.k,
          3,
        );
        assert.match(String(good.body.hash), /^[0-9a-f]{64}$/);

        const raw = experiment(dash, "bad", {
          plugin: "topk",
          options: { k: 0 },
        });
        const bad = await post(`${url}api/experiments/validate`, {
          experiment: raw,
        });
        assert.equal(bad.status, 400);
        let expected: unknown;
        try {
          resolveExperiment(raw, dash.registry);
        } catch (error) {
          assert.ok(error instanceof ConfigError);
          expected = JSON.parse(JSON.stringify(error.issues));
        }
        assert.deepEqual(bad.body.issues, expected);
        assert.equal(
          formatConfigIssue((bad.body.issues as never[])[0]),
          'model.miner.options.k (plugin "topk"): Too small, expected >= 1, received 0',
        );
      },
    );

    await t.step(
      "validation lists unknown plugins with suggestions and wrong types",
      async () => {
        const raw = experiment(dash, "x", { plugin: "topq" });
        (raw.train as Record<string, unknown>).lr = "fast";
        (raw as Record<string, unknown>).name = "bad name!";
        const { status, body } = await post(`${url}api/experiments/validate`, {
          experiment: raw,
        });
        assert.equal(status, 400);
        const issues = body.issues as { path: string; message: string }[];
        assert.deepEqual(issues.map((i) => i.path).sort(), [
          "model.miner.plugin",
          "name",
          "train.lr",
        ]);
        const plugin = issues.find((i) => i.path === "model.miner.plugin")!;
        assert.match(formatConfigIssue(plugin as never), /did you mean "topk"/);
      },
    );

    await t.step(
      "request bodies: malformed JSON, wrong shape, wrong type, oversized",
      async () => {
        const malformed = await post(
          `${url}api/experiments/validate`,
          "{not json",
        );
        assert.equal(malformed.status, 400);
        assert.equal(
          malformed.body.error,
          "Cannot read request body: malformed JSON",
        );
        const shape = await post(`${url}api/experiments/validate`, {
          experiment: [],
          extra: 1,
        });
        assert.equal(shape.status, 400);
        assert.deepEqual(
          (shape.body.issues as { path: string }[]).map((i) => i.path).sort(),
          ["(body)", "experiment"],
        );
        const notObject = await post(`${url}api/runs`, "42");
        assert.equal(notObject.status, 400);
        const text = await post(`${url}api/runs`, "{}", "text/plain");
        assert.equal(text.status, 415);
        const huge = await post(`${url}api/experiments`, {
          experiment: { name: "x".repeat(MAX_BODY_BYTES) },
        });
        assert.equal(huge.status, 413);
        assert.match(String(huge.body.error), /larger than 1048576 bytes/);
        const method = await fetch(`${url}api/experiments/validate`);
        assert.equal(method.status, 405);
        assert.equal(method.headers.get("allow"), "POST");
        await method.body?.cancel();
      },
    );

    await t.step("POST /api/experiments saves YAML the CLI loads", async () => {
      const { status, body } = await post(`${url}api/experiments`, {
        experiment: experiment(dash, "saved-one"),
      });
      assert.equal(status, 201);
      assert.equal(body.file, "dashboard/saved-one.yaml");
      const path = join(dash.root, "configs", "dashboard", "saved-one.yaml");
      assert.ok(existsSync(path));
      const loaded = await loadExperiment(path, dash.registry);
      assert.equal(loaded.name, "saved-one");
      assert.equal(loaded.model.miner.options.k, 3);
      assert.match(
        readFileSync(path, "utf8"),
        /^# Saved by the Pleura dashboard/,
      );
    });

    await t.step(
      "POST /api/runs saves, records and launches a worker that finishes",
      async () => {
        const { status, body } = await post(`${url}api/runs`, {
          experiment: experiment(dash, "launched"),
        });
        assert.equal(status, 201);
        const run = body.run as { id: string; name: string; status: string };
        assert.equal(run.name, "launched");
        assert.ok(["queued", "running"].includes(run.status));
        await dash.dashboard.state.launcher.settled(run.id);
        const record = store.getRun(run.id)!;
        assert.equal(record.status, "done");
        assert.equal(record.slots.miner.plugin, "topk");
        const listed = await getJson(`${url}api/runs`);
        assert.equal((listed.body.runs as { id: string }[])[0].id, run.id);
        const messages = store.events(run.id).map((e) =>
          String(e.data.message)
        );
        assert.ok(
          messages.some((m) =>
            m.startsWith("Started worker: pleura plugins --json")
          ),
        );
        const rejected = await post(`${url}api/runs`, {
          experiment: experiment(dash, "launched", {
            plugin: "topk",
            options: { k: "two" },
          }),
        });
        assert.equal(rejected.status, 400);
        assert.equal(
          (rejected.body.issues as { path: string }[])[0].path,
          "model.miner.options.k",
        );
      },
    );

    await t.step("pages render on the server with their data", async () => {
      const pages: [string, RegExp][] = [
        ["", /reference/],
        [`runs/${ref}`, /Hard-mining stages/],
        [
          `runs/${ref}/scans/${scan0}?at=0,0,0`,
          /pleura-island data-name="CtViewer"/,
        ],
        [`compare?runs=${ref},${focal}`, /model\.loss\.plugin/],
        ["compare", /Choose two or more finished runs/],
        ["ablations", /miner/],
        [`ablations/${seeded.ablationId}`, /ablation-effects/],
        ["new", /data-name="NewRunForm"/],
        [`new?run=${focal}`, /Starting from <strong>run focal/],
        ["new?from=base/test.yaml", /configs\/base\/test\.yaml/],
      ];
      for (const [path, pattern] of pages) {
        const response = await fetch(url + path);
        const html = await response.text();
        assert.equal(response.status, 200, path);
        assert.match(response.headers.get("content-type")!, /^text\/html/);
        assert.match(html, /^<!DOCTYPE html>/);
        assert.match(html, pattern, path);
      }
      for (
        const path of [
          `runs/nope`,
          `ablations/nope`,
          `new?from=../x.yaml`,
          "nowhere",
        ]
      ) {
        const response = await fetch(url + path, {
          headers: { accept: "text/html" },
        });
        assert.equal(response.status, 404, path);
        assert.match(await response.text(), /id="not-found"/);
      }
    });

    await t.step(
      "static files: the stylesheet and the island bundle",
      async () => {
        const css = await fetch(`${url}static/styles.css`);
        assert.equal(css.status, 200);
        assert.match(css.headers.get("content-type")!, /^text\/css/);
        assert.match(await css.text(), /--accent/);
        const boot = await fetch(`${url}static/js/boot.js`);
        assert.equal(boot.status, 200);
        const code = await boot.text();
        for (
          const island of [
            "RunTable",
            "CtViewer",
            "NewRunForm",
            "LiveProgress",
            "SortableTable",
          ]
        ) {
          assert.ok(code.includes(island), island);
        }
        assert.equal(boot.headers.get("x-content-type-options"), "nosniff");
        assert.equal((await getJson(`${url}static/missing.js`)).status, 404);
      },
    );
  } finally {
    await dash.close();
  }
});
