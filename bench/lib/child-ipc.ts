/** Child side of the benchmark IPC: answer the parent's commands, exit when the parent goes away. */

export type CommandHandler = (payload: Record<string, unknown>) => unknown;

export function serveCommands(ready: Record<string, unknown>, handlers: Record<string, CommandHandler>): void {
  if (!process.send) throw new Error('bench child started without an IPC channel (run it through bench/run.ts)');
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  process.on('message', async (message: { id: number; command: string } & Record<string, unknown>) => {
    const handler = handlers[message.command];
    try {
      if (!handler) throw new Error(`unknown command ${message.command}`);
      const result = await handler(message);
      process.send!({ id: message.id, ok: true, result });
    } catch (error) {
      process.send!({ id: message.id, ok: false, error: error instanceof Error ? error.stack ?? error.message : String(error) });
    }
  });
  process.send({ ready });
}

/** CPU time (user + system) of this process in microseconds, with a monotonic timestamp in ms. */
export function cpuSnapshot(): { cpuMicros: number; timeMs: number } {
  const usage = process.cpuUsage();
  return { cpuMicros: usage.user + usage.system, timeMs: performance.now() };
}

/** Absorbs socket errors that benchmark peers cause on purpose (resets at the end of a run). */
export function ignoreErrors(emitter: { on(event: 'error', listener: (error: Error) => void): unknown }): void {
  emitter.on('error', () => {});
}
