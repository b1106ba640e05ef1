import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Page } from "playwright-core";
import {
  ConfigError,
  formatConfigIssue,
  PLUGIN_KINDS,
  resolveExperiment,
} from "../core/mod.ts";
import { startTestDashboard } from "./testing/harness.ts";

const CHROMIUM = "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const SKIP_REASON = HAVE_CHROMIUM
  ? ""
  : ` (skipped: ${CHROMIUM} is absent; apt-get install -y --no-install-recommends chromium fonts-liberation)`;
/**
 * Where the screenshots go: `docs/screenshots/` (the README's images) only
 * when asked with PLEURA_SCREENSHOTS=1 (`deno task screenshots`); otherwise a
 * temporary folder, so a test run leaves the tracked files alone.
 */
const SCREENSHOTS = Deno.env.get("PLEURA_SCREENSHOTS") === "1"
  ? new URL("../docs/screenshots/", import.meta.url)
  : pathToFileURL(mkdtempSync(join(tmpdir(), "pleura-screenshots-")) + "/");

/** Console errors, except the browser's own line for an expected 4xx answer. */
function watchConsole(page: Page, expected4xx: RegExp[] = []): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const text = message.text();
    const is4xx = /status of 4\d\d/.test(text);
    const url = message.location().url;
    if (is4xx && expected4xx.some((re) => re.test(url))) return;
    problems.push(`${text} (${url})`);
  });
  page.on(
    "pageerror",
    (error) => problems.push(`page error: ${error.message}`),
  );
  return problems;
}

