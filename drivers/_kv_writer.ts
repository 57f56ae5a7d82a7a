/**
 * `GroupCommit`: every write of the kv driver goes through one queue, and
 * whatever is queued while a commit runs goes out together in the next
 * atomic commit (within Deno KV's per-commit limits). A commit that throws
 * is retried; when it keeps failing, every write it carried is rejected with
 * `storage_failed`, never acknowledged.
 *
 * Claims (the index entry of a new actor) must find their key absent. All
 * processes that share the file bump one sequence key in every commit that
 * claims, and a claiming commit checks that key's versionstamp, read before
 * the claimed keys were: when another process claimed in between, the
 * commit fails as a whole and the claims are read again.
 *
 * @module
 */
import { storageFailed } from "../src/driver/mod.ts";
import { keySize, KV_LIMITS, type KvKey, type KvMutation, type KvStore } from "./_kv_store.ts";

/** What a claim found: `undefined` when it created its entry, else the value already there. */
export type ClaimOutcome = { created: true } | { created: false; value: unknown };

interface Op {
  mutations: KvMutation[];
  bytes: number;
  keyBytes: number;
  claim?: KvKey;
  resolve(outcome: ClaimOutcome): void;
  reject(err: unknown): void;
}

/** Options of {@linkcode GroupCommit}. */
export interface GroupCommitOptions {
  /** The sequence key claims check and bump. */
  sequenceKey: KvKey;
  /** Retries of a commit that throws. */
  retries: number;
  /** First retry delay, ms (doubles per retry). */
  retryDelay: number;
  /** Where failed attempts are logged. */
  log(message: string, data: object): void;
}

// Room kept in each commit for the sequence key.
const RESERVED_BYTES = 256;

/** The write queue of one kv driver. */
export class GroupCommit {
  #store: KvStore;
  #options: GroupCommitOptions;
  #queue: Op[] = [];
  #running: Promise<void> | undefined;
  /** Commits made (for benchmarks and tests). */
  commits = 0;

  /**
   * @param store The database.
   * @param options Sequence key, retries, logging.
   */
  constructor(store: KvStore, options: GroupCommitOptions) {
    this.#store = store;
    this.#options = options;
  }

  /**
   * Queues mutations; resolves once they are committed.
   *
   * @param mutations What to write, in order.
   * @returns Resolves when durable.
   * @throws {SwitchyardError} `storage_failed` after the retries.
   */
  async write(mutations: KvMutation[]): Promise<void> {
    await this.#enqueue(mutations, undefined);
  }

  /**
   * Queues mutations that create the entry at `key`: committed only when it
   * is absent.
   *
   * @param key The key that must be absent.
   * @param mutations What to write (including `key`).
   * @returns Whether it was created, or the value found.
   */
  claim(key: KvKey, mutations: KvMutation[]): Promise<ClaimOutcome> {
    return this.#enqueue(mutations, key);
  }

  /** Resolves when everything queued so far is committed or failed. */
  async drain(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /**
   * The size a list of mutations takes in one commit.
   *
   * @param mutations The mutations.
   * @returns Bytes of keys and values, and bytes of keys.
   */
  static sizeOf(mutations: KvMutation[]): { bytes: number; keyBytes: number } {
    let bytes = 0;
    let keyBytes = 0;
    for (const m of mutations) {
      const k = keySize(m.key);
      keyBytes += k;
      bytes += k + (m.type === "set" ? m.value.length : 0);
    }
    return { bytes, keyBytes };
  }

  #enqueue(mutations: KvMutation[], claim: KvKey | undefined): Promise<ClaimOutcome> {
    const { bytes, keyBytes } = GroupCommit.sizeOf(mutations);
    if (
      mutations.length >= KV_LIMITS.mutations || bytes > KV_LIMITS.commitBytes - RESERVED_BYTES ||
      keyBytes > KV_LIMITS.commitKeyBytes - RESERVED_BYTES
    ) {
      return Promise.reject(
        new RangeError(`A write of ${mutations.length} mutations and ${bytes} bytes does not fit`),
      );
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ mutations, bytes, keyBytes, claim, resolve, reject });
      // Writes queued in the same turn join the first commit.
      this.#running ??= Promise.resolve().then(() => this.#run());
    });
  }

  async #run(): Promise<void> {
    try {
      while (this.#queue.length > 0) await this.#commit(this.#take());
    } finally {
      this.#running = undefined;
    }
  }

  #take(): Op[] {
    const batch: Op[] = [];
    let mutations = 1;
    let bytes = RESERVED_BYTES;
    let keyBytes = RESERVED_BYTES;
    while (this.#queue.length > 0) {
      const op = this.#queue[0]!;
      if (
        batch.length > 0 &&
        (mutations + op.mutations.length > KV_LIMITS.mutations ||
          bytes + op.bytes > KV_LIMITS.commitBytes ||
          keyBytes + op.keyBytes > KV_LIMITS.commitKeyBytes)
      ) break;
      this.#queue.shift();
      batch.push(op);
      mutations += op.mutations.length;
      bytes += op.bytes;
      keyBytes += op.keyBytes;
    }
    return batch;
  }

  async #commit(batch: Op[]): Promise<void> {
    const { sequenceKey, retries, retryDelay, log } = this.#options;
    let failures = 0;
    let conflicts = 0;
    let ops = batch;
    while (ops.length > 0) {
      try {
        const checks = [];
        const extra: KvMutation[] = [];
        if (ops.some((o) => o.claim)) {
          const seq = await this.#store.get(sequenceKey);
          ops = await this.#dropTaken(ops);
          if (ops.length === 0) return;
          checks.push({ key: sequenceKey, versionstamp: seq.versionstamp });
          extra.push({ type: "set", key: sequenceKey, value: new Uint8Array(0) });
        }
        const ok = await this.#store.commit(checks, [...ops.flatMap((o) => o.mutations), ...extra]);
        this.commits++;
        if (ok) {
          for (const o of ops) o.resolve({ created: true });
          return;
        }
        // Another process claimed keys meanwhile: read the claims again.
        if (++conflicts > 100) throw new Error("Too many concurrent creates");
      } catch (err) {
        failures++;
        const detail = err instanceof Error ? err.message.split("\n")[0]! : String(err);
        log("KV commit failed", { attempt: failures, error: detail });
        if (failures > retries) {
          const error = storageFailed(detail);
          for (const o of ops) o.reject(error);
          return;
        }
        await new Promise((r) => setTimeout(r, retryDelay * 2 ** (failures - 1)));
      }
    }
  }

  /** Settles the claims whose key exists and returns the other ops. */
  async #dropTaken(ops: Op[]): Promise<Op[]> {
    const claims = ops.filter((o) => o.claim);
    const taken = new Set<Op>();
    for (let i = 0; i < claims.length; i += KV_LIMITS.getMany) {
      const group = claims.slice(i, i + KV_LIMITS.getMany);
      const entries = await this.#store.getMany(group.map((o) => o.claim!));
      entries.forEach((e, j) => {
        if (e.versionstamp === null) return;
        const op = group[j]!;
        taken.add(op);
        op.resolve({ created: false, value: e.value });
      });
    }
    return taken.size === 0 ? ops : ops.filter((o) => !taken.has(o));
  }
}
