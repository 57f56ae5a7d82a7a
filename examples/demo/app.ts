/**
 * The demo page's module (bundled with the browser client when the demo
 * starts): a live counter and a chat room over actor connections, direct
 * messages over the message router, and the gateway's route table with
 * buttons that call it. The state of each live link is shown as it changes.
 *
 * @module
 */
import { createClient } from "../../src/client/mod.ts";
import type { ConnectionStatus } from "../../src/client/mod.ts";
import type { ChatMessage, registry } from "../actors.ts";
import { type DirectMessage, LiveMessaging } from "./live_messaging.ts";
import { browser, type PageElement } from "./dom.ts";
import { appendLine, byId, describeError, type LinkState, showError, showState } from "./view.ts";

const { document, location } = browser;
const ORIGIN = location.origin;
/** How often the page reads the state of its actor connections. */
const STATE_POLL_MS = 100;
/**
 * Longest text the page sends, in characters. The server refuses messages
 * over 2,000 characters with `invalid_message`; far larger ones would exceed
 * its frame limit and cost the connection, so the page refuses them itself.
 */
const MAX_SENT_TEXT = 64 * 1024;

/** Rejects with a coded `message_too_large` when `text` is over {@linkcode MAX_SENT_TEXT}. */
function checkSize(text: string): Promise<void> {
  if (text.length <= MAX_SENT_TEXT) return Promise.resolve();
  return Promise.reject({
    code: "message_too_large",
    message: `Message is longer than ${MAX_SENT_TEXT} characters`,
  });
}

/** Anything with a `status`, read until the page is closed. */
interface Watched {
  readonly status: ConnectionStatus;
}

/**
 * Shows `conn.status` in `el` and calls `onOpen` each time it becomes open
 * (first open and every reconnection), so the page reloads what it shows.
 */
function watch(conn: Watched, el: PageElement, onOpen: () => void): void {
  let last: LinkState = "idle";
  const tick = () => {
    const now = conn.status;
    if (now === last) return;
    showState(el, now);
    if (now === "open") onOpen();
    last = now;
  };
  tick();
  setInterval(tick, STATE_POLL_MS);
}

function join(name: string): void {
  const client = createClient<typeof registry>(ORIGIN, { reconnect: { maxDelay: 2_000 } });
  byId("me").textContent = name;
  byId("join").hidden = true;
  byId("whoami").hidden = false;
  byId("panels").hidden = false;
  const notice = byId("notice");
  const report = (err: unknown) => (notice.textContent = describeError(err));

  // Counter: one shared actor; every change arrives as a `changed` event.
  const count = byId("count");
  const counterError = byId("counter-error");
  const counter = client.counter.getOrCreate(["demo"]).connect();
  const showCount = (n: number) => (count.textContent = String(n));
  counter.on("changed", showCount);
  counter.onError(report);
  watch(counter, byId("status-counter"), () => {
    counter.get().then(showCount, (err) => showError(counterError, err));
  });
  let pending = 0;
  byId("increment").addEventListener("click", () => {
    count.dataset.pending = String(++pending);
    counter.increment(1).then(
      () => showError(counterError, undefined),
      (err) => showError(counterError, err),
    ).finally(() => (count.dataset.pending = String(--pending)));
  });

  // Chat room: history on every (re)connection, then `message` events.
  const chatLog = byId("chat-log");
  const chatError = byId("chat-error");
  const chat = client.chatRoom.getOrCreate(["lobby"]).connect({ name });
  const showMessage = (m: ChatMessage) => appendLine(chatLog, m.from, m.text);
  chat.on("message", showMessage);
  chat.on("members", (names: string[]) => (byId("members").textContent = names.join(", ")));
  chat.onError((err) => {
    report(err);
    if (chat.status === "closed") showError(chatError, err); // refused, e.g. invalid_name
  });
  watch(chat, byId("status-chat"), () => {
    chat.history().then((all) => {
      chatLog.replaceChildren();
      all.forEach(showMessage);
    }, (err) => showError(chatError, err));
    chat.members().then((names) => (byId("members").textContent = names.join(", ")), report);
  });
  const chatText = byId("chat-text");
  byId("chat-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = chatText.value;
    checkSize(text).then(() => chat.send(text)).then(() => {
      chatText.value = "";
      showError(chatError, undefined);
    }, (err) => showError(chatError, err));
  });

  // Direct messages: the message router, one channel per inbox.
  const dmLog = byId("dm-log");
  const dmError = byId("dm-error");
  const shown = new Set<string>();
  const showDirect = (m: DirectMessage, mine = false) => {
    const key = `${m.at} ${m.from} ${m.to} ${m.text}`;
    if (shown.has(key)) return;
    shown.add(key);
    appendLine(dmLog, mine ? `to ${m.to}` : `from ${m.from}`, m.text);
  };
  const messaging = new LiveMessaging({
    url: `${ORIGIN.replace(/^http/, "ws")}/messages?name=${encodeURIComponent(name)}`,
    name,
    onState: (state) => showState(byId("status-messages"), state),
    onMessage: (m) => showDirect(m),
    onHistory: (all) => all.forEach((m) => showDirect(m)),
    onError: report,
  });
  const dmTo = byId("dm-to");
  const dmText = byId("dm-text");
  byId("dm-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = dmText.value;
    checkSize(text).then(() => messaging.send(dmTo.value.trim(), text)).then((m) => {
      showDirect(m, true);
      dmText.value = "";
      showError(dmError, undefined);
    }, (err) => showError(dmError, err));
  });
}

/** The route table, then one button per sample request. */
async function gateway(): Promise<void> {
  const result = byId("gateway-result");
  try {
    const res = await fetch("/demo/routes");
    const routes = await res.json() as Record<string, unknown>;
    const body = byId("routes").querySelector("tbody")!;
    for (const [pattern, target] of Object.entries(routes)) {
      const row = document.createElement("tr");
      for (const text of [pattern, typeof target === "string" ? target : JSON.stringify(target)]) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.append(cell);
      }
      body.append(row);
    }
  } catch (err) {
    result.textContent = describeError(err);
  }
  for (const button of byId("gateway-buttons").querySelectorAll("button")) {
    button.addEventListener("click", async () => {
      const path = button.dataset.path!;
      try {
        const res = await fetch(path);
        const text = await res.text();
        result.dataset.status = String(res.status);
        result.textContent = `${res.status} ${path}\n${text}`;
      } catch (err) {
        result.dataset.status = "error";
        result.textContent = describeError(err);
      }
    });
  }
}

/** Which driver the demo runs on, and whether its state survives a restart. */
async function driver(): Promise<void> {
  try {
    const info = await (await fetch("/demo/info")).json() as {
      driver: string;
      persistent: boolean;
    };
    byId("driver").textContent = `Driver: ${info.driver}, ` +
      (info.persistent ? "state survives a restart" : "nothing persists across restarts");
  } catch {
    // The line is informative only.
  }
}

function start(): void {
  void driver();
  const input = byId("name");
  const fromUrl = new URLSearchParams(location.search).get("name");
  void gateway();
  const tryJoin = (raw: string) => {
    const name = raw.trim();
    if (name.length === 0 || name.length > 64) {
      showError(byId("join-error"), {
        code: "invalid_name",
        message: "Name must be 1 to 64 characters",
      });
      return;
    }
    showError(byId("join-error"), undefined);
    join(name);
  };
  byId("join").addEventListener("submit", (ev) => {
    ev.preventDefault();
    tryJoin(input.value);
  });
  if (fromUrl !== null) tryJoin(fromUrl);
  else input.value = `guest-${Math.floor(Math.random() * 10_000)}`;
}

start();
