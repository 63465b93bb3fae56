/**
 * The simulated exchange's HTTP front and its client against the connector contract, faults
 * included: lost answers, 5xx, 429, no answer, and a broken report stream. The client's request
 * deadlines and reconnects run on a hand-moved clock.
 */
import { D } from '../../../domain/money.ts';
import type { VenueOrderRequest } from '../../../ports/venue.ts';
import { describeVenueContract } from '../contract.ts';
import { startSimFront } from './httpFront.ts';
import { ManualTime } from './manualTime.ts';
import { SimHttpVenue } from './simHttpVenue.ts';
import { SimulatedExchange } from './simulatedExchange.ts';

const order = (clientOrderId: string, quantity: string, symbol = 'AAPL'): VenueOrderRequest => ({
  clientOrderId, account: 'alice', symbol, side: 'buy', type: 'limit', timeInForce: 'day',
  quantity: new D(quantity), limitPrice: new D('100'), stopPrice: null,
});

const TIMEOUT_MS = 2_000;
const RECONNECT_MS = 100;

describeVenueContract('sim over HTTP', async () => {
  const exchange = new SimulatedExchange({ startPrices: { AAPL: '150' }, halfSpreadTicks: 0 });
  await exchange.start();
  const front = await startSimFront({ exchange });
  const time = new ManualTime();
  const venue = new SimHttpVenue({ name: 'sim', url: front.url, requestTimeoutMs: TIMEOUT_MS, reconnectMs: RECONNECT_MS, schedule: time.schedule });
  await venue.start();
  return {
    venue,
    restingOrder: (clientOrderId, quantity) => order(clientOrderId, quantity),
    restingPrice: '100',
    fatal: { request: (clientOrderId) => order(clientOrderId, '10', 'XYZ'), reason: /unknown symbol XYZ/ },
    fill: async (clientOrderId, quantity, price) => {
      const result = await exchange.simulateFills(clientOrderId, [{ quantity: new D(quantity), price: new D(price) }]);
      if (!result.ok) throw new Error(result.error.message);
    },
    ordersAtVenue: async (clientOrderId) =>
      exchange.journal().filter((entry) => entry.op === 'submit' && entry.clientOrderId === clientOrderId && entry.result === 'accepted').length,
    faults: {
      dropNextSubmitAnswer: () => front.forceNext({ fault: 'drop' }),
      failNextSubmit: (status) => front.forceNext({ fault: 'error', status }),
      rateLimitNextSubmit: (seconds) => front.forceNext({ fault: 'throttle', retryAfterS: seconds }),
      hangNextSubmit: () => front.forceNext({ fault: 'timeout_lost' }),
      heldRequests: () => front.heldRequests(),
      elapseRequestDeadline: () => time.advance(TIMEOUT_MS),
      interruptStream: async (whileDown) => {
        front.breakStream(3_600_000);
        await new Promise((resolve) => setTimeout(resolve, 20));
        await whileDown();
        front.restoreStream();
        time.advance(RECONNECT_MS);
      },
    },
    close: async () => {
      await venue.close();
      await front.close();
      await exchange.close();
    },
  };
}, { faults: true, streamInterruption: true });
