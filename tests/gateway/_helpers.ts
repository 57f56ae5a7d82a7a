/** Test helpers: real servers on 127.0.0.1, raw HTTP/1.1 exchanges. */

/** A started server. */
export interface TestServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts a Deno.serve server on 127.0.0.1, port 0. */
export function serve(handler: Deno.ServeHandler<Deno.NetAddr>): TestServer {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  const port = server.addr.port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      await server.shutdown();
      await server.finished;
    },
  };
}

/** A port that refuses connections: bound, then released. */
export function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** The upstream's view of a request, as echoed by {@linkcode echoHandler}. */
export interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Answers with the request it received, as JSON. */
export async function echoHandler(req: Request): Promise<Response> {
  const echo: Echo = {
    method: req.method,
    url: req.url,
    headers: Object.fromEntries(req.headers),
    body: await req.text(),
  };
  return Response.json(echo, { headers: { "x-upstream": "yes" } });
}

/** A parsed raw response. */
export interface RawResponse {
  status: number;
  headers: Headers;
  body: string;
}

const dec = new TextDecoder();

/**
 * Sends raw bytes on a new connection and reads one response (content-length,
 * chunked, or until the server closes). `halfClose` shuts the write side after
 * sending, so a server waiting for more body bytes sees the end.
 */
export async function rawRequest(
  port: number,
  text: string,
  options: { halfClose?: boolean } = {},
): Promise<RawResponse> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(text));
    // Signal the end of the request, like a client that gives up on a short body.
    if (options.halfClose) await conn.closeWrite();
    let buf = "";
    const chunk = new Uint8Array(65536);
    while (true) {
      const n = await conn.read(chunk);
      if (n === null) break;
      buf += dec.decode(chunk.subarray(0, n), { stream: true });
      const parsed = parseRaw(buf);
      if (parsed !== null) return parsed;
    }
    return parseRaw(buf, true) ?? { status: 0, headers: new Headers(), body: buf };
  } finally {
    conn.close();
  }
}

function parseRaw(buf: string, eof = false): RawResponse | null {
  const end = buf.indexOf("\r\n\r\n");
  if (end === -1) return null;
  const [statusLine, ...lines] = buf.slice(0, end).split("\r\n");
  const headers = new Headers();
  for (const l of lines) {
    const i = l.indexOf(":");
    headers.append(l.slice(0, i).trim(), l.slice(i + 1).trim());
  }
  const status = Number(statusLine!.split(" ")[1]);
  let rest = buf.slice(end + 4);
  const cl = headers.get("content-length");
  if (cl !== null) return rest.length >= Number(cl) ? { status, headers, body: rest } : null;
  if (headers.get("transfer-encoding")?.includes("chunked")) {
    if (!rest.includes("0\r\n\r\n")) return null;
    let body = "";
    while (true) {
      const i = rest.indexOf("\r\n");
      const size = parseInt(rest.slice(0, i), 16);
      if (!size) break;
      body += rest.slice(i + 2, i + 2 + size);
      rest = rest.slice(i + 2 + size + 2);
    }
    return { status, headers, body };
  }
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
    return { status, headers, body: "" };
  }
  return eof ? { status, headers, body: rest } : null;
}
