/**
 * A `/messages` client that never reads: how much memory the server holds
 * for it. The client does the WebSocket handshake over raw TCP, then sends
 * requests of `--size` bytes to an echo actor, 100 per frame, and never
 * reads a reply. The server runs in this process with the default limits;
 * the figures are its RSS.
 *
 *   ./node_modules/.bin/deno run -A --v8-flags=--expose-gc bench/messaging_flood_bench.ts [--requests 200000] [--size 2048]
 *
 * 127.0.0.1 only.
 *
 * @module
 */
import { MessageRouter, serveMessagingSocket } from "../src/messaging/mod.ts";

function arg(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(Deno.args[i + 1]);
}

const total = arg("requests", 200_000);
const size = arg("size", 2048);
const perFrame = 100;
const mib = () => Math.round(Deno.memoryUsage().rss / 2 ** 20);
const gc = (globalThis as { gc?: () => void }).gc;

const router = new MessageRouter();
let answered = 0;
router.register("echo", {
  onRequest: (d) => {
    answered++;
    return d;
  },
});
let closedAt = -1;
let cut!: () => void;
const cutOff = new Promise<"cut">((r) => (cut = () => r("cut")));
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
  const { socket, response } = Deno.upgradeWebSocket(req);
  serveMessagingSocket(router, socket).closed.then(() => {
    closedAt = answered;
    cut();
  });
  return response;
});

/** A client frame: text, masked with a zero key (valid, and the payload stays as is). */
function frame(text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const n = payload.length;
  const head = n < 126
    ? [0x81, 0x80 | n]
    : n < 65536
    ? [0x81, 0x80 | 126, n >> 8, n & 0xff]
    : [0x81, 0x80 | 127, 0, 0, 0, 0, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(head.length + 4 + n);
  out.set(head, 0);
  out.set(payload, head.length + 4);
  return out;
}

gc?.();
const before = mib();
const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
await conn.write(new TextEncoder().encode(
  "GET /messages HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
));
await conn.read(new Uint8Array(1024)); // the 101 answer; nothing is read after it

const data = "x".repeat(size);
let peak = before;
let sent = 0;
try {
  writing: while (sent < total) {
    const cmds = [];
    for (let i = 0; i < perFrame; i++) {
      cmds.push({ id: ++sent, op: "request", to: "echo", data });
    }
    const bytes = frame(JSON.stringify(cmds));
    for (let at = 0; at < bytes.length;) {
      // A server that cut the client off reads no more: stop writing then.
      const n = await Promise.race([conn.write(bytes.subarray(at)), cutOff]);
      if (n === "cut") break writing;
      at += n;
    }
    if (sent % 10_000 === 0) {
      await new Promise((r) => setTimeout(r, 0));
      peak = Math.max(peak, mib());
    }
  }
} catch (err) {
  console.log(`client writes failed after ${sent} requests: ${(err as Error).name}`);
}
// Let the server take in what was sent (or stop once it cut the client off).
for (let idle = 0; idle < 20 && answered < sent && closedAt < 0; idle++) {
  const seen = answered;
  await new Promise((r) => setTimeout(r, 100));
  if (answered !== seen) idle = 0;
  peak = Math.max(peak, mib());
}
gc?.();
const after = mib();
console.log(
  `flood: ${sent} requests of ${size} B sent, ${answered} answered; ` +
    (closedAt < 0 ? "connection kept" : `connection cut after ${closedAt} replies`),
);
console.log(`server RSS: ${before} MiB before, peak ${peak} MiB, ${after} MiB after (GC)`);
conn.close();
await server.shutdown();
