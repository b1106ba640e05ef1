/**
 * Server rendering of pages: a page element to a complete HTML response.
 *
 * @module
 */

import { h, type VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import { NotFound } from "../components/NotFound.tsx";

/** Renders a page element to a complete HTML response. */
// deno-lint-ignore no-explicit-any
export function renderPage(page: VNode<any>, init?: ResponseInit): Response {
  const html = "<!DOCTYPE html>" + renderToString(page);
  const response = new Response(html, init);
  response.headers.set("content-type", "text/html; charset=utf-8");
  return response;
}

/** The 404 page, saying what was not found. */
export function notFoundPage(message: string): Response {
  return renderPage(h(NotFound, { message }), { status: 404 });
}
