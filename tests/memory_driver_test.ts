import { memoryDriver } from "../drivers/memory.ts";
import { runDriverSuite } from "./suite/mod.ts";
import { withoutLocal } from "./_without_local.ts";

runDriverSuite("memory", () => memoryDriver());

// Without the same-process `local()` fast path every remote HTTP action takes
// the manager → `proxyRequest` → actor router path (the inline-request kind
// covers the inline side of it).
runDriverSuite("memory-no-local", () => withoutLocal(memoryDriver()), { kinds: ["remote-http"] });
