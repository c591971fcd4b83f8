import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeshProtocolError } from '../../src/mesh/close-codes.ts';
import { MAX_DIGEST_ENTRIES, MAX_TREE_IDS, applyLinksDelta, decodeFrame, digestMessage, encodeApp, encodeControl, graftMessage, ihaveMessage, linksDelta, linksRecord, parseMessage, pruneMessage } from '../../src/mesh/envelope.ts';

const welcome = { t: 'welcome' } as const;
const record = linksRecord('a1', 'b1', 7, 'alice', [{ id: 'c1', name: 'carol', kind: 'node', url: 'ws://127.0.0.1:1/' }]);

function codeOf(run: () => unknown): number {
  try {
    run();
  } catch (error) {
    assert.instance(error, MeshProtocolError);
    return (error as MeshProtocolError).code;
  }
  throw new Error('expected a MeshProtocolError');
}

test('welcome round-trips through text JSON; the v1 hello and auth are unknown types inside a v2 link', () => {
  assert.is(encodeControl(welcome), '{"t":"welcome"}');
  assert.equal(decodeFrame(encodeControl(welcome), false), { message: welcome });
  assert.equal(parseMessage({ t: 'hello', v: 1, id: 'a1', nonce: 'n1', auth: false }), null);
  assert.equal(parseMessage({ t: 'auth', proof: 'p' }), null);
});

test('links, digest and broadcast tree messages: exact encoding, round trip, limits', () => {
  const record = linksRecord('a1', 'b1', 7, 'alice', [{ id: 'c1', name: 'carol', kind: 'browser' }]);
  assert.is(encodeControl(record), '{"t":"links","origin":"a1","boot":"b1","seq":7,"name":"alice","kind":"node","links":[{"id":"c1","name":"carol","kind":"browser"}]}');
  assert.is(encodeControl(digestMessage([['a1', 7]])), '{"t":"digest","have":[["a1",7]]}');
  assert.is(encodeControl(ihaveMessage(['m1', 'm2'])), '{"t":"ihave","ids":["m1","m2"]}');
  assert.is(encodeControl(graftMessage(['m1'])), '{"t":"graft","ids":["m1"]}');
  assert.is(encodeControl(pruneMessage()), '{"t":"prune"}');
  for (const message of [record, digestMessage([['a1', 7]]), ihaveMessage(['m1']), graftMessage(['m1']), pruneMessage()]) {
    assert.equal(decodeFrame(encodeControl(message), false), { message });
  }
  const { boot: _boot, ...withoutBoot } = record;
  assert.is(codeOf(() => parseMessage(withoutBoot)), 4000);
  assert.is(codeOf(() => parseMessage({ t: 'digest', have: [['a1', -1]] })), 4000);
  assert.is(codeOf(() => parseMessage({ t: 'digest', have: [['a1']] })), 4000);
  assert.is(codeOf(() => parseMessage({ t: 'digest', have: Array(MAX_DIGEST_ENTRIES + 1).fill(['a', 1]) })), 4000);
  assert.is(codeOf(() => parseMessage({ t: 'ihave', ids: [''] })), 4000);
  assert.is(codeOf(() => parseMessage({ t: 'graft', ids: 'm1' })), 4000);
  assert.is(codeOf(() => parseMessage({ t: 'ihave', ids: Array(MAX_TREE_IDS + 1).fill('m') })), 4000);
});

test('text application message carries data inline', () => {
  const frame = encodeApp({ t: 'msg', id: 'm1', from: 'a', to: 'b', ttl: 16, hops: 0 }, 'hi');
  assert.is(frame, '{"t":"msg","id":"m1","from":"a","to":"b","ttl":16,"hops":0,"data":"hi"}');
  assert.equal(decodeFrame(frame, false), { message: { t: 'msg', id: 'm1', from: 'a', to: 'b', ttl: 16, hops: 0, data: 'hi' } });
});

