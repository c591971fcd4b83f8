import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPLAY_WINDOW, ReplayWindows } from '../../src/mesh/replay-window.ts';

test('each (origin, seq) once; out of order within the window; older than the window refused', () => {
  const windows = new ReplayWindows();
  const base = Date.now() * 1000;
  assert.ok(windows.accept('a', base + 10));
  assert.not.ok(windows.accept('a', base + 10));
  assert.ok(windows.accept('a', base + 5), 'late but inside the window');
  assert.not.ok(windows.accept('a', base + 5));
  assert.ok(windows.accept('b', base + 10), 'another origin has its own window');
  assert.ok(windows.accept('a', base + 10 + REPLAY_WINDOW));
  assert.not.ok(windows.accept('a', base + 10), 'now older than the window');
  assert.ok(windows.accept('a', base + 20 + 5 * REPLAY_WINDOW), 'a jump clears the window');
  assert.ok(windows.accept('a', base + 19 + 5 * REPLAY_WINDOW));
});

test('junk from other origins never evicts a protected origin\'s window', () => {
  const windows = new ReplayWindows((origin) => origin === 'victim', 100);
  assert.ok(windows.accept('victim', 7));
  for (let i = 0; i < 1000; i++) assert.ok(windows.accept(`junk-${i}`, 1));
  assert.is(windows.size, 100);
  assert.not.ok(windows.accept('victim', 7), 'the replay is still refused');
});

test.run();
