/**
 * Hand-made mDNS messages, one per class of hostile or unusual input that breaks mdns-js 1.0.3
 * (numbers refer to the bugs listed in docs/readme-parts/discovery.md), plus malformed ones in general.
 */

export function header(flags: number, counts: [number, number, number, number], id = 0): Buffer {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt16BE(id, 0);
  bytes.writeUInt16BE(flags, 2);
  counts.forEach((count, index) => bytes.writeUInt16BE(count, 4 + index * 2));
  return bytes;
}

/** A name in uncompressed wire form. */
export function name(dotted: string): Buffer {
  const parts = dotted.split('.').filter(Boolean).map((label) => {
    const bytes = Buffer.from(label, 'utf8');
    return Buffer.concat([Buffer.from([bytes.length]), bytes]);
  });
  return Buffer.concat([...parts, Buffer.from([0])]);
}

/** type, class, ttl, rdlength + rdata. */
export function resource(owner: Buffer, type: number, recordClass: number, ttl: number, rdata: Buffer): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(recordClass, 2);
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([owner, fixed, rdata]);
}

export function question(owner: Buffer, type: number, questionClass = 1): Buffer {
  const fixed = Buffer.alloc(4);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(questionClass, 2);
  return Buffer.concat([owner, fixed]);
}

export function txtData(...strings: Array<string | Buffer>): Buffer {
  return Buffer.concat(
    strings.map((entry) => {
      const bytes = typeof entry === 'string' ? Buffer.from(entry, 'utf8') : entry;
      return Buffer.concat([Buffer.from([bytes.length]), bytes]);
    }),
  );
}

const RESPONSE = 0x8400;
const PTR = 12;
const TXT = 16;
const A = 1;

function ptrResponse(owner: string, target: string): Buffer {
  return Buffer.concat([header(RESPONSE, [0, 1, 0, 0]), resource(name(owner), PTR, 1, 120, name(target))]);
}

function txtResponse(rdata: Buffer): Buffer {
  return Buffer.concat([
    header(RESPONSE, [0, 2, 0, 0]),
    resource(name('x._wsmesh._tcp.local'), TXT, 0x8001, 120, rdata),
    resource(name('y.local'), A, 0x8001, 120, Buffer.from([10, 0, 0, 1])),
  ]);
}

export interface HostilePacket {
  label: string;
  bytes: Buffer;
  /** The reason the guard gives, or null when the guard lets it through (it is then harmless by design). */
  guardReason: string | null;
}

