import { suite } from 'uvu';
import { killAllChildren } from '../helpers/processes.ts';
import { pythonModuleVersion, SYSTEM_PYTHON } from '../helpers/python.ts';
import { requirePeer } from '../helpers/require-peer.ts';
import { defineOurClientSuite } from './support/our-client-suite.ts';
import type { OurClientSuiteContext } from './support/our-client-suite.ts';
import { startPythonEchoServer } from './support/python-echo-server.ts';

const ourClientPythonServer = suite<OurClientSuiteContext>('our client <-> python3-websockets server', {});
const available = pythonModuleVersion('websockets') !== null;
if (requirePeer(`python3-websockets (import websockets with ${SYSTEM_PYTHON})`, available, {
  suite: ourClientPythonServer,
  install: 'apt-get install -y python3-websockets',
})) {
  defineOurClientSuite(ourClientPythonServer, startPythonEchoServer);
  ourClientPythonServer.after(killAllChildren);
}
ourClientPythonServer.run();
