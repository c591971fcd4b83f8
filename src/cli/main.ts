#!/usr/bin/env node
import { createInterface } from 'node:readline';
import { createNode } from '../mesh/node.ts';
import type { MeshNode } from '../mesh/node.ts';
import { UsageError, USAGE, parseCliArgs } from './args.ts';
import { INPUT_HELP, parseInputLine } from './input.ts';
import { consoleOutput } from './output.ts';
import type { Output } from './output.ts';

/** Ctrl-C / SIGTERM must end the process within 2 s even if a peer does not answer the close. */
const EXIT_DEADLINE_MS = 1800;

function fail(message: string, status: number): never {
  process.stderr.write(`wsmesh: ${message}\n${status === 2 ? 'try wsmesh --help\n' : ''}`);
  process.exit(status);
}

function readCommands(node: MeshNode, out: Output, quit: () => void): void {
  const input = createInterface({ input: process.stdin, terminal: false });
  input.on('line', (line) => {
    const command = parseInputLine(line);
    switch (command.type) {
      case 'empty':
        return;
      case 'broadcast':
        if (!node.peers().some((peer) => peer.state === 'connected')) return out.problem('not sent: no peer is connected yet');
        node.broadcast(command.text);
        return out.sent(null, command.text);
      case 'msg': {
        const peer = node.findPeer(command.target);
        if (peer === undefined) return out.problem(`no peer named or with id ${command.target}`);
        out.sent(peer, command.text);
        node.send(peer.id, command.text).then(
          () => out.delivered(peer),
          (error: Error) => out.problem(`message to ${peer.name} not delivered: ${error.message}`),
        );
        return;
      }
      case 'peers':
        return out.peers(node.peers(), node.table.pendingAddresses());
      case 'quit':
        return quit();
      case 'help':
        return out.info(INPUT_HELP);
      case 'invalid':
        return out.problem(command.message);
    }
  });
}

async function main(argv: string[]): Promise<void> {
  let command;
  try {
    command = parseCliArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) fail(error.message, 2);
    throw error;
  }
  if (command.help) {
    process.stdout.write(USAGE);
    return;
  }
  for (const warning of command.warnings) process.stderr.write(`wsmesh: warning: ${warning}\n`);
  let node: MeshNode;
  try {
    node = createNode(command.node);
  } catch (error) {
    fail((error as Error).message, 2);
  }
  const out = consoleOutput(command.json, node);
  node.on('peer:discovered', (peer, source) => out.discovered(peer, source));
  node.on('peer:connected', (peer) => out.connected(peer));
  node.on('peer:disconnected', (peer, reason) => out.disconnected(peer, reason));
  node.on('peer:rtt', (peer, rtt) => out.rtt(peer, rtt));
  node.on('peer:lost', (peer) => out.lost(peer));
  node.on('peer:rejected', (info) => out.rejected(info));
  node.on('message', (data, info) => out.message(data, info));
  node.on('warning', (message) => out.problem(message));

  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), EXIT_DEADLINE_MS).unref();
    node.stop().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  try {
    await node.start();
  } catch (error) {
    fail(`cannot listen on ${command.node.host}:${command.node.port}: ${(error as Error).message}`, 1);
  }
  out.ready(node);
  readCommands(node, out, shutdown);
}

main(process.argv.slice(2)).catch((error: Error) => fail(error.stack ?? error.message, 1));
