/**
 * The demo's HTTP entry: the web page and its assets (with a strict
 * Content-Security-Policy), the gateway under `/gw/`, and every other path
 * to the switchyard server (actors at `/actors/...`, the message router at
 * `/messages`).
 *
 * @module
 */
import type { Server } from "../../mod.ts";
import type { registry } from "../actors.ts";
import type { DemoGateway } from "./demo_gateway.ts";

/** The page's static files and its bundled module. */
export interface DemoAssets {
  /** `index.html`. */
  html: string;
  /** `style.css`. */
  css: string;
  /** The bundled `app.ts`. */
  js: string;
}

/**
 * The policy of every page asset: scripts, styles and connections from this
 * origin only (WebSockets included), no inline code, no plug-ins, no framing.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">` +
  `<rect width="16" height="16" rx="3" fill="#2a6f4e"/>` +
  `<path d="M3 5h10M3 11h10M8 5v6" stroke="#fff" stroke-width="2"/></svg>`;

/**
 * Reads the page's files next to this module.
 *
 * @param js The bundled page module.
 * @returns The assets.
 */
export async function readAssets(js: string): Promise<DemoAssets> {
  const read = (name: string) => Deno.readTextFile(new URL(name, import.meta.url));
  return { html: await read("index.html"), css: await read("style.css"), js };
}

/** Options of {@linkcode createDemoHandler}. */
export interface DemoHandlerOptions {
  /** The switchyard server. */
  server: Server<typeof registry>;
  /** The gateway, for `/gw/*`. */
  gateway: DemoGateway;
  /** The page. */
  assets: DemoAssets;
  /** A JSON description of the running demo, served at `/demo/info`. */
  info: Record<string, unknown>;
}

function asset(body: string, type: string): Response {
  return new Response(body, {
    headers: {
      "content-type": type,
      "content-security-policy": CONTENT_SECURITY_POLICY,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cache-control": "no-store",
    },
  });
}

/**
 * Builds the demo's request handler.
 *
 * @param options Server, gateway, page and info.
 * @returns A handler for `Deno.serve`.
 */
export function createDemoHandler(
  options: DemoHandlerOptions,
): (request: Request, info: Deno.ServeHandlerInfo) => Promise<Response> {
  const { server, gateway, assets } = options;
  const files: Record<string, () => Response> = {
    "/": () => asset(assets.html, "text/html; charset=utf-8"),
    "/app.js": () => asset(assets.js, "text/javascript; charset=utf-8"),
    "/style.css": () => asset(assets.css, "text/css; charset=utf-8"),
    "/favicon.svg": () => asset(FAVICON, "image/svg+xml"),
    "/demo/info": () => asset(JSON.stringify(options.info), "application/json"),
    "/demo/routes": () => asset(JSON.stringify(gateway.routes), "application/json"),
  };
  return (request, info) => {
    const { pathname } = new URL(request.url);
    const file = Object.hasOwn(files, pathname) ? files[pathname] : undefined;
    if (file && (request.method === "GET" || request.method === "HEAD")) {
      return Promise.resolve(file());
    }
    if (pathname === "/gw" || pathname.startsWith("/gw/")) {
      const address = info.remoteAddr as Deno.NetAddr;
      return gateway.handle(request, address.hostname);
    }
    return server.fetch(request);
  };
}
