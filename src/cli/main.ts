#!/usr/bin/env node
import { fstatSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { MeshKeyFileError } from '../errors.ts';
import { createNode } from '../node.ts';
import type { MeshNode } from '../mesh/node.ts';
import { UsageError, USAGE, parseCliArgs } from './args.ts';
import { printable } from './format.ts';
import { INPUT_HELP, parseInputLine } from './input.ts';
import { consoleOutput } from './output.ts';
import type { Output } from './output.ts';

/** Ctrl-C / SIGTERM must end the process within 2 s even if a peer does not answer the close. */
const EXIT_DEADLINE_MS = 1800;

/** Prints the problem and exits; `try wsmesh --help` only after a usage problem (status 2), where it helps. */
function fail(message: string, status: number, usage = status === 2): never {
  process.stderr.write(`wsmesh: ${printable(message)}\n${usage ? 'try wsmesh --help\n' : ''}`);
  process.exit(status);
}

/** Whether standard input is /dev/null (a character device that is not a terminal) or closed. */
function noInput(): boolean {
  try {
    return fstatSync(0).isCharacterDevice();
  } catch {
    return true;
  }
}

/**
 * Reads commands from standard input. From a terminal, each line acts at once. From a pipe or a file, sending
 * waits (up to `wait` ms) for a first peer; when the input ends, the CLI waits for the acks of direct messages and
 * exits 0, or 1 naming what was not delivered.
 */
function readCommands(node: MeshNode, out: Output, wait: number, quit: (status: number) => void): void {
  const piped = process.stdin.isTTY !== true;
  // No input at all (`< /dev/null`, a closed descriptor: systemd, `cmd &` in a script, docker without -i): the
  // node runs until a signal, instead of taking the empty input as "nothing to send" and exiting at once.
  if (piped && noInput()) return;
  const input = createInterface({ input: process.stdin, terminal: false });
  const undelivered: string[] = [];
  const sends: Promise<void>[] = [];
  let firstPeer: Promise<string | null> | undefined;
  /** Null once a peer is connected, else why there is none. */
  const peerOrProblem = (): Promise<string | null> => {
    if (!piped) return Promise.resolve(null);
    firstPeer ??= node.ready({ timeout: wait }).then(
      () => null,
      (error: Error) => error.message,
    );
    return firstPeer;
  };
  const notSent = (what: string, why: string, shown = `${what} not sent: ${why}`) => {
    undelivered.push(`${what}: ${why}`);
    out.problem(shown);
  };
  const run = async (line: string): Promise<void> => {
    const command = parseInputLine(line);
    switch (command.type) {
      case 'empty':
        return;
      case 'broadcast': {
        const problem = await peerOrProblem();
        if (problem !== null) return notSent(`broadcast ${JSON.stringify(command.text)}`, problem);
        try {
          node.broadcast(command.text);
        } catch (error) {
          return notSent(`broadcast ${JSON.stringify(command.text)}`, (error as Error).message);
        }
        return out.sent(null, command.text);
      }
      case 'msg': {
        const problem = await peerOrProblem();
        const peer = node.findPeer(command.target);
        const what = `message to ${command.target}`;
        if (problem !== null) return notSent(what, problem);
        if (peer === undefined) {
          const why = `no peer named or with id ${command.target}`;
          return notSent(what, why, why);
        }
        // Names are whatever peers say: in an open mesh anyone may join as "bob". A name two peers share is
        // refused rather than sent to whichever comes first; an id (prefix) picks one.
        const namesakes = peer.id === command.target ? [] : node.peers().filter((other) => other.name.toLowerCase() === command.target.toLowerCase());
        if (namesakes.length > 1) {
          const why = `${namesakes.length} peers are named ${command.target} (${namesakes.map((other) => other.id.slice(0, 8)).join(', ')}): use an id prefix`;
          return notSent(what, why, why);
        }
        out.sent(peer, command.text);
        sends.push(
          node.send(peer.id, command.text).then(
            () => out.delivered(peer),
            (error: Error) => {
              undelivered.push(`${what}: ${error.message}`);
              out.problem(`message to ${peer.name} not delivered: ${error.message}`);
            },
          ),
        );
        return;
      }
      case 'peers':
        return out.peers(node.peers(), node.staticPeers().filter((peer) => peer.peerId === null));
      case 'quit':
        return quit(0);
      case 'help':
        return out.info(INPUT_HELP);
      case 'invalid':
        return out.problem(command.message);
    }
  };
  // Lines run one after another, so that piped lines keep their order while the first waits for a peer.
  let queue = Promise.resolve();
  input.on('line', (line) => {
    queue = queue.then(() => run(line));
  });
  if (!piped) return;
  input.on('close', () => {
    queue
      .then(() => Promise.all(sends))
      .then(() => {
        if (undelivered.length > 0) process.stderr.write(`wsmesh: not delivered:\n${undelivered.map((item) => `  ${printable(item)}\n`).join('')}`);
        quit(undelivered.length > 0 ? 1 : 0);
      });
  });
}

/** Why the node cannot listen, in a user's words (an IPv6 host in brackets: `[::]:7447`, not `:::7447`). */
function listenProblem(host: string, port: number, error: NodeJS.ErrnoException): string {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (error.code === 'EADDRINUSE') return `cannot listen on ${where}: the port is in use (another wsmesh node? choose one with --port, or --port 0 for any free port)`;
  if (error.code === 'EACCES') return `cannot listen on ${where}: permission denied (ports below 1024 need privileges; choose one with --port)`;
  if (error.code === 'EADDRNOTAVAIL') return `cannot listen on ${where}: no interface of this host has that address (--host)`;
  return `cannot listen on ${where}: ${error.message}`;
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
    // A key file problem is not a usage problem: its message says what to do (e.g. chmod 600).
    fail((error as Error).message, 2, !(error instanceof MeshKeyFileError));
  }
  const out = consoleOutput(command.json, node);
  node.on('peer:discovered', (peer, source) => out.discovered(peer, source));
  node.on('peer:connected', (peer) => out.connected(peer));
  node.on('peer:disconnected', (peer, reason) => out.disconnected(peer, reason));
  node.on('peer:rtt', (peer, rtt) => out.rtt(peer, rtt));
  node.on('peer:lost', (peer) => out.lost(peer));
  node.on('peer:rejected', (info) => out.rejected(info));
  node.on('peer:dial-failed', (failure) => out.dialFailed(failure));
  node.on('message', (data, info) => out.message(data, info));
  node.on('warning', (message) => out.problem(message));

  let stopping = false;
  const shutdown = (status: number) => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(status), EXIT_DEADLINE_MS).unref();
    node.stop().then(
      () => process.exit(status),
      () => process.exit(status),
    );
  };
  // Standard output closed by its reader (`echo hi | wsmesh … | head -1`): no stack trace, and the node goes on
  // without output (piped input is still sent; the exit status and what was not delivered go to stderr).
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') shutdown(1);
  });
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));

  try {
    await node.start();
  } catch (error) {
    fail(listenProblem(command.node.host ?? '::', command.node.port ?? 0, error as NodeJS.ErrnoException), 1);
  }
  out.ready(node);
  readCommands(node, out, command.wait, shutdown);
}

// A CLI user gets the message; the stack trace only with WSMESH_DEBUG=1 (for a bug report).
main(process.argv.slice(2)).catch((error: Error) => fail(process.env.WSMESH_DEBUG ? (error.stack ?? error.message) : error.message, 1));
