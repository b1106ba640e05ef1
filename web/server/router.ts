/**
 * A small file router over `web/routes/`, in the layout of Fresh: each file
 * is one URL pattern (`runs/[id].tsx` → `/runs/:id`, `index.tsx` → `/`),
 * exporting `handler` (a function, or one function per HTTP method) and/or a
 * default page component rendered with the handler's data. Files and folders
 * whose name starts with `_`, and `*_test.ts(x)`, are not routes.
 *
 * @module
 */

import { type ComponentType, h, type VNode } from "preact";

/** HTTP methods a route may answer. */
export type Method = "GET" | "POST" | "PUT" | "DELETE" | "HEAD";

/** What every handler receives besides the request. */
export interface RouteContext<State, Data = unknown> {
  /** The parsed request URL. */
  readonly url: URL;
  /** Values of the pattern's `:name` groups, already percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** Application state (the run store, the registry…). */
  readonly state: State;
  /** Renders the route's page component with `data` into a full HTML response. */
  render(data: Data, init?: ResponseInit): Response;
}

/** Answers one request. */
export type Handler<State, Data = unknown> = (
  request: Request,
  context: RouteContext<State, Data>,
) => Response | Promise<Response>;

/** One handler per method. */
export type Handlers<State, Data = unknown> = Partial<
  Record<Method, Handler<State, Data>>
>;

/** Props of a page component. */
export interface PageProps<Data> {
  /** What the handler passed to `render`. */
  readonly data: Data;
  /** The request URL. */
  readonly url: URL;
  /** The pattern's parameters. */
  readonly params: Readonly<Record<string, string>>;
}

/** What a route file exports. */
export interface RouteModule<State> {
  /** The handler(s); a page without one renders with `data` undefined on GET. */
  // deno-lint-ignore no-explicit-any
  readonly handler?: Handler<State, any> | Handlers<State, any>;
  /** The page component. */
  // deno-lint-ignore no-explicit-any
  readonly default?: ComponentType<PageProps<any>>;
}

/** One route: its pattern and module. */
export interface Route<State> {
  /** The pathname pattern, e.g. `/runs/:id`. */
  readonly pattern: string;
  /** The file it came from, relative to the routes folder. */
  readonly file: string;
  /** The module. */
  readonly module: RouteModule<State>;
}

/**
 * The pathname pattern of a route file: `index` names its folder, `[name]`
 * a parameter, `[...name]` the rest of the path.
 *
 * @param file path relative to the routes folder, with `/` separators
 * @returns a `URLPattern` pathname, e.g. `/api/runs/:id/events`
 *
 * @example
 * ```ts
 * import { patternOf } from "./router.ts";
 * patternOf("runs/[id].tsx"); // "/runs/:id"
 * patternOf("index.tsx"); // "/"
 * ```
 */
export function patternOf(file: string): string {
  const segments = file.replace(/\.(tsx|ts)$/, "").split("/");
  if (segments[segments.length - 1] === "index") segments.pop();
  const parts = segments.map((segment) => {
    const rest = /^\[\.\.\.([A-Za-z_][A-Za-z0-9_]*)\]$/.exec(segment);
    if (rest) return `:${rest[1]}(.*)`;
    const param = /^\[([A-Za-z_][A-Za-z0-9_]*)\]$/.exec(segment);
    if (param) return `:${param[1]}`;
    if (!/^[a-z0-9][a-z0-9-]*$/.test(segment)) {
      throw new TypeError(
        `Cannot route file "${file}": segment "${segment}" is not kebab-case or [param], expected lowercase words joined by "-"`,
      );
    }
    return segment;
  });
  return "/" + parts.join("/");
}

/** Sort key: static segments before parameters, parameters before rest patterns. */
function specificity(pattern: string): number[] {
  return pattern.split("/").slice(1).map((segment) =>
    segment.endsWith("(.*)") ? 2 : segment.startsWith(":") ? 1 : 0
  );
}

