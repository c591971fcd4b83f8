import { formatCount, formatNumber, formatRatio } from './format.ts';
import { sleep } from './rounds.ts';
import { median, ratioSpread } from './stats.ts';

/** A measured window of message traffic, shared by the echo (server role) and client role sections. */

export interface TrafficSnapshot {
  messages: number;
  bytes: number;
  timeMs: number;
  /** CPU time of the process under test. */
  cpuMicros: number;
}

export interface ThroughputSample {
  msgsPerSec: number;
  mbPerSec: number;
  cpuPerMsgUs: number;
}

/** Warms up, then measures the traffic between two snapshots `measureMs` apart. */
export async function measureWindow(timing: { warmupMs: number; measureMs: number }, snapshot: () => Promise<TrafficSnapshot>): Promise<ThroughputSample> {
  await sleep(timing.warmupMs);
  const before = await snapshot();
  await sleep(timing.measureMs);
  const after = await snapshot();
  const messages = after.messages - before.messages;
  const seconds = (after.timeMs - before.timeMs) / 1000;
  return {
    msgsPerSec: messages / seconds,
    mbPerSec: (after.bytes - before.bytes) / seconds / 1e6,
    cpuPerMsgUs: messages > 0 ? (after.cpuMicros - before.cpuMicros) / messages : Number.NaN,
  };
}

/** One row per case and contender: medians, and ratios to the baseline contender's same rounds. */
export function throughputRows(
  results: Map<string, Map<string, ThroughputSample[]>>,
  contenders: ReadonlyArray<{ id: string; label: string }>,
  baselineId: string,
): string[][] {
  const rows: string[][] = [];
  for (const [label, byContender] of results) {
    const baseline = byContender.get(baselineId);
    for (const contender of contenders) {
      const samples = byContender.get(contender.id);
      if (!samples) continue;
      const msgs = samples.map((sample) => sample.msgsPerSec);
      const cpu = samples.map((sample) => sample.cpuPerMsgUs);
      rows.push([
        label,
        contender.label,
        formatCount(median(msgs)),
        formatNumber(median(samples.map((sample) => sample.mbPerSec)), 1),
        formatNumber(median(cpu), 2),
        baseline ? formatRatio(ratioSpread(msgs, baseline.map((sample) => sample.msgsPerSec))) : '-',
        baseline ? formatRatio(ratioSpread(cpu, baseline.map((sample) => sample.cpuPerMsgUs))) : '-',
      ]);
    }
  }
  return rows;
}
