import { CHROMIUM_INSTALL, INSECURE_HOST, launchChromium, loadPlaywright } from '../../test/browser/support/chromium.ts';
import { BLANK_PAGE, handshakeScript, startWireResponder, type PageHandshake } from '../../test/browser/support/wire-responder.ts';
import type { BenchConfig } from '../lib/config.ts';
import { formatNumber } from '../lib/format.ts';
import { interleave } from '../lib/rounds.ts';
import { median, percentile } from '../lib/stats.ts';
import type { Table } from '../lib/table.ts';

/**
 * A browser peer's link handshake (wsmesh.v2, Noise XXpsk3) in Chromium against the Node side of the wire
 * module: the page on a non-secure origin (all @noble, what a page on http://<LAN address> runs) and on a
 * secure one (WebCrypto X25519 and Ed25519), same run, interleaved. Time from opening the WebSocket until
 * the handshake is done (one page, key and open-mesh PSK per handshake, made before the clock starts);
 * then the PSK of a mesh with a secret (scrypt N=2^15, r=8, p=1) as the page derives it.
 */
export async function runBrowserSection(config: BenchConfig): Promise<Table[]> {
  const playwright = await loadPlaywright();
  if (playwright === null) throw new Error(`Chromium or playwright-core is missing (${CHROMIUM_INSTALL})`);
  const session = await launchChromium(playwright);
  const mesh = 'bench-mesh';
  const responder = await startWireResponder(mesh, undefined);
  const paths = [
    { id: 'noble', label: `@noble (page on http://${INSECURE_HOST}, not a secure context)`, host: INSECURE_HOST },
    { id: 'webcrypto', label: 'WebCrypto X25519/Ed25519 + @noble AEAD (page on http://127.0.0.1, secure context)', host: '127.0.0.1' },
  ];
  const perRound = config.quick ? 5 : 20;
  try {
    const pages = new Map(await Promise.all(paths.map(async (path) => {
      const page = await session.newPage();
      await page.goto(`http://${path.host}:${responder.port}${BLANK_PAGE}`);
      return [path.id, page] as const;
    })));
    const run = async (id: string, secret: string | undefined): Promise<PageHandshake> => {
      const seen = (await pages.get(id)!.evaluate(handshakeScript(responder.port, mesh, secret))) as PageHandshake;
      // With a secret the (open-mesh) responder refuses the page: only the PSK's time counts then.
      const failed = secret === undefined ? seen.remote === undefined : seen.closed !== 4001;
      if (failed || seen.provider !== id) throw new Error(`handshake on the ${id} path failed: ${JSON.stringify(seen)}`);
      return seen;
    };
    for (const path of paths) await run(path.id, undefined); // warm-up: module loading, JIT
    const rounds = await interleave(paths.map((path) => path.id), config.rounds, async (id) => {
      const times: number[] = [];
      for (let i = 0; i < perRound; i++) times.push((await run(id, undefined)).remote!.ms);
      return times;
    });
    const scrypt = new Map(await Promise.all(paths.map(async (path) => [path.id, (await run(path.id, 'a bench secret of some length')).pskMs] as const)));
    const rows = paths.map((path) => {
      const all = rounds.get(path.id)!.flat();
      return [path.label, formatNumber(median(all)), formatNumber(percentile(all, 90)), String(all.length), formatNumber(scrypt.get(path.id)!, 0)];
    });
    return [{
      title: 'Browser link handshake in Chromium (ms)',
      headers: ['path', 'handshake p50', 'handshake p90', 'handshakes', 'PSK from a secret (scrypt), once'],
      rows,
      notes: [
        `Chromium ${session.context.browser()?.version() ?? ''} headless; ${config.rounds} interleaved rounds of ${perRound} handshakes per path. The Node side is the wire module on node:crypto in the bench process.`,
        'Handshake: WebSocket open, Noise messages 1-3 and the node\'s hello over loopback; on the page one ephemeral X25519 key, three X25519, the Ed25519 check of the node\'s proof (the page\'s static key and its signature are made before the clock starts).',
      ],
    }];
  } finally {
    await session.close();
    await responder.close();
  }
}
