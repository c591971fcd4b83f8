import { test } from 'uvu';
import { requirePeer } from '../helpers/require-peer.ts';
import { checkLanSupport, Lan } from './lan.ts';

export const LAN_PEER = 'network namespaces (root, iproute2, nftables, unshare)';
const LAN_INSTALL = 'apt-get install -y iproute2 nftables util-linux';

/**
 * For a test file on a namespace LAN: checks support (failing under CI=true when missing, see requirePeer),
 * and registers hooks that build a LAN of `hostCount` hosts before the tests and tear it down after them.
 * Returns null when the tests cannot run; otherwise a getter for the LAN.
 */
export function lanSuite(hostCount: number, alsoNeeded: { available: boolean; name: string; install: string } | null = null): (() => Lan) | null {
  const lanOk = requirePeer(LAN_PEER, checkLanSupport().ok, { install: LAN_INSTALL });
  const otherOk = alsoNeeded === null || requirePeer(alsoNeeded.name, alsoNeeded.available, { install: alsoNeeded.install });
  if (!lanOk || !otherOk) return null;
  let lan: Lan | null = null;
  test.before(() => {
    lan = Lan.create(hostCount);
  });
  test.after(async () => {
    await lan?.destroy();
  });
  return () => lan!;
}
