import { performance } from 'node:perf_hooks';

/**
 * How much connection work one turn of the event loop does before the rest waits for the next turn (ms).
 *
 * Node reads every socket that has data in one turn and runs its callbacks back to back; a process with many
 * busy connections (many mesh nodes in one process, a burst of handshakes) could run seconds of callbacks in one
 * turn, and meanwhile no timer fires and no connection is accepted (libuv accepts one connection per listening
 * socket per turn). Work that uses this budget runs at once while the turn's slice has time left and nothing of
 * its lane or a more urgent one waits; otherwise it is queued and worked off in slices of this length, one per
 * turn, after the turn's I/O callbacks (in the check phase), so timers, accepts and reads get their turn between.
 */
export const TURN_SLICE_MS = 10;

/**
 * Lanes, most urgent first: the handshake messages of connections on their way go before new connections (dials and
 * their first handshake message), and both before the work of established ones. A burst of dials then finishes the
 * handshakes it started before it starts more.
 */
export const LANE_HANDSHAKE = 0;
export const LANE_DIAL = 1;
export const LANE_ESTABLISHED = 2;
export type Lane = typeof LANE_HANDSHAKE | typeof LANE_DIAL | typeof LANE_ESTABLISHED;

/** Queued work; may return a promise when it goes on in microtasks (awaited before the slice's clock is read). */
export type BudgetTask = () => void | Promise<void>;

const nextCheckPhase = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A FIFO that does not shift its array on every take. */
class TaskQueue {
  #items: BudgetTask[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  push(task: BudgetTask): void {
    this.#items.push(task);
  }
  take(): BudgetTask {
    const task = this.#items[this.#head]!;
    this.#items[this.#head++] = undefined as unknown as BudgetTask;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return task;
  }
}

/** A budget of connection work per event-loop turn (see TURN_SLICE_MS); the process has one, `turnBudget`. */
export class TurnBudget {
  readonly #lanes = [new TaskQueue(), new TaskQueue(), new TaskQueue()] as const;
  /** When this turn's slice started (performance.now()), or -1 when no work ran yet in this turn. */
  #sliceStart = -1;
  #scheduled = false;
  #running = false;
  readonly #now: () => number;
  readonly #sliceMs: number;

  /** `now` and `sliceMs` are for tests (a clock they move); the process's budget uses the defaults. */
  constructor(options: { now?: () => number; sliceMs?: number } = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#sliceMs = options.sliceMs ?? TURN_SLICE_MS;
  }

  /** Work queued and not yet run, over all lanes. */
  get backlog(): number {
    return this.#lanes[0].length + this.#lanes[1].length + this.#lanes[2].length;
  }

  /**
   * Whether work of `lane` may run now: nothing of its lane or a more urgent one waits, and this turn's slice
   * has time left. The first call of a turn starts its slice.
   */
  mayRun(lane: Lane): boolean {
    for (let more = 0; more <= lane; more++) if (this.#lanes[more]!.length > 0) return false;
    if (this.#sliceStart < 0) {
      this.#sliceStart = this.#now();
      this.#schedule();
      return true;
    }
    return this.#now() - this.#sliceStart < this.#sliceMs;
  }

  /** Whether the running slice has used its time (work that goes on in a loop yields when it has). */
  get spent(): boolean {
    return this.#sliceStart >= 0 && this.#now() - this.#sliceStart >= this.#sliceMs;
  }

  /** Runs `task` now when `mayRun(lane)`, else queues it. */
  run(lane: Lane, task: BudgetTask): void {
    if (this.mayRun(lane)) void task();
    else this.defer(lane, task);
  }

  /** Queues `task` behind the work of its lane. */
  defer(lane: Lane, task: BudgetTask): void {
    this.#lanes[lane].push(task);
    this.#schedule();
  }

  /**
   * Runs `task` once the work queued now has run (it is queued last, behind everything of every lane); at once
   * when nothing waits.
   */
  afterBacklog(task: () => void): void {
    if (this.backlog === 0) task();
    else this.defer(LANE_ESTABLISHED, task);
  }

  #schedule(): void {
    if (this.#scheduled || this.#running) return;
    this.#scheduled = true;
    setImmediate(this.#drain);
  }

  readonly #drain = (): void => {
    this.#scheduled = false;
    if (this.backlog === 0) {
      this.#sliceStart = -1;
      return;
    }
    // This turn's I/O callbacks spent its slice already: the queue waits for the next turn.
    if (this.#sliceStart >= 0 && this.#now() - this.#sliceStart >= this.#sliceMs) {
      this.#sliceStart = -1;
      this.#schedule();
      return;
    }
    if (this.#sliceStart < 0) this.#sliceStart = this.#now();
    this.#running = true;
    void this.#work();
  };

  async #work(): Promise<void> {
    try {
      while (this.backlog > 0 && this.#now() - this.#sliceStart < this.#sliceMs) {
        const task = this.#lanes.find((queue) => queue.length > 0)!.take();
        try {
          const pending = task();
          // Microtasks (an awaited handshake step) run before the clock is read again; a task that waits for I/O
          // goes on by itself from the next turn, not holding up the rest.
          if (pending !== undefined) await Promise.race([pending, nextCheckPhase()]);
        } catch (error) {
          // A task's owner handles its own errors; one that escapes is thrown as from a callback of its own,
          // and the others' work goes on.
          process.nextTick(() => {
            throw error;
          });
        }
      }
    } finally {
      this.#running = false;
      this.#sliceStart = -1;
      if (this.backlog > 0) this.#schedule();
    }
  }
}

export const turnBudget = new TurnBudget();
