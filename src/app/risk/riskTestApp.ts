/**
 * Use-case tests of pre-trade risk: the in-memory test app (SQLite, memory bus, simulated
 * exchange) with a RiskGate over the store's accounts, the exchange's symbols listed as
 * instruments, and a clock the test moves by hand.
 */
import { MemoryBus } from '../../adapters/bus/memory/memoryBus.ts';
import { D, type Dec } from '../../domain/money.ts';
import type { Clock } from '../../ports/clock.ts';
import type { OrderContext } from '../context.ts';
import { Dispatcher } from '../dispatch.ts';
import { ExecutionReportProcessor } from '../executionReports.ts';
import { testApp, type TestApp } from '../testContext.ts';
import { RiskControls } from './riskControls.ts';
import { RiskGate } from './riskGate.ts';

export class ManualClock implements Clock {
  constructor(private ms = Date.parse('2026-11-23T14:30:00.000Z')) {}
  now = () => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface RiskTestApp {
  readonly app: TestApp;
  readonly ctx: OrderContext;
  readonly gate: RiskGate;
  readonly controls: RiskControls;
  readonly reports: ExecutionReportProcessor;
  readonly dispatcher: Dispatcher;
  readonly clock: ManualClock;
  close(): Promise<void>;
}

export async function riskTestApp(options: { openingCash?: Dec; clock?: ManualClock } = {}): Promise<RiskTestApp> {
  const app = await testApp();
  const clock = options.clock ?? new ManualClock();
  const gate = new RiskGate(app.store.accounts, clock, { openingCash: options.openingCash ?? new D(1_000_000), livePrice: (s) => app.sim.referencePrice(s) });
  await app.store.accounts.seedInstruments(app.sim.symbols().map((symbol) => ({
    symbol, lotSize: new D(1), tickSize: new D('0.01'), referencePrice: app.sim.referencePrice(symbol)!, tradable: true,
  })), clock.now());
  await gate.refreshShared();
  const ctx: OrderContext = { ...app.ctx, clock, risk: gate };
  const reports = new ExecutionReportProcessor(ctx);
  const dispatcher = new Dispatcher(ctx, reports);
  const stopListening = reports.listen(app.sim.name, (listener) => app.sim.onExecutionReport(listener));
  const controls = new RiskControls(ctx, gate, dispatcher, new MemoryBus());
  return {
    app, ctx, gate, controls, reports, dispatcher, clock,
    async close() {
      stopListening();
      await dispatcher.settled();
      await app.close();
    },
  };
}
