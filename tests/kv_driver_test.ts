import { kvDriver } from "../drivers/kv.ts";
import { runDriverSuite } from "../src/driver/testing/mod.ts";

runDriverSuite("kv :memory:", () => kvDriver({ path: ":memory:" }));
