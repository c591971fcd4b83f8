import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ContainedParser } from '../../src/discovery/mdns/contained-parser.ts';
import { header, name, resource } from './support/hostile-packets.ts';

/** The 18-byte message that freezes mdns-js's parser (bug 1), given to it WITHOUT the guard. */
const SELF_POINTER = Buffer.concat([header(0, [1, 0, 0, 0]), Buffer.from([0xc0, 12, 0, 12, 0, 1])]);
const VALID = Buffer.concat([header(0x8400, [0, 1, 0, 0]), resource(name('h.local'), 1, 1, 120, Buffer.from([10, 0, 0, 7]))]);

const WORKER_PRELUDE = `const { parentPort } = require('node:worker_threads');`;

test('containment: an unguarded self-pointer freezes mdns-js, the watchdog replaces the worker, parsing goes on', async () => {
  const parser = new ContainedParser({ parseTimeout: 300 });
  const restarts: string[] = [];
  parser.on('restart', (reason) => restarts.push(reason));
  try {
    const [frozen, after] = await Promise.all([parser.parse(SELF_POINTER), parser.parse(VALID)]);
    assert.equal(frozen, { ok: false, reason: 'a parse took longer than 300 ms' });
    assert.ok(after.ok);
    if (after.ok) assert.equal(after.message.answer, [{ name: 'h.local', type: 1, class: 1, ttl: 120, address: '10.0.0.7' }]);
    assert.equal(restarts, ['a parse took longer than 300 ms']);
    // The same message is refused from now on, without costing another restart.
    assert.equal(await parser.parse(SELF_POINTER), { ok: false, reason: 'this exact message stalled the parser before' });
    assert.is(parser.stats.restarts, 1);
  } finally {
    await parser.close();
  }
});

test('containment: what mdns-js throws is caught in the worker and reported', async () => {
  const parser = new ContainedParser();
  try {
    const outcome = await parser.parse(Buffer.concat([header(0x8400, [0, 1, 0, 0]), resource(name('a'), 0, 1, 1, Buffer.alloc(0))]));
    assert.equal(outcome, { ok: false, reason: 'mdns-js could not parse it: Record.type is empty' });
    assert.is(parser.stats.restarts, 0);
  } finally {
    await parser.close();
  }
});

test('containment: a worker that dies is replaced', async () => {
  const source = `${WORKER_PRELUDE}
    parentPort.on('message', (m) => { if (m.kind === 'parse') process.exit(7); parentPort.postMessage({ kind: 'pong', seq: m.seq }); });`;
  const parser = new ContainedParser({ workerSource: source });
  const restarts: string[] = [];
  parser.on('restart', (reason) => restarts.push(reason));
  try {
    assert.equal(await parser.parse(VALID), { ok: false, reason: 'the parser worker exited with code 7' });
    assert.equal(restarts, ['the parser worker exited with code 7']);
  } finally {
    await parser.close();
  }
});

test('containment: a worker that throws uncaught is replaced', async () => {
  const source = `${WORKER_PRELUDE}
    parentPort.on('message', (m) => { if (m.kind === 'parse') setImmediate(() => { throw new Error('boom'); }); });`;
  const parser = new ContainedParser({ workerSource: source });
  try {
    assert.equal(await parser.parse(VALID), { ok: false, reason: 'the parser worker crashed: boom' });
  } finally {
    await parser.close();
  }
});

test('containment: a worker that stops answering pings is replaced', async () => {
  const source = `${WORKER_PRELUDE} parentPort.on('message', () => {});`;
  const parser = new ContainedParser({ workerSource: source, pingInterval: 200 });
  try {
    const reason = await new Promise<string>((resolve) => {
      parser.on('restart', resolve);
      void parser.parse(VALID);
    });
    assert.ok(
      reason === 'the parser worker did not answer a ping within 200 ms' || reason === 'a parse took longer than 1000 ms',
      reason,
    );
  } finally {
    await parser.close();
  }
});

test('containment: too many messages waiting are refused, not queued without bound', async () => {
  const parser = new ContainedParser({ maxPending: 2 });
  try {
    const outcomes = await Promise.all([parser.parse(VALID), parser.parse(VALID), parser.parse(VALID)]);
    assert.equal(outcomes.map((o) => o.ok), [true, true, false]);
    assert.equal(outcomes[2], { ok: false, reason: 'more than 2 messages wait for the parser' });
  } finally {
    await parser.close();
  }
});

test('containment: after close, parse answers at once', async () => {
  const parser = new ContainedParser();
  await parser.close();
  assert.equal(await parser.parse(VALID), { ok: false, reason: 'the parser is closed' });
});

test.run();
