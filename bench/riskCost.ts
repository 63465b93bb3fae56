/**
 * What pre-trade risk costs intake: the order pipeline (SubmitOrder with its durable commit, the
 * dispatch to the simulated exchange and the ack's commit) run in this process on a fresh
 * SQLite file, once with the risk gate (every check, the buying-power reservation in the order's
 * transaction) and once without, at the same concurrency, alternating so drift hits both alike.
 * The gateway has no switch to turn pre-trade risk off, on purpose; this is where the two are
 * compared. HTTP, JSON and authentication cost the same in both, so the drop through the
 * gateway is at most the drop measured here.
 */
import { rmSync } from 'node:fs';
import { v7 as uuidv7 } from 'uuid';
import { MemoryBus } from '../src/adapters/bus/memory/memoryBus.ts';
import { openStore } from '../src/adapters/store/openStore.ts';
import { SimulatedExchange } from '../src/adapters/venues/sim/simulatedExchange.ts';
import { venueRegistry, type OrderContext } from '../src/app/context.ts';
import { Dispatcher } from '../src/app/dispatch.ts';
import { DEFAULT_GUARD_OPTIONS, VenueGuards } from '../src/app/execution/venueGuard.ts';
import { ExecutionReportProcessor } from '../src/app/executionReports.ts';
import { GroupCommitter, groupCommitFor } from '../src/app/groupCommit.ts';
import { KeyedMutex } from '../src/app/keyedMutex.ts';
import { bookMaxAgeMs, RiskGate } from '../src/app/risk/riskGate.ts';
import { submitOrder } from '../src/app/submitOrder.ts';
import { asSymbol, asTraderId } from '../src/domain/ids.ts';
import { D } from '../src/domain/money.ts';
import { systemClock, systemSchedule } from '../src/ports/clock.ts';
import { noTelemetry, silentLogger } from '../src/ports/telemetry.ts';
import { measureQuietly, type NoisePolicy } from './cpu.ts';
import { temporaryDirectory } from './processes.ts';

export interface RiskRun {
  readonly risk: boolean;
  readonly orders: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** CPU of this process (event loop and commit thread) per order. */
  readonly cpuMicrosPerOrder: number;
  /** Every other process on the machine meanwhile (100 % = one core): noise, when it is not near 0. */
  readonly otherCpuPercent: number;
}

export interface RiskCost {
  readonly concurrency: number;
  readonly runs: RiskRun[];
  /** Best with risk ÷ best without, minus one: negative is a drop. */
  readonly throughputChange: number;
  readonly cpuPerOrderChange: number;
}

/** Enough traders that none passes the default orders-per-second limit at the pipeline's rate. */
const TRADERS = 64;
const SYMBOLS = ['AAPL', 'MSFT', 'GOOGL', 'AMZN', 'TSLA', 'NVDA', 'SPY', 'META'];

