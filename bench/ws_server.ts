/**
 * The server process of the WebSocket benchmarks: switchyard (memory
 * driver) and two raw `Deno.upgradeWebSocket` baselines that speak the same
 * frames, each on 127.0.0.1:0. Prints
 * `port <switchyard> <raw> <raw batched>` and serves until killed (or for
 * `--seconds`, default 300).
 *
 *   ./node_modules/.bin/deno run -A bench/ws_server.ts
 *
 * Baselines: answer `{ t: "action", id, name, args }` with
 * `{ t: "result", id, output }` (`increment` adds to one counter; `burst(n)`
 * broadcasts `n` `tick` events to every socket that sent `{ t: "sub" }`),
 * one `JSON.stringify` per event, as the actor does. The raw server sends one
 * frame per message; the raw batched server batches as switchyard does
 * (src/protocol/messages.ts): the events of a burst (and, for the caller, its
 * result) go as one list frame per socket, built once by joining the event
 * texts and shared by every socket; a list of actions is answered by one list
 * of results.
 *
 * @module
 */
import { memoryDriver } from "../drivers/memory.ts";
import { listen, numberArg, registry } from "./_bench_util.ts";

const server = registry.createServer({ driver: memoryDriver(), logger: () => {} });
const sy = await listen(server.fetch);

interface RawMessage {
  t: string;
  id: number;
  name: string;
  args: number[];
}

function rawServer(batched: boolean) {
  const subscribed = new Set<WebSocket>();
  let count = 0;
  let seq = 0;
  return listen((req) => {
    const { socket, response } = Deno.upgradeWebSocket(req, { protocol: "switchyard" });
    socket.onopen = () =>
      socket.send(JSON.stringify({ t: "init", connId: "raw", token: "", resumed: false, seq: 0 }));
    /** Handles one message; returns the answer to send to `socket` (or nothing). */
    const answer = (msg: RawMessage): string | undefined => {
      if (msg.t === "sub") return void subscribed.add(socket);
      let output: number;
      if (msg.name === "burst") {
        const events: string[] = [];
        for (let i = 0; i < msg.args[0]!; i++) {
          const frame = JSON.stringify({ t: "event", seq: ++seq, name: "tick", args: [i] });
          if (batched) events.push(frame);
          else for (const s of subscribed) s.send(frame);
        }
        output = msg.args[0]!;
        if (batched) {
          // One list frame per socket, built once; the caller's also ends with the result.
          const batch = `[${events.join(",")}]`;
          for (const s of subscribed) if (s !== socket) s.send(batch);
          const result = JSON.stringify({ t: "result", id: msg.id, output });
          return subscribed.has(socket) ? `${batch.slice(0, -1)},${result}]` : result;
        }
      } else output = count += msg.args[0]!;
      return JSON.stringify({ t: "result", id: msg.id, output });
    };
    socket.onmessage = (ev) => {
      const msg: RawMessage | RawMessage[] = JSON.parse(ev.data);
      if (!Array.isArray(msg)) {
        const out = answer(msg);
        if (out !== undefined) socket.send(out);
        return;
      }
      // A list of messages (the batched client) is answered by one list.
      const outs = msg.map(answer).filter((o) => o !== undefined);
      if (outs.length > 0) socket.send(outs.length === 1 ? outs[0]! : `[${outs.join(",")}]`);
    };
    socket.onclose = () => subscribed.delete(socket);
    return response;
  });
}
const raw = await rawServer(false);
const rawBatched = await rawServer(true);

console.log(`port ${sy.port} ${raw.port} ${rawBatched.port}`);
const stop = async () => {
  await Promise.all([sy.close(), raw.close(), rawBatched.close()]);
  await server.shutdown();
  Deno.exit(0);
};
Deno.addSignalListener("SIGTERM", stop);
setTimeout(stop, numberArg("seconds", 300) * 1000);
