/**
 * Rejects with a message naming `what` if `promise` has not settled after `ms`.
 * A guard against hangs, never an assertion about speed: use generous limits.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves with the arguments of the first `event` emitted by `emitter`; rejects on 'error' or after `ms`. */
export function nextEvent<T extends unknown[] = unknown[]>(
  emitter: NodeJS.EventEmitter,
  event: string,
  ms = 15_000,
): Promise<T> {
  let cleanup = () => {};
  const fired = new Promise<T>((resolve, reject) => {
    const onEvent = (...args: unknown[]) => {
      cleanup();
      resolve(args as T);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    emitter.on(event, onEvent);
    if (event !== 'error') emitter.on('error', onError);
    cleanup = () => {
      emitter.off(event, onEvent);
      emitter.off('error', onError);
    };
  });
  return withTimeout(fired, ms, `waiting for '${event}'`).finally(() => cleanup());
}