async function pipeline(withRisk: boolean) {
  const dataDir = temporaryDirectory('ordergate-bench-risk-');
  const store = await openStore({ dataDir });
  await store.migrate();
  const sim = new SimulatedExchange({ name: 'sim', clock: systemClock, tickIntervalMs: 0 });
  await sim.start();
  let risk: RiskGate | undefined;
  if (withRisk) {
    risk = new RiskGate(store.accounts, systemClock, {
      openingCash: new D('1000000000000'), livePrice: (symbol) => sim.referencePrice(symbol), bookMaxAgeMs: bookMaxAgeMs('sqlite'),
    });
    await store.accounts.seedInstruments(sim.symbols().map((symbol) => ({
      symbol, lotSize: new D(1), tickSize: new D('0.01'), referencePrice: sim.referencePrice(symbol)!, tradable: true,
    })), new Date());
    await risk.refreshShared();
  }
  const ctx: OrderContext = {
    store,
    // Batched as the gateway batches on this store.
    committer: new GroupCommitter(store, new MemoryBus(), noTelemetry, silentLogger, groupCommitFor(store.dialect)),
    clock: systemClock,
    ids: { next: () => uuidv7() },
    locks: new KeyedMutex(),
    venues: venueRegistry('sim', [sim]),
    log: silentLogger,
    telemetry: noTelemetry,
    ...(risk ? { risk } : {}),
  };
  const reports = new ExecutionReportProcessor(ctx);
  // As the bench gateway: the venue throttle is out of the way, so dispatch costs what it costs.
  const guards = new VenueGuards((name) => ctx.venues.get(name), () => ({ ...DEFAULT_GUARD_OPTIONS, rate: { ratePerSecond: 1e9, burst: 1e9 } }),
    systemClock, systemSchedule);
  const dispatcher = new Dispatcher(ctx, reports, { guards });
  const stopListening = reports.listen(sim.name, (listener) => sim.onExecutionReport(listener));
  let next = 0;
  const submitOne = async () => {
    const i = next++;
    const result = await submitOrder(ctx, dispatcher, {
      traderId: asTraderId(`bench-trader-${String((i % TRADERS) + 1).padStart(3, '0')}`), clientOrderId: null, venue: null,
      symbol: asSymbol(SYMBOLS[i % SYMBOLS.length]!), side: 'buy', type: 'limit', timeInForce: 'gtc',
      quantity: new D(10), limitPrice: new D(50), stopPrice: null, batchId: null,
    }, null);
    if (!result.ok) throw new Error(`the pipeline refused an order: ${JSON.stringify(result.error)}`);
  };
  return {
    /** Keeps `concurrency` submissions in flight for `seconds`, then waits for every dispatch to finish. */
    async drive(concurrency: number, seconds: number): Promise<{ orders: number; seconds: number; cpuMicros: number }> {
      const cpu = process.cpuUsage();
      const started = performance.now();
      const deadline = started + seconds * 1000;
      let orders = 0;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          await submitOne();
          orders += 1;
        }
      }));
      await dispatcher.settled();
      const used = process.cpuUsage(cpu);
      return { orders, seconds: (performance.now() - started) / 1000, cpuMicros: used.user + used.system };
    },
    async close() {
      stopListening();
      await dispatcher.settled();
      dispatcher.stop();
      await ctx.committer.flushed();
      await sim.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function measureRiskCost(
  concurrency: number, seconds: number, rounds: number, noise: NoisePolicy, log: (line: string) => void,
): Promise<RiskCost> {
  const runs: RiskRun[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const withRisk of round % 2 === 0 ? [true, false] : [false, true]) {
      const p = await pipeline(withRisk);
      try {
        await p.drive(concurrency, 1);
        const quiet = await measureQuietly(noise, null, `pipeline ${withRisk ? 'with' : 'without'} risk`, log, () => p.drive(concurrency, seconds));
        const measured = quiet.result;
        const run: RiskRun = {
          risk: withRisk, orders: measured.orders, seconds: measured.seconds, perSecond: measured.orders / measured.seconds,
          cpuMicrosPerOrder: measured.cpuMicros / measured.orders, otherCpuPercent: quiet.others,
        };
        runs.push(run);
        log(`  pipeline ${withRisk ? 'with risk   ' : 'without risk'}: ${run.perSecond.toFixed(0)} orders/s, ${run.cpuMicrosPerOrder.toFixed(0)} µs CPU/order`);
      } finally {
        await p.close();
      }
    }
  }
  const best = (risk: boolean) => runs.filter((r) => r.risk === risk).sort((a, b) => b.perSecond - a.perSecond)[0]!;
  const leanest = (risk: boolean) => runs.filter((r) => r.risk === risk).sort((a, b) => a.cpuMicrosPerOrder - b.cpuMicrosPerOrder)[0]!;
  return {
    concurrency,
    runs,
    throughputChange: best(true).perSecond / best(false).perSecond - 1,
    cpuPerOrderChange: leanest(true).cpuMicrosPerOrder / leanest(false).cpuMicrosPerOrder - 1,
  };
}
