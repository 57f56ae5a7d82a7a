/** Shared by the proxy benchmarks: run autocannon and read a process's CPU time (Linux). */

/** Result of one load run. */
export interface LoadResult {
  requests: number;
  rps: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Total user+system CPU seconds of a process, from /proc (Linux only). */
export function cpuSeconds(readText: (path: string) => string, pid: number): number {
  const stat = readText(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of stat(5) are utime and stime; index 0 here is field 3.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Median of numbers. */
export function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Parses autocannon's `-j` output. */
export function parseAutocannon(stdout: string): LoadResult {
  const r = JSON.parse(stdout);
  return {
    requests: r.requests.total,
    rps: r.requests.average,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

/** A server under load: its name, the URL to load and its process id. */
export interface Target {
  name: string;
  url: string;
  pid: number;
}

/** One measurement of a target. */
export interface Sample {
  rps: number;
  p99: number;
  cpuUs: number;
}
