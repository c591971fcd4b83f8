// Memory of a target (standalone WebSocketServer or mesh node, in this process) under each attack, with the
// attacker in a child process so that only the target's memory is measured.
//   npx tsx test/hostile/measure.ts            every attack
//   npx tsx test/hostile/measure.ts --only slowloris
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { createNode } from '../../src/mesh/node.ts';
import { WebSocketServer } from '../../src/transport/server.ts';
import { connect } from '../../src/transport/connect.ts';
import { rawConnect } from '../transport/raw-client.ts';
import { ONE_MIB_HEADER, TEN_THOUSAND_HEADERS, closeCodeOf, oneByteFragments, rawWebSocket, sendHead, serverFrames, slowloris, statusOf } from './attacks.ts';
import { formatGrowth, peakGrowth } from './memory.ts';

const HANDSHAKE_TIMEOUT = 3000;

interface Attack {
  name: string;
  target: 'server' | 'node';
  /** Target options beyond the defaults. */
  options?: Record<string, unknown>;
  /** Runs in the child process against `port`; returns a summary of what the attacker saw. */
  run(port: number): Promise<string>;
}

function tally(outcomes: string[]): string {
  const counts = new Map<string, number>();
  for (const outcome of outcomes) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  return [...counts].map(([outcome, count]) => `${count} x ${outcome}`).join(', ');
}

async function parallel(count: number, run: () => Promise<string>): Promise<string> {
  return tally(await Promise.all(Array.from({ length: count }, run)));
}

/** A masked (all-zero key) binary frame with RSV1 (compressed) carrying `payload` of at least 126 bytes. */
function compressedFrame(payload: Buffer): Buffer {
  const long = payload.length >= 65536;
  const header = Buffer.alloc(long ? 14 : 8);
  header[0] = 0xc2;
  header[1] = 0x80 | (long ? 127 : 126);
  if (long) header.writeBigUInt64BE(BigInt(payload.length), 2);
  else header.writeUInt16BE(payload.length, 2);
  return Buffer.concat([header, payload]);
}

let bomb: Buffer | undefined;
/** 1 GiB of zeros, deflated (about 1 MB), without the 4-byte tail as permessage-deflate sends it. */
function zipBomb(): Buffer {
  bomb ??= deflateRawSync(Buffer.alloc(1 << 30), { level: 9 }).subarray(0, -4);
  return bomb;
}

/** 50 parallel requests with `head`, against the standalone server and against a node. */
function headerFlood(what: string, head: Buffer): Attack[] {
  const run = (port: number) => parallel(50, async () => statusOf(await sendHead(port, head)));
  const name = `header flood: 50 x ${what}`;
  return [{ name, target: 'server', run }, { name, target: 'node', options: { maxPendingPerAddress: 50 }, run }];
}

