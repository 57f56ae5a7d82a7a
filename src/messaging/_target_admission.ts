/**
 * `TargetAdmission`: the check a `/messages` connection makes once per
 * target before its first command to it (for registry actors: the actor's
 * `onAuth` with a `message` intent). The verdict is kept for the connection.
 *
 * Commands keep their order: while a check runs, the commands after it wait
 * in one queue and run in arrival order once it is decided; when nothing
 * waits and every target is known, a command runs at once.
 *
 * @module
 */

/** Decides whether a connection may address `target`; throws or rejects to refuse. */
export type AdmitTarget = (target: string) => void | Promise<void>;

/** Most verdicts kept per connection; the memory starts over past it. */
const MAX_VERDICTS = 10_000;

/** Admission of one connection's targets. */
export class TargetAdmission {
  #admit: AdmitTarget;
  #admitted = new Set<string>();
  #refused = new Map<string, unknown>();
  #checking = new Map<string, Promise<void>>();
  #tail: Promise<void> | undefined;
  #waiting = 0;

  /** @param admit The check. */
  constructor(admit: AdmitTarget) {
    this.#admit = admit;
  }

  /**
   * Runs `run` once the targets are decided and the commands submitted before
   * it ran. `run` reads the verdicts with {@linkcode TargetAdmission.verdict}.
   *
   * @param targets The command's targets (strings only).
   * @param run The command.
   */
  submit(targets: readonly string[], run: () => void): void {
    const unknown = targets.filter((t) => !this.#admitted.has(t) && !this.#refused.has(t));
    if (this.#tail === undefined && unknown.length === 0) return run();
    const checks = unknown.map((t) => this.#check(t));
    this.#waiting++;
    const after = this.#tail ?? Promise.resolve();
    const mine = after.then(() => Promise.all(checks)).then(run).finally(() => {
      if (--this.#waiting === 0) this.#tail = undefined;
    });
    this.#tail = mine;
  }

  /**
   * Throws the refusal of a target that was refused; returns for one that
   * was admitted.
   *
   * @param target The target.
   */
  verdict(target: string): void {
    if (this.#refused.has(target)) throw this.#refused.get(target);
  }

  #check(target: string): Promise<void> {
    let p = this.#checking.get(target);
    if (p) return p;
    p = (async () => {
      try {
        await this.#admit(target);
        this.#remember(() => this.#admitted.add(target));
      } catch (err) {
        this.#remember(() => this.#refused.set(target, err));
      } finally {
        this.#checking.delete(target);
      }
    })();
    this.#checking.set(target, p);
    return p;
  }

  #remember(add: () => void): void {
    if (this.#admitted.size + this.#refused.size >= MAX_VERDICTS) {
      this.#admitted.clear();
      this.#refused.clear();
    }
    add();
  }
}
