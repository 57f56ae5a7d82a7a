/**
 * Runs `examples/demo_server.ts` as a child process for the demo's browser
 * test: started on a given port (0 for a free one), its URL read from the
 * line it prints, stopped with SIGTERM like an operator would.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url);

/** A running demo process. */
export interface DemoProcess {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Whether it says its driver keeps state across restarts. */
  readonly persistent: boolean;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /**
   * Stops it with SIGTERM and waits for it to exit.
   *
   * @returns Its exit code.
   */
  stop(): Promise<number>;
}

/** Options of {@linkcode startDemo}. */
export interface StartDemoOptions {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Extra command-line arguments, e.g. `--state-file=...`. */
  args?: string[];
  /** Milliseconds to wait for the listening line. */
  deadline: number;
}

/**
 * Starts the demo and waits until it prints where it listens.
 *
 * @param options Port, arguments, deadline.
 * @returns The running process.
 * @throws {Error} When it exits or stays silent past the deadline (its output is in the message).
 */
export async function startDemo(options: StartDemoOptions): Promise<DemoProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "examples/demo_server.ts", ...(options.args ?? [])],
    cwd: ROOT,
    env: { PORT: String(options.port), NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const listening = Promise.withResolvers<string>();
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      output += chunk;
      const url = /switchyard demo listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url && /^driver: /m.test(output)) listening.resolve(url);
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  const exited = child.status.then((s) => {
    listening.reject(new Error(`Demo exited with code ${s.code} before listening:\n${output}`));
    return s.code;
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Demo did not listen within ${options.deadline} ms:\n${output}`)),
      options.deadline,
    );
  });
  let url: string;
  try {
    url = await Promise.race([listening.promise, late]);
  } catch (err) {
    child.kill("SIGKILL");
    await exited;
    await drained;
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return {
    url,
    port: Number(new URL(url).port),
    persistent: /^driver: .*\(persistent/m.test(output),
    output: () => output,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const code = await exited;
      await drained;
      return code;
    },
  };
}
