/**
 * Test support for the simulated exchange: requests with sensible defaults and an exchange
 * on manual time whose delivered reports are captured. Used by tests only.
 */
import { D } from '../../../domain/money.ts';
import type { ExecutionReport, VenueOrderRequest } from '../../../ports/venue.ts';
import { ManualTime } from './manualTime.ts';
import { SimulatedExchange, type SimulatedExchangeOptions } from './simulatedExchange.ts';

type RequestInput = Partial<Omit<VenueOrderRequest, 'quantity' | 'limitPrice' | 'stopPrice'>> & {
  readonly clientOrderId: string;
  readonly quantity?: string;
  readonly limitPrice?: string | null;
  readonly stopPrice?: string | null;
};

export function request(input: RequestInput): VenueOrderRequest {
  const { quantity, limitPrice, stopPrice, ...rest } = input;
  const type = input.type ?? (limitPrice ? (stopPrice ? 'stop_limit' : 'limit') : stopPrice ? 'stop' : 'market');
  return {
    account: 'alice',
    symbol: 'AAPL',
    side: 'buy',
    timeInForce: 'day',
    ...rest,
    type,
    quantity: new D(quantity ?? '10'),
    limitPrice: limitPrice ? new D(limitPrice) : null,
    stopPrice: stopPrice ? new D(stopPrice) : null,
  };
}

export interface Harness {
  readonly sim: SimulatedExchange;
  readonly time: ManualTime;
  /** Every report delivered so far, in delivery order. */
  readonly reports: ExecutionReport[];
  readonly reportsOf: (clientOrderId: string) => ExecutionReport[];
  /** Sends the request and lets every due callback run, so the answer is settled. */
  readonly submit: (input: RequestInput) => ReturnType<SimulatedExchange['submit']>;
  readonly cancel: (clientOrderId: string) => ReturnType<SimulatedExchange['cancel']>;
  /** What the order has filled so far, from the exchange's own view, as text. */
  readonly filled: (clientOrderId: string) => Promise<string>;
}

export async function openExchange(options: SimulatedExchangeOptions = {}): Promise<Harness> {
  const time = new ManualTime();
  const sim = new SimulatedExchange({
    clock: time,
    schedule: time.schedule,
    startPrices: { AAPL: '100', MSFT: '400' },
    instanceId: 'test',
    orderNumber: counter(),
    ...options,
  });
  const reports: ExecutionReport[] = [];
  sim.onExecutionReport((report) => reports.push(report));
  await sim.start();
  return {
    sim,
    time,
    reports,
    reportsOf: (clientOrderId) => reports.filter((report) => report.clientOrderId === clientOrderId),
    submit: (input) => {
      const answer = sim.submit(request(input));
      time.flush();
      return answer;
    },
    cancel: (clientOrderId) => {
      const answer = sim.cancel(clientOrderId);
      time.flush();
      return answer;
    },
    filled: async (clientOrderId) => (await sim.lookup(clientOrderId))?.filledQuantity.toFixed() ?? 'unknown',
  };
}

/** The kinds of the reports, with quantity@price for fills: compact to assert on. */
export const summary = (reports: readonly ExecutionReport[]): string[] =>
  reports.map((report) => (report.kind === 'fill' ? `fill ${report.quantity.toFixed()}@${report.price.toFixed()}` : report.kind));

/** Venue order numbers 1, 2, 3…: ids a test can predict (the exchange's own are random). */
export function counter(): () => string {
  let next = 0;
  return () => String(++next);
}
