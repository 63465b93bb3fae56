/**
 * The execution core on an instance where a venue's session runs elsewhere (Venue.serving
 * false): its executor claims none of the venue's intents, not even on commit; a cancel of an
 * acknowledged order becomes an intent that the instance running the session sends; and the
 * dispatch signal tells that instance. The venue here is the simulated exchange behind a
 * switch that says whether this instance runs its session.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DispatchSignal } from '../../ports/execution.ts';
import type { Venue } from '../../ports/venue.ts';
import { cancelOrder } from '../cancelOrder.ts';
import { submitOrder } from '../submitOrder.ts';
import { limitOrder } from '../testContext.ts';
import { executionKit, submitInDoubt, type ExecutionKit } from './executionTestKit.ts';

let kit: ExecutionKit;
afterEach(async () => kit?.close());

/** The venue as an instance sees it that runs its session only while `here.serving`. */
function switchable(venue: Venue, here: { serving: boolean }): Venue {
  return {
    name: venue.name, start: () => venue.start(), close: () => venue.close(), healthy: () => venue.healthy(),
    onExecutionReport: (listener) => venue.onExecutionReport(listener),
    submit: (request) => venue.submit(request), cancel: (id) => venue.cancel(id), lookup: (id) => venue.lookup(id),
    serving: () => here.serving,
  };
}

const sentTo = (orderId: string) => kit.sim.journal().filter((e) => e.clientOrderId === orderId && e.op !== 'lookup').map((e) => e.op);

describe('an instance standing by for a venue whose session runs elsewhere', () => {
  it('given an order committed here, then it is neither claimed on commit nor by a poll, and is sent once the session runs here', async () => {
    const here = { serving: false };
    kit = await executionKit({ wrapVenue: (venue) => switchable(venue, here) });
    await kit.dispatcher.start();
    const order = await kit.submit();
    await kit.advance(10_000);
    expect(sentTo(order.id)).toEqual([]);
    expect(await kit.store.execution.findDispatchIntent(order.id)).toMatchObject({ attempts: 0, leaseOwner: null });
    expect(await kit.auditKinds(order.id)).toEqual(['submitted']);

    here.serving = true;
    await kit.advance(1_000);
    expect(sentTo(order.id)).toEqual(['submit']);
    expect((await kit.store.findOrder(order.id))?.status).toBe('acked');
  });

  it('given an acked order, when cancelled here, then nothing is sent from here; the instance running the session sends the cancel once', async () => {
    const here = { serving: true };
    kit = await executionKit({ wrapVenue: (venue) => switchable(venue, here) });
    await kit.dispatcher.start();
    const order = await kit.submit();
    await kit.settled();
    expect((await kit.store.findOrder(order.id))?.status).toBe('acked');

    here.serving = false;
    const requested = await cancelOrder(kit.ctx, kit.dispatcher, 'trader-x', order.id, null);
    expect(requested.ok && requested.value.status).toBe('pending_cancel');
    await kit.advance(10_000);
    expect(sentTo(order.id)).toEqual(['submit']);
    expect(await kit.store.execution.findDispatchIntent(order.id)).toMatchObject({ venue: 'sim', attempts: 0, leaseOwner: null });

    // The session's instance (here the same executor, now serving) claims the intent and cancels.
    here.serving = true;
    await kit.advance(1_000);
    expect(sentTo(order.id)).toEqual(['submit', 'cancel']);
    expect((await kit.store.findOrder(order.id))?.status).toBe('cancelled');
    expect(await kit.store.execution.findDispatchIntent(order.id)).toBeNull();
    const relayed = (await kit.store.listAudit(order.id)).find((row) => row.kind === 'cancel_relayed');
    expect(JSON.parse(relayed!.payload)).toEqual({ attempt: 1, outcome: 'requested', reason: null });
    await kit.advance(60_000);
    expect(sentTo(order.id)).toEqual(['submit', 'cancel']);
  });

  it('given a submit intent left in doubt after the stream acked the order, when cancelled on a standby, then that intent becomes the cancel\'s and is sent once', async () => {
    const here = { serving: true };
    kit = await executionKit({ wrapVenue: (venue) => switchable(venue, here) });
    await kit.dispatcher.start();
    const order = await submitInDoubt(kit);
    const atVenue = await kit.sim.lookup(order.id);
    await kit.reports.process('sim', { kind: 'ack', clientOrderId: order.id, venueOrderId: atVenue!.venueOrderId, at: kit.time.now() });
    expect((await kit.store.findOrder(order.id))?.status).toBe('acked');

    here.serving = false;
    await cancelOrder(kit.ctx, kit.dispatcher, 'trader-x', order.id, null);
    expect(await kit.store.execution.findDispatchIntent(order.id)).toMatchObject({ attempts: 0, inDoubt: false });
    here.serving = true;
    await kit.advance(1_000);
    expect(sentTo(order.id)).toEqual(['submit', 'cancel']);
    expect((await kit.store.findOrder(order.id))?.status).toBe('cancelled');
    expect(await kit.store.execution.findDispatchIntent(order.id)).toBeNull();
  });

  it('given an acked order cancelled where its session runs, then the cancel goes straight to the venue and no intent is left', async () => {
    kit = await executionKit({ wrapVenue: (venue) => switchable(venue, { serving: true }) });
    await kit.dispatcher.start();
    const order = await kit.submit();
    await kit.settled();
    await cancelOrder(kit.ctx, kit.dispatcher, 'trader-x', order.id, null);
    await kit.settled();
    expect(sentTo(order.id)).toEqual(['submit', 'cancel']);
    expect(await kit.store.execution.findDispatchIntent(order.id)).toBeNull();
    expect(await kit.auditKinds(order.id)).not.toContain('cancel_relayed');
  });

  it('given a dispatch signal, then an intent committed here for a venue standing by is announced, and an announcement wakes only an instance running it', async () => {
    const here = { serving: false };
    const announced: string[] = [];
    let listener: ((venue: string) => void) | null = null;
    const signal: DispatchSignal = {
      announce: (venue) => void announced.push(venue),
      onAnnounced: (heard) => {
        listener = heard;
        return () => void (listener = null);
      },
      close: async () => {},
    };
    kit = await executionKit({ wrapVenue: (venue) => switchable(venue, here) });
    Object.assign(kit.store, { dispatchSignal: signal });
    await kit.dispatcher.start();
    const order = (await submitOrder(kit.ctx, kit.dispatcher, limitOrder('trader-x'), null));
    expect(order.ok).toBe(true);
    await kit.settled();
    expect(announced).toEqual(['sim']);

    // Serving now, with no poll due for a long while: only the announcement makes it send.
    here.serving = true;
    await kit.settled();
    expect(sentTo(order.ok ? order.value.id : '')).toEqual([]);
    listener!('elsewhere');
    await kit.settled();
    expect(sentTo(order.ok ? order.value.id : '')).toEqual([]);
    listener!('sim');
    await kit.settled();
    expect(sentTo(order.ok ? order.value.id : '')).toEqual(['submit']);
    kit.dispatcher.stop();
    expect(listener).toBeNull();
  });
});
