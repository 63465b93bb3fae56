/**
 * The simulated exchange against the connector contract. It has no fault injection yet, so the
 * fault cases are reported as skipped for it.
 */
import { D } from '../../domain/money.ts';
import type { VenueOrderRequest } from '../../ports/venue.ts';
import { describeVenueContract } from './contract.ts';
import { SimulatedExchange } from './sim/simulatedExchange.ts';

const order = (clientOrderId: string, quantity: string, symbol = 'AAPL'): VenueOrderRequest => ({
  clientOrderId, account: 'alice', symbol, side: 'buy', type: 'limit', timeInForce: 'day',
  quantity: new D(quantity), limitPrice: new D('100'), stopPrice: null,
});

describeVenueContract('sim', async () => {
  const sim = new SimulatedExchange({ startPrices: { AAPL: '150' }, halfSpreadTicks: 0 });
  await sim.start();
  return {
    venue: sim,
    restingOrder: (clientOrderId, quantity) => order(clientOrderId, quantity),
    restingPrice: '100',
    fatal: { request: (clientOrderId) => order(clientOrderId, '10', 'XYZ'), reason: /unknown symbol XYZ/ },
    fill: async (clientOrderId, quantity, price) => {
      const result = await sim.simulateFills(clientOrderId, [{ quantity: new D(quantity), price: new D(price) }]);
      if (!result.ok) throw new Error(result.error.message);
    },
    ordersAtVenue: async (clientOrderId) =>
      sim.journal().filter((entry) => entry.op === 'submit' && entry.clientOrderId === clientOrderId && entry.result === 'accepted').length,
    faults: null,
    close: () => sim.close(),
  };
}, { faults: false, streamInterruption: false, reconciliation: true });