const ATTACKS: Attack[] = [
  {
    name: 'slowloris: 500 connections, 1 byte/s each',
    target: 'server',
    run: (port) => parallel(500, async () => statusOf(await slowloris(port))),
  },
  {
    name: 'slowloris: 500 connections, 1 byte/s each (maxPendingPerAddress and maxPending 1000)',
    target: 'node',
    options: { maxPendingPerAddress: 1000, maxPending: 1000 },
    run: (port) => parallel(500, async () => statusOf(await slowloris(port))),
  },
  {
    name: 'slowloris: 500 connections, 1 byte/s each (default maxPendingPerAddress 64)',
    target: 'node',
    run: (port) => parallel(500, async () => statusOf(await slowloris(port))),
  },
  ...headerFlood('10,000 headers', TEN_THOUSAND_HEADERS),
  ...headerFlood('1 MiB header block', ONE_MIB_HEADER),
  {
    name: 'fragment flood: 1,000,000 one-byte fragments (1 MB message)',
    target: 'server',
    async run(port) {
      const raw = await rawWebSocket(port);
      raw.socket.write(oneByteFragments(1_000_000));
      raw.socket.write(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]));
      return `close ${closeCodeOf(serverFrames(await raw.closed))} (after ours)`;
    },
  },
  {
    name: 'fragment flood: 1,000,000 one-byte fragments, maxPayload 100 KB',
    target: 'server',
    options: { maxPayload: 100_000 },
    async run(port) {
      const raw = await rawWebSocket(port);
      raw.socket.write(oneByteFragments(1_000_000));
      return `close ${closeCodeOf(serverFrames(await raw.closed))}`;
    },
  },
  {
    name: 'announced payloads: 500 connections each announce a 16 MB frame and send 1 byte of it',
    target: 'server',
    run: (port) =>
      parallel(500, async () => {
        const raw = await rawWebSocket(port);
        const header = Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x55]);
        header.writeBigUInt64BE(16_000_000n, 2);
        raw.socket.write(header);
        await new Promise((resolve) => setTimeout(resolve, 2000));
        raw.socket.destroy();
        return 'held 2 s';
      }),
  },
  {
    name: 'connection flood: 2,000 TCP connections at once from one address',
    target: 'node',
    run: (port) =>
      parallel(2000, async () => {
        const raw = await rawConnect(port);
        const answer = await Promise.race([raw.closed, new Promise<Buffer>((resolve) => setTimeout(() => resolve(Buffer.from('still open')), 1500))]);
        raw.socket.destroy();
        return answer.toString('latin1').split('\r\n')[0]!;
      }),
  },
  {
    name: 'garbage hello: 20 x 1 MiB name, 20 x 100k listen URLs',
    target: 'node',
    options: { maxPendingPerAddress: 64 },
    run: (port) =>
      parallel(40, async () => {
        const huge = Math.random() < 0.5 ? { name: 'n'.repeat(1 << 20), listen: [] } : { name: 'x', listen: Array(100_000).fill('ws://10.0.0.1:7447/') };
        const ws = await connect(`ws://127.0.0.1:${port}/`, { protocols: ['wsmesh.v1'] });
        const closed = new Promise<string>((resolve) => ws.on('close', (code) => resolve(`close ${code}`)));
        ws.send(JSON.stringify({ t: 'hello', v: 1, id: 'g', mesh: 'wsmesh', kind: 'browser', nonce: 'a', auth: false, boot: 'b', ...huge }));
        return closed;
      }),
  },
  {
    name: 'zip bomb: 10 browser-style connections, one message each inflating to 1 GiB',
    target: 'node',
    options: { maxPendingPerAddress: 64 },
    run: (port) =>
      parallel(10, async () => {
        const extra = ['Sec-WebSocket-Protocol: wsmesh.v1', `Origin: http://127.0.0.1:${port}`, 'Sec-WebSocket-Extensions: permessage-deflate'];
        const raw = await rawWebSocket(port, extra, `127.0.0.1:${port}`);
        raw.socket.write(compressedFrame(zipBomb()));
        const code = closeCodeOf(serverFrames(await raw.closed));
        return `close ${code}`;
      }),
  },
];

async function attackerProcess(index: number, port: number): Promise<void> {
  const summary = await ATTACKS[index]!.run(port);
  process.send!({ summary });
  process.exit(0);
}

async function startTarget(attack: Attack): Promise<{ port: number; stop(): Promise<void> }> {
  if (attack.target === 'server') {
    const wss = new WebSocketServer({ host: '127.0.0.1', handshakeTimeout: HANDSHAKE_TIMEOUT, ...attack.options });
    wss.on('connection', (ws) => ws.on('error', () => {}));
    const { port } = await wss.listen();
    return { port, stop: () => wss.close() };
  }
  const node = createNode({ host: '127.0.0.1', mdns: false, ephemeralIdentity: true, handshakeTimeout: HANDSHAKE_TIMEOUT, ...attack.options });
  await node.start();
  return { port: node.port, stop: () => node.stop() };
}

async function measure(index: number): Promise<void> {
  const attack = ATTACKS[index]!;
  const target = await startTarget(attack);
  const { result, growth } = await peakGrowth(
    () =>
      new Promise<string>((resolve, reject) => {
        const child = fork(fileURLToPath(import.meta.url), ['--attacker', String(index), '--port', String(target.port)], { execArgv: ['--import', 'tsx'] });
        child.on('message', (message: { summary: string }) => resolve(message.summary));
        child.on('exit', (code) => code !== 0 && reject(new Error(`attacker exited with ${code}`)));
      }),
  );
  await target.stop();
  console.log(`| ${attack.target === 'server' ? 'WebSocketServer' : 'mesh node'} | ${attack.name} | ${result} | ${formatGrowth(growth)} |`);
}

const { values } = parseArgs({ options: { attacker: { type: 'string' }, port: { type: 'string' }, only: { type: 'string' } } });
if (values.attacker !== undefined) {
  await attackerProcess(Number(values.attacker), Number(values.port));
} else {
  console.log(`Target in this process (handshakeTimeout ${HANDSHAKE_TIMEOUT} ms), attacker in a child process; peak growth over the baseline.`);
  console.log('| target | attack | what the attacker saw | peak memory growth |');
  console.log('| --- | --- | --- | --- |');
  for (const [index, attack] of ATTACKS.entries()) {
    if (values.only === undefined || attack.name.includes(values.only)) await measure(index);
  }
}
