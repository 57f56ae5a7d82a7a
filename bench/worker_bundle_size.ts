/**
 * Bundle sizes a deployment ships, with the inputs that take the most room
 * (esbuild's metafile, grouped by package or by source folder):
 *
 * - **examples/worker.ts**, the Cloudflare example Worker, bundled as
 *   `wrangler deploy` does (`--platform=neutral`, workerd conditions) and
 *   minified;
 * - **src/client/mod.ts**, the browser client (`--platform=browser`),
 *   minified.
 *
 * Sizes are in KB of 1,024 bytes; gzip is the default level of
 * `CompressionStream`.
 *
 *   ./node_modules/.bin/deno run -A bench/worker_bundle_size.ts [--top 8]
 *
 * @module
 */
import * as esbuild from "esbuild";
import { numberArg } from "./_bench_util.ts";

const TOP = numberArg("top", 8);
const ROOT = new URL("../", import.meta.url).pathname;

/** The esbuild options of a Worker bundle (the flags of tests/cloudflare/workerd.ts). */
const WORKER: esbuild.BuildOptions = {
  format: "esm",
  platform: "neutral",
  target: "es2022",
  mainFields: ["module", "main"],
  conditions: ["workerd", "worker", "browser"],
};

/** The esbuild options of the browser client bundle. */
const BROWSER: esbuild.BuildOptions = { format: "esm", platform: "browser", target: "es2022" };

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

async function gzipSize(bytes: Uint8Array): Promise<number> {
  const stream = new Blob([new Uint8Array(bytes)]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return (await new Response(stream).arrayBuffer()).byteLength;
}

async function report(entry: string, options: esbuild.BuildOptions): Promise<void> {
  const result = await esbuild.build({
    ...options,
    entryPoints: [entry],
    absWorkingDir: ROOT,
    bundle: true,
    minify: true,
    write: false,
    metafile: true,
    logLevel: "error",
  });
  const bytes = result.outputFiles[0]!.contents;
  const output = Object.values(result.metafile.outputs)[0]!;
  const groups = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    const m = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
    const group = m ? m[1]! : path.split("/").slice(0, 2).join("/");
    groups.set(group, (groups.get(group) ?? 0) + bytesInOutput);
  }
  console.log(
    `${entry} (${options.platform}): ${kb(bytes.length)} minified (${bytes.length} bytes), ` +
      `${kb(await gzipSize(bytes))} gzip`,
  );
  for (const [group, n] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    console.log(`  ${group.padEnd(28)} ${kb(n).padStart(9)}`);
  }
}

try {
  await report("examples/worker.ts", WORKER);
  await report("src/client/mod.ts", BROWSER);
} finally {
  await esbuild.stop();
}
