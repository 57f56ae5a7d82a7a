import { memoryDriver } from "../drivers/memory.ts";
import { runDriverSuite } from "./suite/mod.ts";

runDriverSuite("memory", () => memoryDriver());
