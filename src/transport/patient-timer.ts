import { performance } from 'node:perf_hooks';
import { turnBudget } from './turn-budget.ts';

/**
 * A timer that fires this many ms late found the event loop busy: what the peer sent meanwhile may sit unread
 * (timers run before pending I/O in each turn of the loop). Such a timeout is extended by as long as the loop was
 * stalled, up to `MAX_TIMEOUT_EXTENSION` times the timeout, so that a busy process does not drop connections that
 * are fine (and redial them, which makes it busier still). A timer that does expire decides only after two rounds
 * of pending I/O (this turn's, and the next one's: a peer in the same process answers only in this one), and after
 * the connection work queued in the process's turn budget at that moment (src/transport/turn-budget.ts).
 */
export const LOOP_LAG_MS = 50;
export const MAX_TIMEOUT_EXTENSION = 3;

/** Runs `run` after `ms` of a responsive event loop (see `LOOP_LAG_MS`); the function returned cancels it. */
export function patientTimeout(ms: number, run: () => void): () => void {
  const deadline = performance.now() + ms * (1 + MAX_TIMEOUT_EXTENSION);
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let cancelled = false;
  const arm = (wait: number) => {
    const due = performance.now() + wait;
    timer = setTimeout(() => {
      const now = performance.now();
      const late = now - due;
      if (late > LOOP_LAG_MS && now < deadline) return arm(Math.min(late, deadline - now));
      // Connection work queued in the turn budget may hold what the peer sent: it runs first.
      turnBudget.afterBacklog(() => {
        if (cancelled) return;
        immediate = setImmediate(() => (immediate = setImmediate(run)));
      });
    }, wait);
  };
  arm(ms);
  return () => {
    cancelled = true;
    clearTimeout(timer);
    clearImmediate(immediate);
  };
}
