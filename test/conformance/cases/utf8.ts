// Group 6: UTF-8 in text messages (RFC 6455 section 8.1, RFC 3629). Invalid text fails with 1007, as early
// as the invalid sequence becomes certain: on the fragment that makes it so, not at the end of the message.
import { ev, failsWith, out, peer } from '../support/cases.ts';
import type { CaseGroup, ConformanceCase, Step } from '../support/cases.ts';
import { hex } from '../support/wire.ts';

const notFin = { fin: false };
const KOSME = 'κόσμε';

/** Valid UTF-8: boundaries of each sequence length, noncharacters, a BOM. [title, hex] */
const VALID: Array<[string, string]> = [
  ['U+0000', '00'],
  ['U+007F (last 1-byte)', '7f'],
  ['U+0080 (first 2-byte)', 'c2 80'],
  ['U+07FF (last 2-byte)', 'df bf'],
  ['U+0800 (first 3-byte)', 'e0 a0 80'],
  ['U+D7FF (just below the surrogates)', 'ed 9f bf'],
  ['U+E000 (just above the surrogates)', 'ee 80 80'],
  ['U+FEFF (byte order mark)', 'ef bb bf'],
  ['U+FFFE (noncharacter)', 'ef bf be'],
  ['U+FFFF (last 3-byte, noncharacter)', 'ef bf bf'],
  ['U+10000 (first 4-byte)', 'f0 90 80 80'],
  ['U+1F600 (emoji)', 'f0 9f 98 80'],
  ['U+10FFFF (last code point)', 'f4 8f bf bf'],
  ['Greek κόσμε', 'ce ba e1 bd b9 cf 83 ce bc ce b5'],
  ['mixed text', Buffer.from('Hello-µ@ßöäüàá-UTF-8!! 日本語 🎉').toString('hex')],
];

/** Invalid UTF-8 in a single text frame. [title, hex] */
const INVALID: Array<[string, string]> = [
  ['lone continuation byte 0x80', '80'],
  ['lone continuation byte 0xBF', 'bf'],
  ['continuation bytes after valid text', '48 65 80 bf'],
  ['0xFE', 'fe'],
  ['0xFF', 'ff'],
  ['0xFE 0xFE 0xFF 0xFF', 'fe fe ff ff'],
  ['0xC0 lead (always overlong)', 'c0 80'],
  ['overlong "/" in 2 bytes', 'c0 af'],
  ['overlong U+007F in 2 bytes', 'c1 bf'],
  ['overlong "/" in 3 bytes', 'e0 80 af'],
  ['overlong U+07FF in 3 bytes', 'e0 9f bf'],
  ['overlong "/" in 4 bytes', 'f0 80 80 af'],
  ['overlong U+FFFF in 4 bytes', 'f0 8f bf bf'],
  ['5-byte sequence', 'f8 88 80 80 80'],
  ['6-byte sequence', 'fc 84 80 80 80 80'],
  ['surrogate U+D800', 'ed a0 80'],
  ['surrogate U+DB7F', 'ed ad bf'],
  ['surrogate U+DB80', 'ed ae 80'],
  ['surrogate U+DBFF', 'ed af bf'],
  ['surrogate U+DC00', 'ed b0 80'],
  ['surrogate U+DF80', 'ed be 80'],
  ['surrogate U+DFFF', 'ed bf bf'],
  ['surrogate pair U+D800 U+DC00 encoded as two 3-byte sequences', 'ed a0 80 ed b0 80'],
  ['surrogate pair U+DBFF U+DFFF', 'ed af bf ed bf bf'],
  ['U+110000 (above U+10FFFF)', 'f4 90 80 80'],
  ['0xF5 lead (above U+10FFFF)', 'f5 80 80 80'],
  ['0xF7 0xBF 0xBF 0xBF', 'f7 bf bf bf'],
  ['truncated 2-byte sequence at the end', '48 65 c2'],
  ['truncated 3-byte sequence at the end', '48 65 e0 a0'],
  ['truncated 4-byte sequence at the end', '48 65 f0 90 80'],
  ['truncated sequence in the middle', '48 e0 a0 65'],
  ['2-byte lead followed by ASCII', 'c2 41'],
  ['valid Greek then an invalid code point', 'ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64'],
];

/** A text message sent as one fragment per byte. */
function oneBytePerFragment(data: Buffer): Step[] {
  return [...data].map((byte, i) => {
    const fin = i === data.length - 1;
    return i === 0 ? peer.text(Buffer.of(byte), { fin }) : peer.continuation(Buffer.of(byte), { fin });
  });
}

const valid: ConformanceCase[] = VALID.map(([title, bytes], index) => ({
  id: `6.1.${index + 1}`,
  title: `valid: ${title}`,
  steps: [peer.text(hex(bytes))],
  events: [ev.text(hex(bytes).toString('utf8'))],
  written: [],
}));