export const HOSTILE_PACKETS: HostilePacket[] = [
  {
    label: 'bug 1: compression pointer to itself (18 bytes)',
    bytes: Buffer.concat([header(0, [1, 0, 0, 0]), Buffer.from([0xc0, 12, 0, 12, 0, 1])]),
    guardReason: 'a compression pointer does not point backwards',
  },
  {
    label: 'bug 1: two compression pointers at each other',
    bytes: Buffer.concat([header(0, [2, 0, 0, 0]), Buffer.from([0xc0, 18, 0, 12, 0, 1, 0xc0, 12, 0, 12, 0, 1])]),
    guardReason: 'a compression pointer does not point backwards',
  },
  {
    label: 'bug 2: PTR with more than two leading labels',
    bytes: ptrResponse('_a._b._c._tcp.local', 'x._a._b._c._tcp.local'),
    guardReason: null,
  },
  { label: 'bug 2: PTR with protocol _sctp', bytes: ptrResponse('_foo._sctp.local', 'x._foo._sctp.local'), guardReason: null },
  {
    label: 'bug 2: PTR with a long service type',
    bytes: ptrResponse('_averyveryverylongservicename._tcp.local', 'x._averyveryverylongservicename._tcp.local'),
    guardReason: null,
  },
  { label: 'bug 2: PTR named _', bytes: ptrResponse('_.local', 'x._.local'), guardReason: null },
  { label: 'bug 3: TXT string of 200 bytes', bytes: txtResponse(txtData(Buffer.alloc(200, 0x61))), guardReason: null },
  { label: 'bug 3: TXT with no data at all', bytes: txtResponse(Buffer.alloc(0)), guardReason: null },
  { label: 'bug 3: TXT with an empty string in the middle', bytes: txtResponse(txtData('a=1', '', 'b=2')), guardReason: null },
  {
    label: 'bug 5: query whose known answer names a fake wsmesh instance',
    bytes: Buffer.concat([
      header(0, [1, 1, 0, 0]),
      question(name('_wsmesh._tcp.local'), PTR),
      resource(name('_wsmesh._tcp.local'), PTR, 1, 4500, name('ghost._wsmesh._tcp.local')),
    ]),
    guardReason: null,
  },
  {
    label: 'compression pointer forwards',
    bytes: Buffer.concat([header(0, [1, 0, 0, 0]), Buffer.from([0xc0, 20, 0, 12, 0, 1, 0, 0]), name('a')]),
    guardReason: 'a compression pointer does not point backwards',
  },
  {
    label: 'compression pointer into the header',
    bytes: Buffer.concat([header(0, [1, 0, 0, 0]), Buffer.from([0xc0, 2, 0, 12, 0, 1])]),
    guardReason: 'a compression pointer points into the header',
  },
  {
    label: 'label of 64 bytes (reserved label type)',
    bytes: Buffer.concat([header(0, [1, 0, 0, 0]), Buffer.from([64]), Buffer.alloc(64, 0x61), Buffer.from([0, 0, 12, 0, 1])]),
    guardReason: 'a name uses a reserved label type',
  },
  {
    label: 'name longer than 255 bytes',
    bytes: Buffer.concat([header(0, [1, 0, 0, 0]), name(Array.from({ length: 5 }, () => 'b'.repeat(60)).join('.')), Buffer.from([0, 12, 0, 1])]),
    guardReason: 'a name is longer than 255 bytes',
  },
  {
    label: 'label runs past the end',
    bytes: Buffer.concat([header(0, [1, 0, 0, 0]), Buffer.from([30, 0x61, 0x62, 0, 0, 0, 0])]),
    guardReason: 'a label runs past the end of the message',
  },
  {
    label: 'section counts larger than the message',
    bytes: Buffer.concat([header(RESPONSE, [0, 0xffff, 0, 0]), name('a'), Buffer.from([0, 1, 0, 1, 0, 0, 0, 1, 0, 0])]),
    guardReason: 'the section counts promise more records than the message holds',
  },
  {
    label: 'record data runs past the end',
    bytes: Buffer.concat([header(RESPONSE, [0, 1, 0, 0]), name('a'), Buffer.from([0, 1, 0, 1, 0, 0, 0, 1, 0x40, 0, 10, 0])]),
    guardReason: 'the data of a record in the answer section runs past the end',
  },
  {
    label: 'bytes after the last record',
    bytes: Buffer.concat([ptrResponse('_wsmesh._tcp.local', 'x._wsmesh._tcp.local'), Buffer.from([0, 0, 0x84, 0])]),
    guardReason: 'bytes trail the last record',
  },
  {
    label: 'record type 0',
    bytes: Buffer.concat([header(RESPONSE, [0, 1, 0, 0]), resource(name('a'), 0, 1, 1, Buffer.alloc(0))]),
    guardReason: 'a record has type 0',
  },
  {
    label: 'record class 0',
    bytes: Buffer.concat([header(RESPONSE, [0, 1, 0, 0]), resource(name('a'), 1, 0, 1, Buffer.from([1, 2, 3, 4]))]),
    guardReason: 'a record has class 0',
  },
  { label: 'non-zero opcode', bytes: header(0x2800, [0, 0, 0, 0]), guardReason: 'non-zero opcode' },
  { label: 'shorter than a header', bytes: Buffer.from([0, 0, 0x84]), guardReason: 'shorter than a DNS header' },
  { label: 'longer than 9000 bytes', bytes: Buffer.concat([header(RESPONSE, [0, 0, 0, 0]), Buffer.alloc(9000)]), guardReason: 'longer than 9000 bytes (RFC 6762 §17)' },
  {
    label: 'A record with 3 bytes of data',
    bytes: Buffer.concat([header(RESPONSE, [0, 1, 0, 0]), resource(name('h.local'), A, 1, 120, Buffer.from([10, 0, 0]))]),
    guardReason: null,
  },
  {
    label: 'OPT record without data in the middle',
    bytes: Buffer.concat([
      header(RESPONSE, [0, 2, 0, 0]),
      resource(Buffer.from([0]), 41, 1440, 0, Buffer.alloc(0)),
      resource(name('h.local'), A, 1, 120, Buffer.from([10, 0, 0, 9])),
    ]),
    guardReason: null,
  },
];
