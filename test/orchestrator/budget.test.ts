import { describe, expect, it } from 'vitest';
import { costReservation } from '../../src/orchestrator/budget.js';

const books = { limitUsd: 10, spentUsd: 0, reservedUsd: 0, tasksLeft: 100, startingNow: 1 };

describe('costReservation', () => {
  it('reserves the per-task cap, twice the even share of what is left', () => {
    expect(costReservation(books)).toBeCloseTo(0.2);
    expect(costReservation({ ...books, spentUsd: 5, tasksLeft: 10 })).toBeCloseTo(1);
  });

  it('splits what is free evenly among agents starting together, so together they never reserve more than is free', () => {
    // Eight tasks, eight agents at once: each gets an eighth, not the cap of a quarter.
    let reservedUsd = 0;
    const got: number[] = [];
    for (let i = 0; i < 8; i++) {
      const usd = costReservation({ ...books, tasksLeft: 8, reservedUsd, startingNow: 8 - i })!;
      got.push(usd);
      reservedUsd += usd;
    }
    for (const usd of got) expect(usd).toBeCloseTo(1.25);
    expect(reservedUsd).toBeLessThanOrEqual(10 + 1e-9);
  });

  it('waits for running agents to settle rather than start with less than half the cap', () => {
    expect(costReservation({ ...books, tasksLeft: 8, reservedUsd: 9 })).toBeUndefined();
    // With half the cap free it starts, with that half.
    expect(costReservation({ ...books, tasksLeft: 8, reservedUsd: 8.75 })).toBeCloseTo(1.25);
  });

  it('with nothing reserved takes what is left, and with nothing left waits', () => {
    expect(costReservation({ ...books, spentUsd: 9.5, tasksLeft: 1 })).toBeCloseTo(0.5);
    expect(costReservation({ ...books, spentUsd: 10, tasksLeft: 1 })).toBeUndefined();
    expect(costReservation({ ...books, spentUsd: 10.3, tasksLeft: 1 })).toBeUndefined();
  });
});
