import { memoryDriver } from "../drivers/memory.ts";
import { runDriverSuite } from "../src/driver/testing/mod.ts";
import { remoteOnly } from "./_remote_only.ts";

runDriverSuite("memory", () => memoryDriver());

// The same driver with every actor reached through Requests: the seam itself passes the suite.
runDriverSuite("memory (remote only)", () => remoteOnly(memoryDriver()));
