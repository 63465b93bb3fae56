/**
 * Use-case tests run over real in-process adapters: SQLite in memory, the memory bus and the
 * simulated exchange, with a clock the test moves by hand.
 */
import { v7 as uuidv7 } from 'uuid';
import { MemoryBus } from '../adapters/bus/memory/memoryBus.ts';
import { openStore } from '../adapters/store/openStore.ts';
import { SimulatedExchange } from '../adapters/venues/sim/simulatedExchange.ts';
import { asSymbol, asTraderId } from '../domain/ids.ts';
import { D } from '../domain/money.ts';
import type { StreamEvent } from '../ports/bus.ts';
import type { OrderStore } from '../ports/store.ts';
import { silentLogger, type Telemetry } from '../ports/telemetry.ts';
import { venueRegistry, type OrderContext } from './context.ts';
import { Dispatcher } from './dispatch.ts';
import { ExecutionReportProcessor } from './executionReports.ts';
import { GroupCommitter } from './groupCommit.ts';
import { KeyedMutex } from './keyedMutex.ts';
import type { OrderDispatch, SubmitOrderInput } from './submitOrder.ts';

/** Commits orders and their intents without claiming or waking anything, as if the instance died at once. */
export const HELD_DISPATCH: OrderDispatch = { prepare: () => null, dispatch() {} };

export interface TestApp {
  readonly ctx: OrderContext;
  readonly store: OrderStore;
  readonly sim: SimulatedExchange;
  readonly reports: ExecutionReportProcessor;
  readonly dispatcher: Dispatcher;
  readonly published: StreamEvent[];
  readonly anomalies: string[];
  readonly batches: number[];
  close(): Promise<void>;
}

export async function testApp(options: { store?: OrderStore } = {}): Promise<TestApp> {
  const store = options.store ?? (await openStore({ dataDir: '.', sqliteFile: ':memory:' }));
  await store.migrate();
  const bus = new MemoryBus();
  const published: StreamEvent[] = [];
  const anomalies: string[] = [];
  const batches: number[] = [];
  const publish = bus.publish.bind(bus);
  bus.publish = async (events) => {
    published.push(...events);
    return publish(events);
  };
  const telemetry: Telemetry = { orderStage() {}, anomaly: (kind) => anomalies.push(kind), batchCommitted: (size) => batches.push(size) };
  const sim = new SimulatedExchange({ startPrices: { AAPL: '150', MSFT: '400' }, halfSpreadTicks: 0 });
  await sim.start();
  const ctx: OrderContext = {
    store,
    committer: new GroupCommitter(store, bus, telemetry, silentLogger),
    clock: { now: () => new Date() },
    ids: { next: () => uuidv7() },
    locks: new KeyedMutex(),
    venues: venueRegistry('sim', [sim]),
    log: silentLogger,
    telemetry,
  };
  const reports = new ExecutionReportProcessor(ctx);
  const dispatcher = new Dispatcher(ctx, reports);
  return {
    ctx, store, sim, reports, dispatcher, published, anomalies, batches,
    async close() {
      await dispatcher.settled();
      await sim.close();
      await store.close();
    },
  };
}

export function limitOrder(traderId: string, overrides: Partial<SubmitOrderInput> = {}): SubmitOrderInput {
  return {
    traderId: asTraderId(traderId),
    clientOrderId: null,
    symbol: asSymbol('AAPL'),
    side: 'buy',
    type: 'limit',
    timeInForce: 'gtc',
    quantity: new D(100),
    limitPrice: new D(100),
    stopPrice: null,
    venue: null,
    batchId: null,
    ...overrides,
  };
}
