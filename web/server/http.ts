/**
 * JSON responses and request-body validation for the API routes: bodies are
 * size-limited, parsed and checked with zod; bad input gets a 400 listing
 * every problem with its path, in the shape of the CLI's `ConfigError`
 * issues.
 *
 * @module
 */

import type { z } from "zod";
import type { ConfigIssue } from "../../core/mod.ts";

/** Largest request body the API accepts, in bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Headers every response carries. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

/** A JSON response. */
export function json(
  data: unknown,
  status = 200,
  headers?: HeadersInit,
): Response {
  const response = new Response(JSON.stringify(data), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
  for (const [k, v] of new Headers(headers)) response.headers.set(k, v);
  return response;
}

/** The body of every error answer: a message and, for bad input, the problems. */
export interface Problem {
  /** One sentence saying what could not be done. */
  readonly error: string;
  /** Every problem found, each with its dotted path. */
  readonly issues?: readonly ConfigIssue[];
}

/** An error answer in the {@linkcode Problem} shape. */
export function problem(
  status: number,
  error: string,
  issues?: readonly ConfigIssue[],
): Response {
  return json(issues ? { error, issues } : { error }, status);
}

/** 404 for an unknown run (or ablation, scan…). */
export function notFound(what: string, id: string): Response {
  return problem(404, `Cannot find ${what} ${JSON.stringify(id)}`);
}

/** Turns zod issues into problems with dotted paths. */
export function issuesFromZod(
  error: z.ZodError,
  prefix = "",
): ConfigIssue[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== "")
      .join(".");
    const out: ConfigIssue = {
      path: path === "" ? "(body)" : path,
      message: issue.message,
    };
    return out;
  });
}

/**
 * Reads a JSON body of at most `maxBytes`, validates it with `schema`.
 *
 * @returns the parsed value, or the error response to send (413 too large,
 *   415 not JSON, 400 malformed or invalid with every problem listed)
 */
export async function readJsonBody<S extends z.ZodType>(
  request: Request,
  schema: S,
  maxBytes = MAX_BODY_BYTES,
): Promise<
  { ok: true; value: z.output<S> } | { ok: false; response: Response }
> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    await request.body?.cancel();
    return {
      ok: false,
      response: problem(
        415,
        `Cannot read request body: content type is ${
          JSON.stringify(type)
        }, expected "application/json"`,
      ),
    };
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await request.body?.cancel();
    return { ok: false, response: tooLarge(maxBytes) };
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        return { ok: false, response: tooLarge(maxBytes) };
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      response: problem(400, "Cannot read request body: malformed JSON", [{
        path: "(body)",
        message: `Malformed JSON: ${detail}`,
        expected: "a JSON document",
      }]),
    };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      response: problem(
        400,
        "Cannot accept request body: it does not match the expected shape",
        issuesFromZod(parsed.error),
      ),
    };
  }
  return { ok: true, value: parsed.data };
}

function tooLarge(maxBytes: number): Response {
  return problem(
    413,
    `Cannot read request body: it is larger than ${maxBytes} bytes, expected at most ${maxBytes}`,
  );
}

/**
 * Validates query parameters with `schema` (each parameter's first value).
 *
 * @returns the parsed value or the 400 response listing the problems
 */
export function readQuery<S extends z.ZodType>(
  url: URL,
  schema: S,
): { ok: true; value: z.output<S> } | { ok: false; response: Response } {
  const raw: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (!(key in raw)) raw[key] = value;
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    response: problem(
      400,
      "Cannot accept query: it does not match the expected parameters",
      issuesFromZod(parsed.error),
    ),
  };
}
