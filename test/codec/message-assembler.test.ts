import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MessageAssembler } from '../../src/protocol/message-assembler.ts';

test('a single fragment comes back as the same buffer (no copy)', () => {
  const assembler = new MessageAssembler();
  const fragment = Buffer.from('whole');
  assembler.append(fragment);
  assert.is(assembler.take(), fragment);
  assert.is(assembler.byteLength, 0);
});

test('many fragments, empty ones included, join in order', () => {
  const assembler = new MessageAssembler();
  const expected: number[] = [];
  assembler.append(Buffer.alloc(0));
  for (let i = 0; i < 5000; i++) {
    const fragment = Buffer.from([i & 0xff, (i >> 8) & 0xff].slice(0, (i % 3) ? 2 : 0));
    expected.push(...fragment);
    assembler.append(fragment);
  }
  assert.is(assembler.byteLength, expected.length);
  assert.equal([...assembler.take()], expected);
});

test('reset discards a partial message', () => {
  const assembler = new MessageAssembler();
  assembler.append(Buffer.from('ab'));
  assembler.append(Buffer.from('cd'));
  assembler.reset();
  assembler.append(Buffer.from('x'));
  assembler.append(Buffer.from('y'));
  assert.is(assembler.take().toString(), 'xy');
});

test.run();
