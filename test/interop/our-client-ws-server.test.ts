import { suite } from 'uvu';
import { defineOurClientSuite } from './support/our-client-suite.ts';
import type { OurClientSuiteContext } from './support/our-client-suite.ts';
import { startWsEchoServer } from './support/ws-echo-server.ts';

const ourClientWsServer = suite<OurClientSuiteContext>('our client <-> ws server', {});
defineOurClientSuite(ourClientWsServer, startWsEchoServer);
ourClientWsServer.run();
