import { describe, expect, it } from 'vitest';
import { describeEventBusContract, Inbox, outboxEvent } from '../contract.ts';
import { MemoryBus } from './memoryBus.ts';

describeEventBusContract('memory (one process: every instance is the same bus)', async () => {
  const bus = new MemoryBus();
  return { open: async () => bus, dispose: () => bus.close() };
});

describe('MemoryBus', () => {
  it('takes effect inside subscribe() and delivers inside publish(), so nothing can fall in between', async () => {
    const bus = new MemoryBus();
    const inbox = new Inbox();
    bus.subscribe('alice', inbox);
    expect(inbox.resyncs).toBe(1);
    const published = bus.publish([outboxEvent('alice', 1)]);
    expect(inbox.seqs()).toEqual([1]);
    await published;
  });
});
