/**
 * Test support shared by the broker connectors' rigs: a logger that keeps every line as a log
 * shipper would store it, and the connector contract's fault controls over a broker test
 * server (the venue's clock is the hand-driven one the rig gave it).
 */
import { expect } from 'vitest';
import type { Logger } from '../../../ports/telemetry.ts';
import type { Venue } from '../../../ports/venue.ts';
import { eventually, type VenueFaults } from '../contract/harness.ts';
import type { ManualTime } from '../sim/manualTime.ts';
import type { BrokerTestServer } from './testServerBase.ts';

export function capturingLogger(lines: string[]): Logger {
  const write = (level: string) => (obj: object, msg?: string) => {
    lines.push(JSON.stringify({ level, ...obj, msg }));
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** The faults the contract injects, on the route orders are placed by; timing as the rig set the venue. */
export function brokerFaults<Route extends string>(
  server: BrokerTestServer<Route, unknown, unknown>, submitRoute: Route, venue: Venue, time: ManualTime,
  timing: { readonly requestTimeoutMs: number; readonly reconnectMaxMs: number },
): VenueFaults {
  return {
    dropNextSubmitAnswer: () => server.injectFault(submitRoute, { kind: 'drop_after_accept' }),
    failNextSubmit: (status) => server.injectFault(submitRoute, { kind: 'status', status }),
    rateLimitNextSubmit: (retryAfterSeconds) => server.injectFault(submitRoute, { kind: 'rate_limited', retryAfterSeconds }),
    hangNextSubmit: () => server.injectFault(submitRoute, { kind: 'hang' }),
    heldRequests: () => server.heldRequests(),
    elapseRequestDeadline: () => time.advance(timing.requestTimeoutMs),
    interruptStream: async (whileDown) => {
      server.dropStreams(true);
      await eventually(() => expect(venue.healthy()).toBe(false));
      await whileDown();
      server.allowStreams();
      time.advance(timing.reconnectMaxMs);
      await eventually(() => expect(venue.healthy()).toBe(true));
    },
  };
}
