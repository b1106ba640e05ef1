import assert from "node:assert/strict";
import { h } from "preact";
import { renderToString } from "preact-render-to-string";
import {
  createRouter,
  type Handlers,
  loadRoutes,
  patternOf,
  type Route,
  type RouteModule,
} from "./router.ts";

Deno.test("patternOf() maps route files to URL patterns", () => {
  assert.equal(patternOf("index.tsx"), "/");
  assert.equal(patternOf("compare.tsx"), "/compare");
  assert.equal(patternOf("runs/[id].tsx"), "/runs/:id");
  assert.equal(patternOf("runs/[id]/scans/[uid].tsx"), "/runs/:id/scans/:uid");
  assert.equal(patternOf("api/runs/index.ts"), "/api/runs");
  assert.equal(patternOf("static/[...path].ts"), "/static/:path(.*)");
  assert.throws(() => patternOf("Runs.tsx"), {
    name: "TypeError",
    message:
      'Cannot route file "Runs.tsx": segment "Runs" is not kebab-case or [param], expected lowercase words joined by "-"',
  });
  assert.throws(() => patternOf("new_run.tsx"), /segment "new_run"/);
});

function route(pattern: string, module: RouteModule<string>): Route<string> {
  return { pattern, file: pattern, module };
}

const fallbacks = {
  notFound: () => new Response("not found", { status: 404 }),
  methodNotAllowed: (_r: Request, allowed: readonly string[]) =>
    new Response(allowed.join(","), { status: 405 }),
  error: (_r: Request, _u: URL, e: unknown) =>
    new Response(String((e as Error).message), { status: 500 }),
};

const renderPage = (page: Parameters<typeof renderToString>[0]) =>
  new Response(renderToString(page));

Deno.test("createRouter() prefers static segments, decodes parameters and answers 404/405/500", async () => {
  const handlers: Handlers<string> = {
    GET: (_r, ctx) => new Response(`run ${ctx.params.id} ${ctx.state}`),
  };
  const router = createRouter(
    [
      route("/runs/new", { handler: () => new Response("static") }),
      route("/runs/:id", { handler: handlers }),
      route("/boom", {
        handler: () => {
          throw new Error("exploded");
        },
      }),
      route("/page", {
        default: ({ data }: { data: unknown }) => h("p", null, `data=${data}`),
      }),
    ],
    "state",
    renderPage,
    fallbacks,
  );
  const text = async (path: string, init?: RequestInit) => {
    const r = await router(new Request(`http://x${path}`, init));
    return [r.status, await r.text()];
  };
  assert.deepEqual(await text("/runs/new"), [200, "static"]);
  assert.deepEqual(await text("/runs/a%20b"), [200, "run a b state"]);
  assert.deepEqual(await text("/runs/%E0%A4%A"), [404, "not found"]);
  assert.deepEqual(await text("/runs/x", { method: "POST" }), [405, "GET"]);
  assert.deepEqual(await text("/boom"), [500, "exploded"]);
  assert.deepEqual(await text("/page"), [200, "<p>data=undefined</p>"]);
  assert.deepEqual(await text("/page", { method: "DELETE" }), [405, "GET"]);
  assert.deepEqual(await text("/nowhere"), [404, "not found"]);
});

Deno.test("loadRoutes() loads every route under web/routes, most specific first", async () => {
  const routes = await loadRoutes(new URL("../routes/", import.meta.url));
  const patterns = routes.map((r) => r.pattern);
  for (
    const expected of [
      "/",
      "/runs/:id",
      "/runs/:id/scans/:uid",
      "/compare",
      "/new",
      "/ablations",
      "/ablations/:id",
      "/api/runs",
      "/api/runs/:id/events",
      "/api/runs/:id/scans/:uid/slices/:z",
      "/static/:path(.*)",
    ]
  ) {
    assert.ok(patterns.includes(expected), expected);
  }
  assert.equal(new Set(patterns).size, patterns.length);
  // An address made from each pattern is routed to that pattern first.
  const compiled = patterns.map((p) => new URLPattern({ pathname: p }));
  for (const pattern of patterns) {
    const path = pattern.replace(/:[a-z]+\(\.\*\)/gi, "a/b")
      .replace(/:[a-z]+/gi, "x1");
    const first = compiled.findIndex((c) => c.test({ pathname: path }));
    assert.equal(patterns[first], pattern, path);
  }
  assert.equal(patterns.at(-1), "/static/:path(.*)");
});
