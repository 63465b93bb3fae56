/**
 * Test support for the execution core: the order use cases over SQLite in memory, the
 * simulated exchange behind a fault plan, and an executor whose clock and timers are a
 * ManualTime the test moves by hand (the exchange delivers at once; only waits are manual),
 * or vitest's fake timers when the code under test must be caught using plain timers too.
 * Used by tests only.
 */
import { v7 as uuidv7 } from 'uuid';
import { vi } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memoryBus.ts';
import { openStore } from '../../adapters/store/openStore.ts';
import { FaultPlan, FaultyVenue, NO_FAULTS, type FaultSettings } from '../../adapters/venues/sim/faults.ts';
import { ManualTime } from '../../adapters/venues/sim/manualTime.ts';
import { SimulatedExchange } from '../../adapters/venues/sim/simulatedExchange.ts';
import type { Order } from '../../domain/order/order.ts';
import { systemSchedule, type Schedule } from '../../ports/clock.ts';
import type { OrderStore } from '../../ports/store.ts';
import { silentLogger } from '../../ports/telemetry.ts';
import type { Venue } from '../../ports/venue.ts';
import { venueRegistry, type OrderContext } from '../context.ts';
import { Dispatcher } from '../dispatch.ts';
import { ExecutionReportProcessor } from '../executionReports.ts';
import { GroupCommitter } from '../groupCommit.ts';
import { KeyedMutex } from '../keyedMutex.ts';
import { submitOrder, type SubmitOrderInput } from '../submitOrder.ts';
import { limitOrder } from '../testContext.ts';
import type { ExecutorOptions } from './executor.ts';
import { DEFAULT_GUARD_OPTIONS, VenueGuards, type GuardOptions } from './venueGuard.ts';

export interface ExecutionKit {
  readonly time: ManualTime;
  readonly store: OrderStore;
  readonly ctx: OrderContext;
  readonly sim: SimulatedExchange;
  readonly venue: FaultyVenue;
  readonly plan: FaultPlan;
  readonly reports: ExecutionReportProcessor;
  readonly dispatcher: Dispatcher;
  readonly anomalies: string[];
  /** Another executor on the same store and venue, as a second gateway instance runs one. */
  dispatcherFor(owner: string, options?: Partial<ExecutorOptions>): Dispatcher;
  submit(overrides?: Partial<SubmitOrderInput>): Promise<Order>;
  /** Moves the clock, then waits until every executor has nothing running. */
  advance(ms: number): Promise<void>;
  settled(): Promise<void>;
  auditKinds(orderId: string): Promise<string[]>;
  close(): Promise<void>;
}

export interface KitOptions {
  readonly faults?: Partial<FaultSettings>;
  readonly executor?: Partial<ExecutorOptions>;
  readonly guard?: Partial<GuardOptions>;
  /** Replaces the venue the executor reaches (a negative control's broken venue). */
  readonly wrapVenue?: (venue: FaultyVenue) => Venue;
  readonly realTime?: boolean;
  /**
   * The system clock and timers under vitest's fake timers, which the test installs (Date and
   * setTimeout only: the store commits on real turns of the event loop); advance() moves them.
   */
  readonly fakeTimers?: boolean;
  /** The first submits reach the exchange this many ms late, one entry per submit: a slow link. */
  readonly heldSubmits?: readonly number[];
  readonly muteDroppedOrders?: boolean;
}

/** The venue behind a link that holds the first submits (`delays`, one each) before they reach it. */
function holdingSubmits(venue: Venue, schedule: Schedule, delays: readonly number[]): Venue {
  const left = [...delays];
  return {
    name: venue.name, start: () => venue.start(), close: () => venue.close(), healthy: () => venue.healthy(),
    onExecutionReport: (listener) => venue.onExecutionReport(listener), onStreamRestored: (listener) => venue.onStreamRestored!(listener),
    cancel: (id) => venue.cancel(id), lookup: (id) => venue.lookup(id), openOrders: () => venue.openOrders!(),
    fillsSince: (cursor, limit) => venue.fillsSince!(cursor, limit),
    submit: (request) => {
      const delay = left.shift();
      if (delay === undefined) return venue.submit(request);
      return new Promise((resolve, reject) => schedule(() => void venue.submit(request).then(resolve, reject), delay));
    },
  };
}

