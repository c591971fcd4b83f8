/** The python3-websockets client (test/peers/client.py) against our server. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { INTEROP_SIZES } from '../helpers/payloads.ts';
import { killAllChildren, spawnManaged } from '../helpers/processes.ts';
import { SYSTEM_PYTHON, peerScript, pythonModuleVersion } from '../helpers/python.ts';
import { requirePeer } from '../helpers/require-peer.ts';
import { withTimeout } from '../helpers/timeout.ts';
import { closeOf, startOurEchoServer } from './support/our-echo-server.ts';
import type { OurEchoServer } from './support/our-echo-server.ts';

interface Context {
  server?: OurEchoServer;
  /** fragmentSize 1000: echoes of more than 1000 bytes reach python fragmented. */
  fragmentingServer?: OurEchoServer;
}

interface Step {
  step: string;
  ok: boolean;
  [field: string]: unknown;
}

const pythonClientOurServer = suite<Context>('python3-websockets client <-> our server', {});

/** Runs client.py against `url` and returns its reported steps (it exits on its own; killed on hang). */
async function runPythonClient(url: string, args: string[]): Promise<Step[]> {
  const client = spawnManaged(SYSTEM_PYTHON, [peerScript('client.py'), url, ...args]);
  const status = await withTimeout(client.exited, 120_000, 'client.py').finally(() => client.kill());
  const steps = client.lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Step);
  const failed = steps.filter((step) => !step.ok);
  assert.equal(failed, [], `client.py reported failures (stderr: ${client.stderr()})`);
  assert.is(status.code, 0, `client.py exit code (stderr: ${client.stderr()})`);
  assert.equal(steps.at(-1), { step: 'done', ok: true });
  return steps;
}

const stepNames = (steps: Step[]) => steps.map((step) => step.step);

const available = pythonModuleVersion('websockets') !== null;
if (
  requirePeer(`python3-websockets (import websockets with ${SYSTEM_PYTHON})`, available, {
    suite: pythonClientOurServer,
    install: 'apt-get install -y python3-websockets',
  })
) {
  pythonClientOurServer.before(async (context) => {
    context.server = await startOurEchoServer();
    context.fragmentingServer = await startOurEchoServer({ fragmentSize: 1000 });
  });
  pythonClientOurServer.after(async ({ server, fragmentingServer }) => {
    await killAllChildren();
    await Promise.all([server?.stop(), fragmentingServer?.stop()]);
  });

  pythonClientOurServer('echo of every size, fragments, pings, then python closes with 4000', async ({ server }) => {
    const steps = await runPythonClient(server!.url('/py-echo'), ['--close-code', '4000', '--close-reason', 'bye é']);
    assert.equal(stepNames(steps), [
      'open',
      ...INTEROP_SIZES.flatMap(() => ['echo', 'echo']),
      'fragmented',
      'fragmented',
      'ping',
      'ping',
      'ping',
      'server-ping',
      'close',
      'done',
    ]);
    assert.equal(steps[0].extensions, [], 'no extension negotiated (python offers permessage-deflate)');
    assert.equal(steps.at(-2), {
      step: 'close',
      ok: true,
      sent_code: 4000,
      sent_reason: 'bye é',
      code: 4000,
      reason: 'bye é',
    });

    const seen = await server!.connection('/py-echo');
    const expectedMessages = INTEROP_SIZES.flatMap((size) => [
      { isBinary: false, size, deliveredAs: 'string', isInteropPayload: true },
      { isBinary: true, size, deliveredAs: 'buffer', isInteropPayload: true },
    ]);
    expectedMessages.push(
      { isBinary: false, size: 11, deliveredAs: 'string', isInteropPayload: true }, // 4 text fragments
      { isBinary: true, size: 3 * 65536 + 1, deliveredAs: 'buffer', isInteropPayload: true }, // 3 binary fragments
    );
    expectedMessages.push({ isBinary: false, size: 20, deliveredAs: 'string', isInteropPayload: false }); // "__ping__ from-server"
    assert.equal(seen.messages, expectedMessages);
    assert.equal(seen.pings.map((ping) => ping.length), [0, 12, 125]);
    assert.is(seen.pings[1].toString(), 'ping-payload');
    assert.equal(await closeOf(seen), { code: 4000, reason: 'bye é', wasClean: true });
    assert.equal(seen.errors, []);
  });

  pythonClientOurServer('we close with 4001 and a reason; python reports both', async ({ server }) => {
    const steps = await runPythonClient(server!.url('/py-server-close'), [
      '--scenario',
      'server-close',
      '--close-code',
      '4001',
      '--close-reason',
      'server says bye',
    ]);
    assert.equal(steps.at(-2), { step: 'server-close', ok: true, code: 4001, reason: 'server says bye' });
    const ours = await closeOf(await server!.connection('/py-server-close'));
    assert.is(ours.code, 4001);
    assert.ok(ours.wasClean, 'our side reports a clean close');
  });

  pythonClientOurServer('echoes fragmented by us (fragmentSize 1000) reach python intact', async ({ fragmentingServer }) => {
    const steps = await runPythonClient(fragmentingServer!.url('/py-fragmented'), [
      '--sizes',
      '0,125,126,1000,1001,65535,65536',
      '--close-code',
      '1000',
    ]);
    assert.is(steps.filter((step) => step.step === 'echo').length, 14);
    assert.equal(await closeOf(await fragmentingServer!.connection('/py-fragmented')), {
      code: 1000,
      reason: '',
      wasClean: true,
    });
  });
}

pythonClientOurServer.run();
