import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sleep, stopAllNodes } from '../mesh/support.ts';
import { WireCounter, startFullMesh, waitForFullMesh } from './support.ts';

const N = 30;
let counter: WireCounter;

test.before(() => {
  counter = new WireCounter();
});
test.after(async () => {
  await stopAllNodes();
  counter.restore();
});

test(`a ${N}-node full mesh sends no links records once it has converged`, async () => {
  const nodes = await startFullMesh(N);
  const started = Date.now();
  await waitForFullMesh(nodes).catch((error: Error) => {
    const links = counter.count('links');
    throw new Error(`${error.message}; ${links} links frames (${counter.bytes.get('links') ?? 0} bytes) in ${Date.now() - started} ms`);
  });
  // Records still in flight when the tables completed (the last batch) may land; then nothing more.
  await sleep(500);
  counter.reset();
  await sleep(1500);
  const quiet = { links: counter.count('links'), bytes: counter.bytes.get('links') ?? 0 };
  assert.equal(quiet, { links: 0, bytes: 0 }, `links traffic in a quiet 1.5 s window: ${JSON.stringify(Object.fromEntries(counter.frames))}`);
});

test.run();
