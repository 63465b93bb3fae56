import { describe, expect, it } from 'vitest';
import { MemoryBus } from './memoryBus.ts';

describe('MemoryBus', () => {
  it('delivers a trader its own events only, in publication order', async () => {
    const bus = new MemoryBus();
    const alice: number[] = [];
    const bob: number[] = [];
    bus.subscribe('alice', (e) => alice.push(e.seq));
    bus.subscribe('bob', (e) => bob.push(e.seq));
    await bus.publish([
      { traderId: 'alice', seq: 1, payload: '{}' },
      { traderId: 'bob', seq: 1, payload: '{}' },
      { traderId: 'alice', seq: 2, payload: '{}' },
    ]);
    expect(alice).toEqual([1, 2]);
    expect(bob).toEqual([1]);
  });

  it('stops delivering after unsubscribe, and a failing listener does not stop the others', async () => {
    const errors: unknown[] = [];
    const bus = new MemoryBus((e) => errors.push(e));
    const seen: number[] = [];
    bus.subscribe('alice', () => {
      throw new Error('listener broke');
    });
    const unsubscribe = bus.subscribe('alice', (e) => seen.push(e.seq));
    await bus.publish([{ traderId: 'alice', seq: 1, payload: '{}' }]);
    unsubscribe();
    await bus.publish([{ traderId: 'alice', seq: 2, payload: '{}' }]);
    expect(seen).toEqual([1]);
    expect(errors).toHaveLength(2);
  });
});
