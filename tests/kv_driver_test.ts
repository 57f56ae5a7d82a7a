/**
 * The conformance suite on the kv driver: in memory, and on a real file
 * with the persistence cases (the suite reopens the same file).
 *
 * @module
 */
import { kvDriver } from "../drivers/kv.ts";
import type { DriverFactory } from "../src/driver/mod.ts";
import { runDriverSuite } from "../src/driver/testing/mod.ts";

runDriverSuite("kv :memory:", () => kvDriver({ path: ":memory:" }));

const dir = Deno.makeTempDirSync({ prefix: "sy_kv_suite_" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const paths = new WeakMap<DriverFactory, string>();
let n = 0;
async function onFile(path: string): Promise<DriverFactory> {
  const driver = await kvDriver({ path });
  paths.set(driver, path);
  return driver;
}

runDriverSuite("kv file", () => onFile(`${dir}/${n++}.db`), {
  reopen: (previous) => onFile(paths.get(previous)!),
});