test('binary application message: u32 header length, JSON header, payload bytes', () => {
  const frame = encodeApp({ t: 'msg', id: 'm2', from: 'a', to: null, ttl: 3, hops: 1 }, new Uint8Array([0, 1, 255]));
  assert.instance(frame, Buffer);
  const header = '{"t":"msg","id":"m2","from":"a","to":null,"ttl":3,"hops":1}';
  const expected = Buffer.concat([Buffer.from([0, 0, 0, header.length]), Buffer.from(header), Buffer.from([0, 1, 255])]);
  assert.equal([...(frame as Buffer)], [...expected]);
  const decoded = decodeFrame(frame as Buffer, true)!;
  assert.equal(decoded.message, { t: 'msg', id: 'm2', from: 'a', to: null, ttl: 3, hops: 1 });
  assert.equal([...decoded.payload!], [0, 1, 255]);
});

test('unknown message types are ignored (forward compatible)', () => {
  assert.is(decodeFrame('{"t":"future","x":1}', false), null);
});

test('delta links records and pull digests: exact encoding, round trip, applied to the base list, checks', () => {
  const carol = { id: 'c1', name: 'carol', kind: 'node' as const, url: 'ws://127.0.0.1:7001/' };
  const dave = { id: 'd1', name: 'dave', kind: 'node' as const };
  const delta = linksDelta('a1', 'b1', 9, 'alice', 7, [carol], ['e1']);
  assert.is(encodeControl(delta), '{"t":"links","origin":"a1","boot":"b1","seq":9,"name":"alice","kind":"node","links":[{"id":"c1","name":"carol","kind":"node","url":"ws://127.0.0.1:7001/"}],"base":7,"gone":["e1"]}');
  assert.is(encodeControl(digestMessage([['a1', 7]], true)), '{"t":"digest","have":[["a1",7]],"pull":true}');
  for (const message of [delta, digestMessage([['a1', 7]], true)]) assert.equal(decodeFrame(encodeControl(message), false), { message });
  // carol's url changed, e1 left, dave stays.
  const before = [{ id: 'e1', name: 'eve', kind: 'node' as const }, { ...carol, url: 'ws://127.0.0.1:7000/' }, dave];
  assert.equal(applyLinksDelta(before, delta), [dave, carol]);
  assert.equal(applyLinksDelta(before, linksRecord('a1', 'b1', 9, 'alice', [dave])), [dave]);
  assert.throws(() => parseMessage({ ...linksRecord('a1', 'b1', 9, 'alice', []), gone: ['e1'] }), /"gone" needs "base"/);
  assert.throws(() => parseMessage({ ...delta, base: 9 }), /"base" must be smaller than "seq"/);
  assert.throws(() => parseMessage({ ...delta, gone: [''] }), /field "id"/);
  assert.throws(() => parseMessage({ t: 'digest', have: [], pull: 1 }), /"pull" must be true/);
});

test('malformed frames are 4000 errors naming the problem', () => {
  assert.is(codeOf(() => decodeFrame('not json', false)), 4000);
  assert.is(codeOf(() => decodeFrame('[1]', false)), 4000);
  assert.is(codeOf(() => decodeFrame('{"t":"msg","id":"x","from":"a","to":null,"ttl":1,"hops":0}', false)), 4000);
  assert.is(codeOf(() => decodeFrame(Buffer.from([0, 0, 0, 9, 1]), true)), 4000);
  assert.is(codeOf(() => decodeFrame(Buffer.from([0, 0]), true)), 4000);
  assert.is(codeOf(() => decodeFrame(encodeControl(welcome), true)), 4000);
  assert.is(codeOf(() => parseMessage({ ...record, kind: 'robot' })), 4000);
  assert.throws(() => parseMessage({ ...record, links: [{ id: 'c1', name: 'carol', kind: 'node', url: 'http://x/' }] }), /"listen" entries must be ws:\/\/ URLs/);
  assert.is(codeOf(() => parseMessage({ t: 'ack', id: 'x', from: 'a', to: 'b', ttl: -1 })), 4000);
  assert.throws(() => decodeFrame('{"t":"ack","id":"x","from":"a","ttl":1}', false), /field "to"/);
});

test.run();