function compareRoutes(a: string, b: string): number {
  const sa = specificity(a), sb = specificity(b);
  const restA = sa.includes(2) ? 1 : 0, restB = sb.includes(2) ? 1 : 0;
  if (restA !== restB) return restA - restB;
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    if (sa[i] !== sb[i]) return sa[i] - sb[i];
  }
  return sb.length - sa.length;
}

/**
 * Finds every route file under `dir` and imports it.
 *
 * @param dir the routes folder (a `file:` URL)
 * @returns the routes, most specific first
 */
export async function loadRoutes<State>(dir: URL): Promise<Route<State>[]> {
  const files: string[] = [];
  const walk = async (sub: string) => {
    for await (const entry of Deno.readDir(new URL(sub, dir))) {
      if (entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
      const rel = sub + entry.name;
      if (entry.isDirectory) await walk(rel + "/");
      else if (
        /\.(ts|tsx)$/.test(entry.name) && !/_test\.tsx?$/.test(entry.name)
      ) {
        files.push(rel);
      }
    }
  };
  await walk("");
  const routes: Route<State>[] = [];
  for (const file of files.sort()) {
    const module = await import(new URL(file, dir).href) as RouteModule<State>;
    if (!module.handler && !module.default) {
      throw new TypeError(
        `Cannot route file "${file}": it exports neither "handler" nor a default page, expected at least one`,
      );
    }
    routes.push({ pattern: patternOf(file), file, module });
  }
  return routes.sort((a, b) => compareRoutes(a.pattern, b.pattern));
}

/** Turns a page element into a complete HTML response. */
// deno-lint-ignore no-explicit-any
export type PageRenderer = (page: VNode<any>, init?: ResponseInit) => Response;

/** Answers requests no route matched, and errors a handler threw. */
export interface RouterFallbacks {
  /** No route matched the path (or the method). */
  notFound(request: Request, url: URL): Response;
  /** The route does not answer this method. */
  methodNotAllowed(request: Request, allowed: readonly Method[]): Response;
  /** A handler threw. */
  error(request: Request, url: URL, error: unknown): Response;
}

/**
 * Creates the request handler from the routes.
 *
 * @param routes from {@linkcode loadRoutes}
 * @param state handed to every handler
 * @param renderPage makes the HTML response of a page
 * @param fallbacks 404, 405 and 500 answers
 * @returns a function answering each request
 */
export function createRouter<State>(
  routes: readonly Route<State>[],
  state: State,
  renderPage: PageRenderer,
  fallbacks: RouterFallbacks,
): (request: Request) => Promise<Response> {
  const compiled = routes.map((route) => ({
    route,
    pattern: new URLPattern({ pathname: route.pattern }),
  }));
  return async (request) => {
    const url = new URL(request.url);
    for (const { route, pattern } of compiled) {
      const match = pattern.exec({ pathname: url.pathname });
      if (!match) continue;
      const params: Record<string, string> = {};
      for (const [key, value] of Object.entries(match.pathname.groups)) {
        if (value === undefined) continue;
        try {
          params[key] = decodeURIComponent(value);
        } catch {
          return fallbacks.notFound(request, url);
        }
      }
      const module = route.module;
      const Page = module.default;
      const context: RouteContext<State> = {
        url,
        params,
        state,
        render: (data, init) => {
          if (!Page) {
            throw new TypeError(
              `Cannot render route "${route.file}": it has no default page component`,
            );
          }
          return renderPage(h(Page, { data, url, params }), init);
        },
      };
      const method =
        (request.method === "HEAD" ? "GET" : request.method) as Method;
      let handler: Handler<State> | undefined;
      let allowed: Method[];
      if (typeof module.handler === "function") {
        handler = module.handler;
        allowed = ["GET", "POST", "PUT", "DELETE"];
      } else if (module.handler) {
        handler = module.handler[method];
        allowed = Object.keys(module.handler) as Method[];
      } else {
        handler = method === "GET"
          ? (_req, ctx) => ctx.render(undefined)
          : undefined;
        allowed = ["GET"];
      }
      if (!handler) return fallbacks.methodNotAllowed(request, allowed);
      try {
        return await handler(request, context);
      } catch (error) {
        return fallbacks.error(request, url, error);
      }
    }
    return fallbacks.notFound(request, url);
  };
}