Deno.test({
  name: `dashboard pages work in headless Chromium${SKIP_REASON}`,
  ignore: !HAVE_CHROMIUM,
  // playwright-core keeps its pipe to the browser in Node-compat handles.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const dash = await startTestDashboard({ compareResamples: 200 });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
    const { url, seeded } = dash;
    const store = dash.dashboard.state.store;
    try {
      await t.step(
        "the runs page lists the seeded runs and filters by component",
        async () => {
          const page = await browser.newPage({
            viewport: { width: 1440, height: 900 },
          });
          const problems = watchConsole(page);
          await page.goto(url);
          const rows = page.locator("table.runs tbody tr");
          assert.equal(await rows.count(), seeded.runIds.length);
          for (const name of ["reference", "focal", "miner-base", "too-big"]) {
            assert.equal(
              await page.locator("a.run-name", {
                hasText: new RegExp(`^${name}$`),
              }).count(),
              1,
              name,
            );
          }
          // Wait for hydration, then filter: only the focal-loss run remains.
          await page.waitForSelector(
            'pleura-island[data-name="RunTable"][data-hydrated]',
          );
          await page.selectOption("select[name=loss]", "focal");
          await page.waitForFunction(() =>
            document.querySelectorAll("table.runs tbody tr").length === 1
          );
          assert.equal(
            await rows.first().getAttribute("data-run-id"),
            seeded.byName["focal"],
          );
          assert.match(page.url(), /[?&]loss=focal/);
          await page.selectOption("select[name=loss]", "");
          await page.waitForFunction(
            (n) =>
              document.querySelectorAll("table.runs tbody tr").length === n,
            seeded.runIds.length,
          );
          await page.screenshot({
            path: new URL("runs.png", SCREENSHOTS).pathname,
          });
          assert.deepEqual(problems, []);
          await page.close();
        },
      );

      await t.step(
        "selecting two runs opens the compare page: two FROC curves, the swapped component named",
        async () => {
          const page = await browser.newPage({
            viewport: { width: 1440, height: 1000 },
          });
          const problems = watchConsole(page);
          await page.goto(url);
          await page.waitForSelector(
            'pleura-island[data-name="RunTable"][data-hydrated]',
          );
          const reference = seeded.byName["reference"],
            focal = seeded.byName["focal"];
          await page.check(
            `tr[data-run-id="${reference}"] input[type=checkbox]`,
          );
          await page.check(`tr[data-run-id="${focal}"] input[type=checkbox]`);
          await page.click("#compare-selected");
          await page.waitForURL(/\/compare\?runs=/);
          assert.equal(
            new URL(page.url()).searchParams.get("runs"),
            `${reference},${focal}`,
          );
          const chart = page.locator("#froc-overlay svg.froc-chart");
          assert.equal(await chart.locator("path.curve").count(), 2);
          assert.equal(await chart.locator("path.band").count(), 2);
          assert.deepEqual(
            await chart.locator("g.series").evaluateAll((gs) =>
              gs.map((g) => g.getAttribute("data-label"))
            ),
            ["reference", "focal"],
          );
          const component = page.locator(
            '#config-diff tr[data-path="model.loss.plugin"]',
          );
          assert.equal(await component.count(), 1);
          assert.match(
            await component.innerText(),
            /component\s+"balanced"\s+"focal"/,
          );
          const delta = page.locator(`#deltas tr[data-run-id="${focal}"]`);
          assert.match(
            await delta.innerText(),
            /[+−]0\.\d{3}\s+\[-?\d\.\d{3}, -?\d\.\d{3}\]\s+(<0\.001|\d\.\d{3})/,
          );
          await page.screenshot({
            path: new URL("compare.png", SCREENSHOTS).pathname,
            fullPage: true,
          });
          assert.deepEqual(problems, []);
          await page.close();
        },
      );

      await t.step(
        "the run page shows FROC, stages, curves and lists that open the viewer",
        async () => {
          const page = await browser.newPage({
            viewport: { width: 1440, height: 1000 },
          });
          const problems = watchConsole(page);
          const id = seeded.byName["reference"];
          await page.goto(`${url}runs/${id}`);
          assert.equal(
            await page.locator("#run-cpm").innerText(),
            store.getRun(id)!.cpm!.toFixed(3),
          );
          assert.equal(
            await page.locator("#froc svg.froc-chart path.curve").count(),
            1,
          );
          assert.equal(await page.locator("table.stages tbody tr").count(), 2);
          assert.equal(await page.locator("#curves svg.line-chart").count(), 2);
          assert.ok(
            await page.locator("table.missed a.open-viewer").count() > 0,
          );
          await page.screenshot({
            path: new URL("run.png", SCREENSHOTS).pathname,
            fullPage: true,
          });
          assert.deepEqual(problems, []);
          await page.close();
        },
      );

      await t.step(
        "a failed run shows its error and stays put; a running one streams progress",
        async () => {
          const page = await browser.newPage();
          const problems = watchConsole(page);
          let loads = 0;
          page.on("load", () => loads++);
          await page.goto(`${url}runs/${seeded.byName["too-big"]}`);
          await page.waitForSelector(
            'pleura-island[data-name="LiveProgress"][data-hydrated]',
          );
          assert.match(
            await page.locator(".live .error-box").innerText(),
            /out of memory/,
          );
          await page.waitForTimeout(1200);
          assert.equal(loads, 1);

          const live = seeded.byName["long-training"];
          await page.goto(`${url}runs/${live}`);
          await page.waitForSelector(
            'pleura-island[data-name="LiveProgress"][data-hydrated]',
          );
          store.appendEvent(live, "log", {
            level: "info",
            message: "epoch 3 of 5",
          });
          store.appendEvent(live, "progress", {
            kind: "step",
            task: "train",
            done: 50,
            total: 60,
          });
          await page.waitForFunction(() =>
            document.querySelector(".live .log")?.textContent?.includes(
              "epoch 3 of 5",
            )
          );
          await page.waitForFunction(() =>
            document.querySelector(".live .progress-bar > div")?.getAttribute(
              "style",
            )?.includes("83.3%")
          );
          assert.deepEqual(problems, []);
          await page.close();
        },
      );

      await t.step(
        "the CT viewer draws a slice with its mask outline and a detection box",
        async () => {
          const page = await browser.newPage({
            viewport: { width: 1280, height: 900 },
          });
          const problems = watchConsole(page);
          const id = seeded.byName["reference"];
          const scan = seeded.truth.seriesuids[0];
          const nodule = seeded.truth.annotations.find((n) =>
            n.seriesuid === scan
          )!;
          await page.goto(
            `${url}runs/${id}/scans/${scan}?at=${nodule.worldMm.join(",")}`,
          );
          const canvas = page.locator("#ct-canvas");
          const z = Math.round((nodule.worldMm[0] + 50) / 2.5);
          await page.waitForFunction(
            (slice) =>
              document.querySelector("#ct-canvas")?.getAttribute(
                "data-slice",
              ) === String(slice),
            z,
          );
          assert.ok(Number(await canvas.getAttribute("data-boxes")) >= 1);
          assert.ok(Number(await canvas.getAttribute("data-circles")) >= 1);
          const colours = await canvas.evaluate((c: HTMLCanvasElement) => {
            const data =
              c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
            const count = (r: number, g: number, b: number) => {
              let n = 0;
              for (let i = 0; i < data.length; i += 4) {
                if (
                  Math.abs(data[i] - r) < 12 &&
                  Math.abs(data[i + 1] - g) < 12 &&
                  Math.abs(data[i + 2] - b) < 12
                ) n++;
              }
              return n;
            };
            return {
              box: count(0xfa, 0xcc, 0x15) + count(0xf4, 0x72, 0xb6),
              mask: count(56, 189, 248),
              grey: count(128, 128, 128) + count(20, 20, 20),
            };
          });
          assert.ok(colours.box > 40, `detection box pixels: ${colours.box}`);
          assert.ok(colours.mask > 100, `mask outline pixels: ${colours.mask}`);
          // Scrolling moves one slice.
          await canvas.hover();
          await page.mouse.wheel(0, 120);
          await page.waitForFunction(
            (slice) =>
              document.querySelector("#ct-canvas")?.getAttribute(
                "data-slice",
              ) === String(slice),
            z + 1,
          );
          await page.selectOption("#window-preset", "mediastinum");
          await page.screenshot({
            path: new URL("viewer.png", SCREENSHOTS).pathname,
          });
          assert.deepEqual(problems, []);
          await page.close();
        },
      );

      await t.step(
        "the new-run form shows the CLI's message at a bad option, then launches a good one",
        async () => {
          const page = await browser.newPage({
            viewport: { width: 1440, height: 1000 },
          });
          // The rejected submission answers 400, which Chromium logs.
          const problems = watchConsole(page, [/\/api\/runs$/]);
          await page.goto(`${url}new`);
          await page.waitForSelector(
            'pleura-island[data-name="NewRunForm"][data-hydrated]',
          );
          await page.fill("#field-name", "from-the-form");
          await page.selectOption("#plugin-miner", "topk");
          await page.fill("#field-model-miner-options-k", "0");
          await page.click("#launch");
          const error = page.locator(
            '[data-field="model.miner.options.k"] .field-error',
          );
          await error.waitFor();
          // The same line the CLI prints for this experiment.
          const model: Record<string, unknown> = {};
          for (const kind of PLUGIN_KINDS) {
            model[kind] = { plugin: dash.registry.ids(kind)[0] };
          }
          model.miner = { plugin: "topk", options: { k: 0 } };
          let expected = "";
          try {
            resolveExperiment({ name: "x", model }, dash.registry);
          } catch (e) {
            assert.ok(e instanceof ConfigError);
            expected = formatConfigIssue(e.issues[0]);
          }
          assert.equal(await error.innerText(), expected);
          assert.equal(
            await page.locator('[data-field="model.miner.options.k"]')
              .getAttribute("class"),
            "field invalid",
          );
          const before = store.listRuns().length;
          await page.fill("#field-model-miner-options-k", "3");
          await page.click("#launch");
          await page.waitForURL(/\/runs\/\d{8}-\d{6}-[0-9a-f]{4}$/);
          const runId = page.url().split("/").at(-1)!;
          assert.equal(store.listRuns().length, before + 1);
          assert.equal(store.getRun(runId)!.name, "from-the-form");
          assert.deepEqual(store.getRun(runId)!.slots.miner.options, {
            k: 3,
            per_sample: true,
          });
          await dash.dashboard.state.launcher.settled(runId);
          await page.goto(url);
          const row = page.locator(`tr[data-run-id="${runId}"]`);
          assert.match(await row.innerText(), /from-the-form[\s\S]*done/);
          assert.deepEqual(problems, []);
          await page.close();
        },
      );
    } finally {
      await browser.close();
      await dash.close();
    }
  },
});
