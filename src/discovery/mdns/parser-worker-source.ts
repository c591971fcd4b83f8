/**
 * Source of the worker thread that runs mdns-js's DNS message parser (its dns-js module) on guarded messages.
 * Plain CommonJS evaluated with `new Worker(source, { eval: true })`, so the same code runs under tsx and
 * from the built package. The worker turns dns-js's records into plain objects and answers watchdog pings.
 */
export const PARSER_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { DNSPacket } = require(workerData.dnsJsPath);

function question(record) {
  return { name: String(record.name), type: record.type, class: record.class };
}

function resource(record) {
  const out = { name: String(record.name), type: record.type, class: record.class, ttl: record.ttl };
  if (typeof record.address === 'string') out.address = record.address;
  if (typeof record.data === 'string') out.data = record.data;
  if (typeof record.port === 'number') out.port = record.port;
  if (typeof record.target === 'string') out.target = record.target;
  return out;
}

parentPort.on('message', (request) => {
  if (request.kind === 'ping') {
    parentPort.postMessage({ kind: 'pong', seq: request.seq });
    return;
  }
  try {
    const packet = DNSPacket.parse(Buffer.from(request.bytes));
    if (Array.isArray(packet)) throw new Error('dns-js found a second message after the first');
    parentPort.postMessage({
      kind: 'parsed',
      seq: request.seq,
      message: {
        question: packet.question.map(question),
        answer: packet.answer.map(resource),
        authority: packet.authority.map(resource),
        additional: packet.additional.map(resource),
      },
    });
  } catch (error) {
    parentPort.postMessage({ kind: 'failed', seq: request.seq, error: String((error && error.message) || error) });
  }
});
`;
