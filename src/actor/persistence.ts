/**
 * `Persistence`: what one actor keeps through its `ActorDriver`: the state
 * and the scheduled actions, written together as one CBOR record. Changes
 * are coalesced into one write per save interval, writes never overlap, and
 * the driver's alarm always points at the soonest scheduled action.
 *
 * @module
 */
import { decodeCbor, encodeCbor } from "../common/encoding.ts";
import { type Deadline, deadlines } from "../common/deadlines.ts";
import type { Logger } from "./context.ts";
import type { ActorDriver } from "../driver/actor_driver.ts";
import { stateCorrupt } from "../driver/driver_errors.ts";

/** A scheduled action, persisted with the state. */
export interface ScheduledEvent {
  /** Id returned by `schedule.after/at`. */
  id: string;
  /** When it is due (ms since the epoch). */
  at: number;
  /** The action to run. */
  action: string;
  /** Its arguments. */
  args: unknown[];
}

/** The stored record (version 1). */
interface Persisted {
  v: 1;
  state: unknown;
  schedule: ScheduledEvent[];
}

/** The actor a `Persistence` belongs to: its id and where write failures are logged. */
export interface PersistenceOwner {
  /** The actor's record (its id names the stored record). */
  readonly record: { readonly actorId: string };
  /** The actor's logger. */
  readonly log: Logger;
  /** Told of every write: outcome, duration in ms, bytes. */
  onStateWrite?(ok: boolean, ms: number, bytes: number): void;
}

/** The stored side of one actor. */
export class Persistence {
  /** The state as stored (the tracked proxy the actor sees wraps it). */
  raw: unknown;
  /** Scheduled actions, soonest first. */
  events: ScheduledEvent[] = [];
  /** Changed since the last write. */
  dirty = false;
  /** Bytes of the last record read or written (0 before either). */
  size = 0;
  #driver: ActorDriver;
  #owner: PersistenceOwner;
  #timer: Deadline | undefined;
  #chain: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;

  /**
   * @param driver The actor driver that stores the record.
   * @param owner The actor (id, logger).
   */
  constructor(driver: ActorDriver, owner: PersistenceOwner) {
    this.#driver = driver;
    this.#owner = owner;
  }

  /**
   * Reads the stored record.
   *
   * @returns Its bytes, for {@linkcode restore}; `undefined` for a new actor.
   */
  read(): Promise<Uint8Array | undefined> {
    return this.#driver.readState(this.#owner.record.actorId);
  }

  /**
   * Takes `raw` and `events` from a stored record.
   *
   * @param bytes What {@linkcode read} returned.
   */
  restore(bytes: Uint8Array): void {
    let p: Persisted;
    try {
      p = decodeCbor(bytes) as Persisted;
    } catch (err) {
      throw stateCorrupt(this.#owner.record.actorId, `not CBOR (${String(err)})`);
    }
    if (p === null || typeof p !== "object" || p.v !== 1) {
      throw stateCorrupt(this.#owner.record.actorId, "not a state record of version 1");
    }
    this.size = bytes.byteLength;
    this.raw = p.state;
    this.events = p.schedule ?? [];
  }

  /**
   * Marks a change and writes it within `interval` ms; changes in between
   * join the same write.
   *
   * @param interval The save interval, ms.
   */
  saveWithin(interval: number): void {
    this.dirty = true;
    if (this.#timer) return;
    this.#timer = deadlines.add(interval, () => {
      this.#timer = undefined;
      void this.saveNow().catch(() => {}); // logged in saveNow; the next change retries
    });
  }

  /**
   * Writes now, after any write in progress; nothing when unchanged.
   *
   * @returns When the write is done.
   * @throws Whatever the driver's `writeState` throws (the change stays marked).
   */
  saveNow(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = undefined;
    // A write that has not started yet will carry this change too: share it,
    // so many calls during one write cost one more write, not one each.
    if (this.#queued) return this.#queued;
    const write = this.#chain.then(async () => {
      this.#queued = undefined;
      if (!this.dirty) return;
      this.dirty = false;
      const bytes = encodeCbor({ v: 1, state: this.raw, schedule: this.events } as Persisted);
      const t0 = performance.now();
      try {
        await this.#driver.writeState(this.#owner.record.actorId, bytes);
        this.size = bytes.byteLength;
        this.#owner.onStateWrite?.(true, performance.now() - t0, bytes.byteLength);
      } catch (err) {
        this.#owner.onStateWrite?.(false, performance.now() - t0, bytes.byteLength);
        this.dirty = true;
        this.#owner.log.error("Saving state failed", { error: String(err) });
        throw err;
      }
    });
    // A failed write fails its callers, not the writes queued after it.
    this.#chain = write.catch(() => {});
    this.#queued = write;
    return write;
  }

  /**
   * Adds a scheduled action: arms the alarm, then writes the schedule. In
   * that order a crash between the two leaves an alarm with nothing due
   * (harmless), never a stored action without an alarm.
   *
   * @param event The action to schedule.
   */
  async schedule(event: ScheduledEvent): Promise<void> {
    this.events.push(event);
    this.events.sort((a, b) => a.at - b.at);
    this.dirty = true;
    await this.armAlarm();
    await this.saveNow();
  }

  /**
   * Takes the actions due at `now` off the schedule. Nothing is written:
   * the caller runs them, then saves (their changes and the removal in one
   * write) and re-arms the alarm.
   *
   * @param now The time, ms since the epoch.
   * @returns The due actions, soonest first.
   */
  takeDue(now: number): ScheduledEvent[] {
    const due = this.events.filter((e) => e.at <= now);
    if (due.length > 0) {
      this.events = this.events.filter((e) => e.at > now);
      this.dirty = true;
    }
    return due;
  }

  /** Points the driver's alarm at the soonest scheduled action (or clears it). */
  async armAlarm(): Promise<void> {
    const next = this.events[0];
    const id = this.#owner.record.actorId;
    if (next) await this.#driver.setAlarm(id, next.at);
    else await this.#driver.deleteAlarm(id);
  }
}
