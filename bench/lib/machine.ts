import { readFileSync } from 'node:fs';
import os from 'node:os';
import { describeWs } from '../servers/ws-flavour.ts';

/** One line naming the machine and software a run used, for RESULTS.md. */
export function machineLine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  return `${model}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, node ${process.version}, ${describeWs()}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return os.loadavg().map((value) => value.toFixed(2)).join(' ');
  }
}
