/**
 * Counters behind `GET /metrics` (Prometheus text format 0.0.4).
 *
 * @module
 */

/** Counters of one server. */
export class Metrics {
  #requests = new Map<number, number>();
  #actions = new Map<string, { ok: number; error: number }>();
  #sockets = 0;
  #sources: (() => string)[] = [];

  /**
   * Adds a source of more exposition text (e.g. a mounted gateway's `metrics()`).
   *
   * @param render Returns Prometheus text ending with a newline.
   */
  include(render: () => string): void {
    this.#sources.push(render);
  }

  /** Counts an HTTP answer. */
  request(status: number): void {
    this.#requests.set(status, (this.#requests.get(status) ?? 0) + 1);
  }

  /** Counts an action run. */
  action(name: string, ok: boolean): void {
    let counts = this.#actions.get(name);
    if (!counts) this.#actions.set(name, counts = { ok: 0, error: 0 });
    if (ok) counts.ok++;
    else counts.error++;
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
   * @param liveActors Number of loaded actors, when the driver knows it.
   * @returns The exposition text.
   */
  render(liveActors?: number): string {
    const lines = [
      "# HELP switchyard_http_responses_total HTTP responses of the manager router by status.",
      "# TYPE switchyard_http_responses_total counter",
    ];
    for (const [s, n] of this.#requests) {
      lines.push(`switchyard_http_responses_total{status="${s}"} ${n}`);
    }
    lines.push(
      "# HELP switchyard_actions_total Actions run, by actor type and outcome.",
      "# TYPE switchyard_actions_total counter",
    );
    for (const [name, counts] of this.#actions) {
      for (const outcome of ["ok", "error"] as const) {
        if (counts[outcome] > 0) {
          lines.push(
            `switchyard_actions_total{actor="${name}",outcome="${outcome}"} ${counts[outcome]}`,
          );
        }
      }
    }
    lines.push(
      "# HELP switchyard_websockets_open WebSockets open through the manager router.",
      "# TYPE switchyard_websockets_open gauge",
      `switchyard_websockets_open ${this.#sockets}`,
    );
    if (liveActors !== undefined) {
      lines.push("# TYPE switchyard_actors_loaded gauge", `switchyard_actors_loaded ${liveActors}`);
    }
    return lines.join("\n") + "\n" + this.#sources.map((render) => render()).join("");
  }
}
