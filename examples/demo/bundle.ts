/**
 * Bundles the demo page's module (`app.ts` with the browser client) with
 * esbuild from `node_modules`, once, when the demo starts.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url);
const ESBUILD = new URL("node_modules/.bin/esbuild", ROOT).pathname;
const ARGS = "--bundle --format=esm --platform=browser --target=es2022 --log-level=warning"
  .split(" ");

/**
 * Bundles `examples/demo/app.ts` into one ES module.
 *
 * @returns The module's source.
 * @throws {Error} When esbuild is missing (run `npm install`) or the build fails.
 */
export async function bundleApp(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-demo-" });
  const out = `${dir}/app.js`;
  try {
    let result: Deno.CommandOutput;
    try {
      result = await new Deno.Command(ESBUILD, {
        args: ["examples/demo/app.ts", ...ARGS, `--outfile=${out}`],
        cwd: ROOT,
        stdout: "null",
        stderr: "piped",
      }).output();
    } catch (err) {
      throw new Error(`Cannot run esbuild at "${ESBUILD}": run "npm install" first`, {
        cause: err,
      });
    }
    if (!result.success) {
      throw new Error(`Bundling the demo page failed:\n${new TextDecoder().decode(result.stderr)}`);
    }
    return await Deno.readTextFile(out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
