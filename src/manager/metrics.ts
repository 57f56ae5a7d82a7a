/**
 * `Metrics`: the counters, gauges and histograms behind `GET /metrics`
 * (Prometheus text format 0.0.4).
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `switchyard_http_responses_total` | counter | `status` |
 * | `switchyard_actions_total` | counter | `actor`, `outcome` (`ok`, `error`) |
 * | `switchyard_action_duration_seconds` | histogram | `actor` |
 * | `switchyard_state_writes_total` | counter | `outcome` |
 * | `switchyard_state_write_duration_seconds` | histogram | |
 * | `switchyard_state_written_bytes_total` | counter | |
 * | `switchyard_actors_loaded` | gauge | |
 * | `switchyard_connections_open` | gauge | |
 * | `switchyard_websockets_open` | gauge | |
 * | `switchyard_mailbox_depth` | gauge | |
 *
 * @module
 */

/** Upper bounds of the latency buckets, in seconds. */
const BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30];

/** A latency histogram with the fixed {@linkcode BUCKETS}. */
class Histogram {
  counts: number[] = new Array(BUCKETS.length).fill(0);
  count = 0;
  sum = 0;

  observe(seconds: number): void {
    this.count++;
    this.sum += seconds;
    for (let i = 0; i < BUCKETS.length; i++) {
      if (seconds <= BUCKETS[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }

  render(name: string, labels: string, out: string[]): void {
    const sep = labels ? "," : "";
    let cumulative = 0;
    for (let i = 0; i < BUCKETS.length; i++) {
      cumulative += this.counts[i]!;
      out.push(`${name}_bucket{${labels}${sep}le="${BUCKETS[i]}"} ${cumulative}`);
    }
    out.push(`${name}_bucket{${labels}${sep}le="+Inf"} ${this.count}`);
    const l = labels ? `{${labels}}` : "";
    out.push(`${name}_sum${l} ${this.sum}`, `${name}_count${l} ${this.count}`);
  }
}

/** Escapes a label value (Prometheus text format). */
function label(v: string): string {
  return v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/** Gauges read when `/metrics` is rendered. */
export interface MetricsGauges {
  /** Actors loaded in this process. */
  actorsLoaded(): number;
  /** Connections (WebSocket and SSE) open to actors of this process. */
  connectionsOpen(): number;
  /** Messages waiting in mailboxes of the message router. */
  mailboxDepth(): number;
}

/** Counters of one server. */
export class Metrics {
  #requests = new Map<number, number>();
  #actions = new Map<string, { ok: number; error: number; latency: Histogram }>();
  #writes = { ok: 0, error: 0, bytes: 0, latency: new Histogram() };
  #sockets = 0;
  #gauges: MetricsGauges | undefined;
  #sources: (() => string)[] = [];

  /**
   * Adds a source of more exposition text (a mounted gateway's `metrics()`).
   *
   * @param render Returns Prometheus text ending with a newline.
   */
  include(render: () => string): void {
    this.#sources.push(render);
  }

  /**
   * Connects the gauges read at render time.
   *
   * @param gauges The sources.
   */
  watch(gauges: MetricsGauges): void {
    this.#gauges = gauges;
  }

  /** Counts an HTTP answer. */
  request(status: number): void {
    this.#requests.set(status, (this.#requests.get(status) ?? 0) + 1);
  }

  /**
   * Counts an action run.
   *
   * @param name Actor type.
   * @param ok Whether it answered without an error.
   * @param ms How long it ran, ms.
   */
  action(name: string, ok: boolean, ms = 0): void {
    let counts = this.#actions.get(name);
    if (!counts) this.#actions.set(name, counts = { ok: 0, error: 0, latency: new Histogram() });
    if (ok) counts.ok++;
    else counts.error++;
    counts.latency.observe(ms / 1000);
  }

  /**
   * Counts a state write.
   *
   * @param ok Whether the driver stored it.
   * @param ms How long the driver took, ms.
   * @param bytes Size of the record.
   */
  stateWrite(ok: boolean, ms: number, bytes: number): void {
    if (ok) {
      this.#writes.ok++;
      this.#writes.bytes += bytes;
    } else this.#writes.error++;
    this.#writes.latency.observe(ms / 1000);
  }

  /** A WebSocket opened through the manager. */
  socketOpened(): void {
    this.#sockets++;
  }

  /** A WebSocket closed. */
  socketClosed(): void {
    this.#sockets--;
  }

  /**
   * Renders the Prometheus text.
   *
   * @returns The exposition text.
   */
  render(): string {
    const out = [
      "# HELP switchyard_http_responses_total HTTP responses of the manager router by status.",
      "# TYPE switchyard_http_responses_total counter",
    ];
    for (const [s, n] of this.#requests) {
      out.push(`switchyard_http_responses_total{status="${s}"} ${n}`);
    }
    out.push(
      "# HELP switchyard_actions_total Actions run, by actor type and outcome.",
      "# TYPE switchyard_actions_total counter",
    );
    for (const [name, counts] of this.#actions) {
      for (const outcome of ["ok", "error"] as const) {
        out.push(
          `switchyard_actions_total{actor="${label(name)}",outcome="${outcome}"} ${
            counts[outcome]
          }`,
        );
      }
    }
    out.push(
      "# HELP switchyard_action_duration_seconds Time actions took, by actor type.",
      "# TYPE switchyard_action_duration_seconds histogram",
    );
    for (const [name, counts] of this.#actions) {
      counts.latency.render("switchyard_action_duration_seconds", `actor="${label(name)}"`, out);
    }
    const w = this.#writes;
    out.push(
      "# HELP switchyard_state_writes_total State writes by the driver, by outcome.",
      "# TYPE switchyard_state_writes_total counter",
      `switchyard_state_writes_total{outcome="ok"} ${w.ok}`,
      `switchyard_state_writes_total{outcome="error"} ${w.error}`,
      "# HELP switchyard_state_written_bytes_total Bytes of state records written.",
      "# TYPE switchyard_state_written_bytes_total counter",
      `switchyard_state_written_bytes_total ${w.bytes}`,
      "# HELP switchyard_state_write_duration_seconds Time the driver took to store a state record.",
      "# TYPE switchyard_state_write_duration_seconds histogram",
    );
    w.latency.render("switchyard_state_write_duration_seconds", "", out);
    out.push(
      "# HELP switchyard_websockets_open WebSockets open through the manager router.",
      "# TYPE switchyard_websockets_open gauge",
      `switchyard_websockets_open ${this.#sockets}`,
    );
    const g = this.#gauges;
    if (g) {
      out.push(
        "# HELP switchyard_actors_loaded Actors loaded in this process.",
        "# TYPE switchyard_actors_loaded gauge",
        `switchyard_actors_loaded ${g.actorsLoaded()}`,
        "# HELP switchyard_connections_open Connections open to actors of this process.",
        "# TYPE switchyard_connections_open gauge",
        `switchyard_connections_open ${g.connectionsOpen()}`,
        "# HELP switchyard_mailbox_depth Messages waiting in mailboxes of the message router.",
        "# TYPE switchyard_mailbox_depth gauge",
        `switchyard_mailbox_depth ${g.mailboxDepth()}`,
      );
    }
    return out.join("\n") + "\n" + this.#sources.map((render) => render()).join("");
  }
}