export async function executionKit(options: KitOptions = {}): Promise<ExecutionKit> {
  const time = new ManualTime('2026-11-21T12:00:00.000Z');
  const system = options.realTime === true || options.fakeTimers === true;
  const clock = system ? { now: () => new Date() } : time;
  const schedule = system ? undefined : time.schedule;
  const store = await openStore({ dataDir: '.', sqliteFile: ':memory:' });
  await store.migrate();
  const anomalies: string[] = [];
  let commits = 0;
  const telemetry = { orderStage() {}, anomaly: (kind: string) => anomalies.push(kind), batchCommitted: () => void (commits += 1) };
  const sim = new SimulatedExchange({ clock, startPrices: { AAPL: '150', MSFT: '400' }, halfSpreadTicks: 0, journalCapacity: 1_000_000 });
  const plan = new FaultPlan({ ...NO_FAULTS, ...options.faults });
  const venue = new FaultyVenue(sim, plan, {
    hangMs: options.realTime ? 2_000 : 60_000, muteDroppedOrders: options.muteDroppedOrders ?? false, ...(schedule ? { schedule } : {}),
  });
  await venue.start();
  const wrapped = options.wrapVenue ? options.wrapVenue(venue) : venue;
  const reached = options.heldSubmits ? holdingSubmits(wrapped, schedule ?? systemSchedule, options.heldSubmits) : wrapped;
  const ctx: OrderContext = {
    store,
    committer: new GroupCommitter(store, new MemoryBus(), telemetry, silentLogger),
    clock,
    ids: { next: () => uuidv7() },
    locks: new KeyedMutex(),
    venues: venueRegistry('sim', [reached]),
    log: silentLogger,
    telemetry,
  };
  const reports = new ExecutionReportProcessor(ctx);
  const stopListening = reports.listen('sim', (listener) => venue.onExecutionReport(listener));
  const guardOptions: GuardOptions = { ...DEFAULT_GUARD_OPTIONS, rate: { ratePerSecond: 1_000_000, burst: 1_000_000 }, ...options.guard };
  const dispatchers: Dispatcher[] = [];
  const dispatcherFor = (owner: string, executor: Partial<ExecutorOptions> = {}) => {
    const guards = new VenueGuards((name) => ctx.venues.get(name), () => guardOptions, clock, schedule ?? ((fn, ms) => {
      const handle = setTimeout(fn, ms);
      return () => clearTimeout(handle);
    }));
    const dispatcher = new Dispatcher(ctx, reports, {
      executor: { owner, ...options.executor, ...executor }, guards, clock, random: () => 0.5, ...(schedule ? { schedule } : {}),
    });
    dispatchers.push(dispatcher);
    return dispatcher;
  };
  const dispatcher = dispatcherFor('instance-a');
  // Quiet: nothing committed, sent or started for several turns of the event loop. Work that
  // waits on the manual clock (a backoff, a paused governor) stays waiting; advance() moves it.
  const settled = async () => {
    let last = '';
    for (let stable = 0; stable < 8;) {
      await new Promise((resolve) => setImmediate(resolve));
      const now = `${commits}|${sim.journal().length}|${dispatchers.map((d) => d.executor.inFlight()).join(',')}`;
      stable = now === last ? stable + 1 : 0;
      last = now;
    }
  };
  return {
    time, store, ctx, sim, venue, plan, reports, dispatcher, anomalies, dispatcherFor, settled,
    async submit(overrides = {}) {
      const result = await submitOrder(ctx, dispatcher, limitOrder('trader-x', overrides), null);
      if (!result.ok) throw new Error(`submit refused: ${result.error.code}`);
      return result.value;
    },
    async advance(ms) {
      if (options.fakeTimers) {
        // A millisecond at a time: what a timer sets off commits on real turns before the next fires.
        await settled();
        for (let step = 0; step < ms; step += 1) {
          vi.advanceTimersByTime(1);
          await settled();
        }
        return;
      }
      const until = time.now().getTime() + ms;
      await settled();
      for (let next = time.nextDue(); next && next.getTime() <= until; next = time.nextDue()) {
        time.advance(next.getTime() - time.now().getTime());
        await settled();
      }
      time.advance(until - time.now().getTime());
      await settled();
    },
    async auditKinds(orderId) {
      return (await store.listAudit(orderId)).map((row) => row.kind);
    },
    async close() {
      for (const d of dispatchers) d.stop();
      await settled();
      stopListening();
      await venue.close();
      await store.close();
    },
  };
}

/** An order the venue took whose answer was lost, with the stream's ack lost too (the connection died): in doubt. */
export async function submitInDoubt(kit: ExecutionKit): Promise<Order> {
  kit.plan.force('drop');
  kit.venue.breakStream();
  const order = await kit.submit();
  await kit.settled();
  kit.venue.restoreStream();
  const intent = await kit.store.execution.findDispatchIntent(order.id);
  if (intent?.attempts !== 1 || !intent.inDoubt) throw new Error(`the order is not in doubt: ${JSON.stringify(intent)}`);
  return order;
}
