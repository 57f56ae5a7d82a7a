/**
 * The server process of the WebSocket benchmarks: switchyard (memory
 * driver) and a raw `Deno.upgradeWebSocket` baseline that speaks the same
 * frames, each on 127.0.0.1:0. Prints `port <switchyard> <baseline>` and
 * serves until killed (or for `--seconds`, default 300).
 *
 *   ./node_modules/.bin/deno run -A bench/ws_server.ts
 *
 * Baseline: answers `{ t: "action", id, name, args }` with
 * `{ t: "result", id, output }` (`increment` adds to one counter; `burst(n)`
 * sends `n` `tick` event frames to every socket that sent `{ t: "sub" }`),
 * one `JSON.stringify` per event, as the actor does.
 *
 * @module
 */
import { memoryDriver } from "../drivers/memory.ts";
import { listen, numberArg, registry } from "./_bench_util.ts";

const server = registry.createServer({ driver: memoryDriver(), logger: () => {} });
const sy = await listen(server.fetch);

const subscribed = new Set<WebSocket>();
let count = 0;
let seq = 0;
const raw = await listen((req) => {
  const { socket, response } = Deno.upgradeWebSocket(req, { protocol: "switchyard" });
  socket.onopen = () =>
    socket.send(JSON.stringify({ t: "init", connId: "raw", token: "", resumed: false, seq: 0 }));
  socket.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.t === "sub") return void subscribed.add(socket);
    let output: number;
    if (msg.name === "burst") {
      for (let i = 0; i < msg.args[0]; i++) {
        const frame = JSON.stringify({ t: "event", seq: ++seq, name: "tick", args: [i] });
        for (const s of subscribed) s.send(frame);
      }
      output = msg.args[0];
    } else output = count += msg.args[0];
    socket.send(JSON.stringify({ t: "result", id: msg.id, output }));
  };
  socket.onclose = () => subscribed.delete(socket);
  return response;
});

console.log(`port ${sy.port} ${raw.port}`);
const stop = async () => {
  await Promise.all([sy.close(), raw.close()]);
  await server.shutdown();
  Deno.exit(0);
};
Deno.addSignalListener("SIGTERM", stop);
setTimeout(stop, numberArg("seconds", 300) * 1000);
