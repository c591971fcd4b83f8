// The turn budget (issue 14): connection work beyond a slice per event-loop turn waits for the next turn, so
// timers, accepts and reads get their turn; handshakes go first. A clock the tests move makes it exact.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LANE_DIAL, LANE_ESTABLISHED, LANE_HANDSHAKE, TurnBudget } from '../../src/transport/turn-budget.ts';

/** A budget with a clock that each task moves on by `cost` ms. */
function clocked(sliceMs = 10) {
  let now = 1000;
  const budget = new TurnBudget({ now: () => now, sliceMs });
  return { budget, spend: (ms: number) => (now += ms) };
}

const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

test('work runs at once until the slice is spent; the rest runs in later turns, a slice per turn', async () => {
  const { budget, spend } = clocked(10);
  const ran: number[] = [];
  const turnOf: number[] = [];
  // Counts turns of the event loop: one immediate per turn.
  let turn = 0;
  let ticker: NodeJS.Immediate;
  const tick = () => {
    turn++;
    ticker = setImmediate(tick);
  };
  ticker = setImmediate(tick);
  try {
    // 10 tasks of 4 ms each, offered in one turn: 3 fit the slice (0, 4, 8 ms in), 7 wait.
    for (let i = 0; i < 10; i++) {
      budget.run(LANE_ESTABLISHED, () => {
        ran.push(i);
        turnOf.push(turn);
        spend(4);
      });
    }
    assert.equal(ran, [0, 1, 2]);
    assert.is(budget.backlog, 7);
    while (budget.backlog > 0) await nextTurn();
    await immediate();
    assert.equal(ran, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'in order');
    // The first turn's slice is spent; each later turn runs 3 tasks (0, 4, 8 ms into its slice): 3 + 3 + 1.
    const perTurn = [...new Set(turnOf.slice(3))].map((t) => turnOf.slice(3).filter((u) => u === t).length);
    assert.equal(perTurn, [3, 3, 1], `turns of the queued tasks: ${JSON.stringify(turnOf)}`);
    assert.ok(turnOf[3]! > turnOf[2]!, 'none of the queued work ran in the turn that spent the slice');
  } finally {
    clearImmediate(ticker!);
  }
});

test('a timer that is due fires between two slices of queued work', async () => {
  const { budget, spend } = clocked(10);
  const events: string[] = [];
  setTimeout(() => events.push('timer'), 0);
  // The timer is due from here on (1 ms of real time).
  const due = performance.now() + 2;
  while (performance.now() < due);
  for (let i = 0; i < 6; i++) {
    budget.run(LANE_ESTABLISHED, () => {
      events.push(`task ${i}`);
      spend(6);
    });
  }
  while (budget.backlog > 0) await immediate();
  // Slices of 2 tasks (0 and 6 ms in): [0, 1] at once; the timer runs in the next turn before [2, 3].
  assert.equal(events, ['task 0', 'task 1', 'timer', 'task 2', 'task 3', 'task 4', 'task 5']);
});

test('handshakes under way go before new dials, and both before queued work of established links', async () => {
  const { budget, spend } = clocked(10);
  const ran: string[] = [];
  budget.run(LANE_ESTABLISHED, () => {
    ran.push('e0');
    spend(10);
  });
  budget.run(LANE_ESTABLISHED, () => { ran.push('e1'); });
  budget.run(LANE_DIAL, () => { ran.push('d0'); });
  budget.run(LANE_HANDSHAKE, () => { ran.push('h0'); });
  budget.run(LANE_ESTABLISHED, () => { ran.push('e2'); });
  budget.run(LANE_DIAL, () => { ran.push('d1'); });
  budget.run(LANE_HANDSHAKE, () => { ran.push('h1'); });
  assert.equal(ran, ['e0'], 'the slice is spent: everything else waits');
  assert.is(budget.mayRun(LANE_HANDSHAKE), false, 'handshake work waits behind queued handshake work');
  while (budget.backlog > 0) await immediate();
  assert.equal(ran, ['e0', 'h0', 'h1', 'd0', 'd1', 'e1', 'e2']);
  // With only established work queued, handshake work may still run at once while the slice has time.
  const fresh = clocked(10);
  fresh.budget.run(LANE_ESTABLISHED, () => { fresh.spend(20); });
  fresh.budget.run(LANE_ESTABLISHED, () => undefined);
  assert.is(fresh.budget.mayRun(LANE_ESTABLISHED), false);
  // The first check phase finds the slice spent and queues the drain for the next one; the second immediate is queued
  // after it there. (A timer instead raced it: on a slow machine its 1 ms had passed before that check phase.)
  await immediate();
  await immediate();
  assert.is(fresh.budget.backlog, 0);
});

test('afterBacklog runs at once when nothing waits, else after everything queued at that moment', async () => {
  const { budget, spend } = clocked(10);
  const ran: string[] = [];
  budget.afterBacklog(() => { ran.push('idle marker'); });
  assert.equal(ran, ['idle marker']);
  budget.run(LANE_ESTABLISHED, () => {
    ran.push('e0');
    spend(10);
  });
  budget.run(LANE_ESTABLISHED, () => { ran.push('e1'); });
  budget.run(LANE_HANDSHAKE, () => { ran.push('h0'); });
  budget.afterBacklog(() => { ran.push('marker'); });
  budget.run(LANE_ESTABLISHED, () => { ran.push('e2'); });
  while (budget.backlog > 0) await immediate();
  assert.equal(ran, ['idle marker', 'e0', 'h0', 'e1', 'marker', 'e2']);
});

test('a task that goes on in microtasks (an awaited handshake step) is awaited before the next one starts', async () => {
  const { budget, spend } = clocked(10);
  const ran: string[] = [];
  budget.run(LANE_ESTABLISHED, () => { spend(10); });
  budget.run(LANE_HANDSHAKE, async () => {
    ran.push('step 1 start');
    await Promise.resolve();
    spend(4);
    ran.push('step 1 end');
  });
  budget.run(LANE_HANDSHAKE, () => {
    ran.push('step 2');
  });
  while (budget.backlog > 0) await immediate();
  await immediate();
  assert.equal(ran, ['step 1 start', 'step 1 end', 'step 2']);
});

test('a task that waits for I/O does not hold up the others', async () => {
  const { budget, spend } = clocked(10);
  const ran: string[] = [];
  budget.run(LANE_ESTABLISHED, () => {
    spend(10);
  });
  let release!: () => void;
  budget.run(LANE_HANDSHAKE, () => new Promise<void>((resolve) => (release = resolve)));
  budget.run(LANE_HANDSHAKE, () => {
    ran.push('next');
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(ran, ['next']);
  assert.is(budget.backlog, 0);
  release();
});

test.run();