const validSplit: ConformanceCase[] = VALID.map(([title, bytes], index) => {
  const data = hex(bytes);
  return {
    id: `6.2.${index + 1}`,
    title: `valid, one byte per fragment: ${title}`,
    steps: oneBytePerFragment(data),
    events: [ev.text(data.toString('utf8'))],
    written: [],
  };
});

const invalid: ConformanceCase[] = INVALID.map(([title, bytes], index) => ({
  id: `6.3.${index + 1}`,
  title: `invalid: ${title}`,
  steps: [peer.text(hex(bytes))],
  ...failsWith(1007),
}));

const invalidFragmented: ConformanceCase[] = INVALID.map(([title, bytes], index) => {
  const data = hex(bytes);
  return {
    id: `6.4.${index + 1}`,
    title: `invalid, one byte per fragment, then a ping: ${title}`,
    steps: [...oneBytePerFragment(data), peer.ping('after')],
    ...failsWith(1007),
  };
});

/** Fail-fast: the error comes on the fragment where the sequence becomes certainly invalid. */
const failFast: ConformanceCase[] = [
  {
    id: '6.5.1',
    title: 'fragment 1 valid, fragment 2 starts with F4 90: fails after fragment 2 (no more fragments sent)',
    steps: [peer.text(KOSME, notFin), peer.continuation(hex('f4 90 80 80 65 64 69 74 65 64'), notFin)],
    ...failsWith(1007),
  },
  {
    id: '6.5.2',
    title: 'as 6.5.1, with a valid final fragment following: still one failure, nothing after it',
    steps: [
      peer.text(KOSME, notFin),
      peer.continuation(hex('f4 90 80 80'), notFin),
      peer.continuation('edited'),
      peer.ping('after'),
    ],
    ...failsWith(1007),
  },
  {
    id: '6.5.3',
    title: 'F4 at the end of fragment 1, 90 alone in fragment 2: fails after fragment 2',
    steps: [peer.text(Buffer.concat([Buffer.from(KOSME), hex('f4')]), notFin), peer.continuation(hex('90'), notFin)],
    ...failsWith(1007),
  },
  {
    id: '6.5.4',
    title: 'F4 at the end of fragment 1 is still a valid prefix: no failure yet',
    steps: [peer.text(Buffer.concat([Buffer.from(KOSME), hex('f4')]), notFin)],
    events: [],
    written: [],
  },
  {
    id: '6.5.5',
    title: 'ED A0 (a surrogate) at the end of fragment 1: fails after fragment 1',
    steps: [peer.text(hex('48 65 ed a0'), notFin)],
    ...failsWith(1007),
  },
  {
    id: '6.5.6',
    title: 'C0 (never valid) at the end of fragment 1: fails after fragment 1',
    steps: [peer.text(hex('48 65 c0'), notFin)],
    ...failsWith(1007),
  },
  {
    id: '6.5.7',
    title: 'F5 (never valid) in fragment 1: fails after fragment 1',
    steps: [peer.text(hex('f5'), notFin)],
    ...failsWith(1007),
  },
  {
    id: '6.5.8',
    title: 'E0 at the end of fragment 1, 80 starting fragment 2 (overlong): fails after fragment 2',
    steps: [peer.text(hex('e0'), notFin), peer.continuation(hex('80 80'), notFin)],
    ...failsWith(1007),
  },
  {
    id: '6.5.9',
    title: 'truncated sequence at the end of the final fragment',
    steps: [peer.text(Buffer.concat([Buffer.from(KOSME), hex('ce')]), notFin), peer.continuation('')],
    ...failsWith(1007),
  },
  {
    id: '6.5.10',
    title: 'code point split across fragments 2|2 with a ping in between is valid',
    steps: [peer.text(hex('f0 9f'), notFin), peer.ping('between'), peer.continuation(hex('98 80'))],
    events: [ev.ping('between'), ev.text('😀')],
    written: [out.pong('between')],
  },
  {
    id: '6.5.11',
    title: 'code point split 1|3 across fragments is valid',
    steps: [peer.text(hex('41 f4'), notFin), peer.continuation(hex('8f bf bf 42'))],
    events: [ev.text('A\u{10ffff}B')],
    written: [],
  },
  {
    id: '6.5.12',
    title: 'a ping after a fail-fast failure is ignored',
    steps: [peer.text(hex('ed a0 80'), notFin), peer.ping('ignored')],
    ...failsWith(1007),
  },
  {
    id: '6.5.13',
    title: 'binary messages are not checked for UTF-8',
    steps: [peer.binary(hex('ed a0 80 ff'), notFin), peer.continuation(hex('c0'))],
    events: [ev.binary(hex('ed a0 80 ff c0'))],
    written: [],
  },
];

export const utf8: CaseGroup = {
  id: '6',
  title: 'UTF-8',
  cases: [
    { id: '6.0.1', title: 'empty text message', steps: [peer.text('')], events: [ev.text('')], written: [] },
    ...valid,
    ...validSplit,
    ...invalid,
    ...invalidFragmented,
    ...failFast,
  ],
};
