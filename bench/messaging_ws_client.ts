/**
 * The outside client of the messaging benchmark, run in a process of its own
 * (Deno or Node 24, which strips the types): connects to the router's
 * endpoint, sends `total` one-way messages in frames of `perFrame` commands
 * with `window` frames in flight, once to warm up and once measured, and
 * prints the measured rate (messages acknowledged per second).
 *
 *   node bench/messaging_ws_client.ts <url> <total> <window> <perFrame> [json|cbor]
 *   deno run -A bench/messaging_ws_client.ts <url> <total> <window> <perFrame> [json|cbor]
 *
 * @module
 */
import { MessagingClient } from "../src/messaging/messaging_client.ts";

const ACTORS = 10;

/**
 * One run over a fresh connection: frames of `perFrame` one-way messages,
 * at most `window` frames unacknowledged (a sliding window: a frame goes out
 * as soon as an earlier one is fully acknowledged, so client and server work
 * at the same time). Returns acknowledged messages per second.
 */
export async function run(
  url: string | MessagingClient,
  total: number,
  window: number,
  perFrame: number,
  encoding: "json" | "cbor" = "json",
): Promise<number> {
  const client = typeof url === "string"
    ? await MessagingClient.connect(url, { batch: perFrame > 1, encoding })
    : url;
  const targets = Array.from({ length: ACTORS }, (_, i) => `a${i}`);
  let inFlight = 0;
  let failed: unknown = null;
  let wake: () => void = () => {};
  const acked = (): void => {
    inFlight--;
    wake();
  };
  const fail = (err: unknown): void => {
    failed ??= err;
    acked();
  };
  const t = performance.now();
  for (let sent = 0; sent < total;) {
    if (failed !== null) throw failed;
    if (inFlight >= window) {
      await new Promise<void>((r) => (wake = r));
      continue;
    }
    const frame: Promise<void>[] = [];
    for (let k = 0; k < perFrame && sent < total; k++) {
      frame.push(client.send(targets[k % ACTORS]!, sent++));
    }
    inFlight++;
    (frame.length === 1 ? frame[0]! : Promise.all(frame)).then(acked, fail);
    await null; // the batch goes out as one frame before the next one is built
  }
  while (inFlight > 0) await new Promise<void>((r) => (wake = r));
  if (failed !== null) throw failed;
  const rate = total / ((performance.now() - t) / 1000);
  if (typeof url === "string") await client.close();
  return rate;
}

if ((import.meta as { main?: boolean }).main) {
  const g = globalThis as { Deno?: { args: string[] }; process?: { argv: string[] } };
  const argv = g.Deno ? g.Deno.args : g.process!.argv.slice(2);
  if (argv.length < 4) {
    console.error("usage: messaging_ws_client.ts <url> <total> <window> <perFrame> [json|cbor]");
    throw new Error("missing arguments");
  }
  const [url, total, window, perFrame, encoding] = argv;
  const args = [url!, Number(total), Number(window), Number(perFrame)] as const;
  const enc = encoding === "cbor" ? "cbor" : "json";
  await run(...args, enc); // warm-up
  console.log(await run(...args, enc));
}
