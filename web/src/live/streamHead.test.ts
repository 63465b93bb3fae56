import { describe, expect, it } from 'vitest';
import { findStreamHead } from './streamHead.ts';

function stream(head: number) {
  const asked: number[] = [];
  const hasEventsAfter = async (seq: number) => {
    asked.push(seq);
    return seq < head;
  };
  return { asked, hasEventsAfter };
}

describe('findStreamHead', () => {
  it.each([0, 1, 2, 3, 7, 8, 9, 100, 1023, 1024, 1025, 999_999])('finds head %i', async (head) => {
    const s = stream(head);
    expect(await findStreamHead(s.hasEventsAfter)).toBe(head);
  });

  it('asks once for a trader with no events, and about 2·log2(head) times otherwise', async () => {
    const empty = stream(0);
    await findStreamHead(empty.hasEventsAfter);
    expect(empty.asked).toEqual([0]);
    const busy = stream(1_000_000);
    await findStreamHead(busy.hasEventsAfter);
    expect(busy.asked.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(1_000_000)) + 2);
  });
});
