/**
 * Runs a Worker module in real workerd for tests and benchmarks: bundled
 * with esbuild the way a Worker is deployed, served by Miniflare on
 * 127.0.0.1 with the `ACTORS` Durable Object namespace.
 *
 * @module
 */
import { Miniflare } from "miniflare";

const ROOT = new URL("../../", import.meta.url).pathname;
const ESBUILD = `${ROOT}node_modules/.bin/esbuild`;

/** The esbuild flags of a Worker bundle. */
export const WORKER_BUNDLE_ARGS = [
  "--bundle",
  "--format=esm",
  "--platform=neutral",
  "--target=es2022",
  "--main-fields=module,main",
  "--conditions=workerd,worker,browser",
];

/**
 * Bundles a Worker module.
 *
 * @param entry Path from the repository root.
 * @param options `minify` for a deployable size.
 * @returns The bundled script.
 */
export async function bundleWorker(entry: string, options: { minify?: boolean } = {}) {
  const args = [entry, ...WORKER_BUNDLE_ARGS, "--log-level=error"];
  if (options.minify) args.push("--minify");
  const { success, stdout, stderr } = await new Deno.Command(ESBUILD, {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(`esbuild failed:\n${new TextDecoder().decode(stderr)}`);
  return new TextDecoder().decode(stdout);
}

/** A running workerd. */
export interface Workerd {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  url: string;
  /** Miniflare, for its dispatchFetch. */
  mf: Miniflare;
  /** Stops workerd. */
  dispose(): Promise<void>;
}

/**
 * Starts workerd with a bundled Worker.
 *
 * @param script The bundle.
 * @param options `persist`: a directory that keeps Durable Object storage
 *   across restarts; `binding: false` leaves the namespace out.
 * @returns The running workerd.
 */
export async function startWorkerd(
  script: string,
  options: { persist?: string; binding?: boolean } = {},
): Promise<Workerd> {
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: "2026-04-01",
    host: "127.0.0.1",
    durableObjects: options.binding === false ? {} : { ACTORS: "ActorDurableObject" },
    durableObjectsPersist: options.persist ?? false,
  });
  const url = (await mf.ready).href.replace(/\/$/, "");
  return { url, mf, dispose: () => mf.dispose() };
}
