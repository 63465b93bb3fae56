/**
 * R4 on the venue link: a gateway process reaches the simulated exchange (its own process,
 * behind its HTTP front and report stream) through a TCP fault proxy, while traders keep placing
 * orders. The link is blackholed for 10 s, then slowed to 100 ± 50 ms a chunk, then every
 * connection on it is reset a few times. Afterwards, against the exchange's own journal and
 * books, the invariants of R1 hold: no acknowledged order lost, no order at the venue twice or
 * never submitted, every retry preceded by a lookup, every order settled (none pending, none in
 * doubt) within 30 s once the faults and the load are over, each order's state and filled
 * quantity as the venue's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/adapters/store/openStore.ts';
import { judge } from '../chaos/crashLoop.ts';
import { LoadGenerator } from '../chaos/load.ts';
import { freePort, startGatewayProcess, startSimFrontProcess, type GatewayProcess, type SimFrontProcess } from '../chaos/processes.ts';
import { until } from '../support/buses.ts';
import { violations } from '../support/executionChecks.ts';
import { TcpProxy } from '../support/tcpProxy.ts';

const SEED = 11;
/** A fault lasts this long: it is the scenario, not a wait for something to happen. */
const hold = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('R4: the venue link blackholed, slowed and reset under load', { timeout: 120_000 }, () => {
  let front: SimFrontProcess;
  let proxy: TcpProxy;
  let gateway: GatewayProcess;
  let dataDir: string;

  beforeAll(async () => {
    front = await startSimFrontProcess({ SIM_FRONT_ACK_LATENCY_MS: '5' });
    const { hostname, port } = new URL(front.url);
    proxy = await TcpProxy.start({ host: hostname, port: Number(port) }, SEED);
    dataDir = mkdtempSync(join(tmpdir(), 'ordergate-r4-'));
    gateway = await startGatewayProcess(await freePort(), {
      ORDERGATE_DATA_DIR: dataDir, ORDERGATE_SIM_URL: proxy.via(front.url).replace(/\/$/, ''), ORDERGATE_INSTANCE_ID: 'r4-gateway',
      ORDERGATE_RATE_LIMIT_PER_MIN: '1000000', ORDERGATE_DEMO_CASH: '1000000000', ORDERGATE_DISPATCH_POLL_MS: '200',
      ORDERGATE_RECONCILE_INTERVAL_MS: '2000', ORDERGATE_RETRY_BASE_MS: '200', ORDERGATE_RETRY_MAX_MS: '3000', ORDERGATE_VENUE_TIMEOUT_MS: '2000',
    });
  }, 90_000);
  afterAll(async () => {
    await gateway?.kill();
    await proxy?.close();
    await front?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('loses no acknowledged order, duplicates none at the venue, and settles every order as the venue has it', async () => {
    // Longer than the faults last: submits are in flight through every one of them.
    const load = new LoadGenerator({ urls: () => [gateway.url], traders: 6, orders: 600, paceMs: 200, seed: SEED });
    load.start(`r4-${SEED}`);
    const acknowledged = () => load.placed.filter((o) => o.acknowledged).length;
    await until(() => acknowledged() >= 30, 'orders before the faults', 20_000);

    const faults: string[] = [];
    proxy.blackhole();
    faults.push(`blackhole 10 s (${proxy.connections()} connections held)`);
    await hold(10_000);
    proxy.delay(100, 50);
    faults.push('delay 100 ± 50 ms for 5 s');
    await hold(5_000);
    for (let i = 0; i < 3; i += 1) {
      faults.push(`reset ${proxy.resetAll()} connections`);
      await hold(1_000);
    }
    proxy.pass();
    const lastFault = Date.now();
    await load.done();
    const quiet = Date.now();

    const store = await openStore({ dataDir });
    try {
      await until(async () => (await store.execution.listDispatchIntents({ limit: 1 })).length === 0
        && (await store.countOrdersByStatus()).pending === 0, 'every order settled (none pending, none in doubt)', 30_000);
      const settledMs = Date.now() - quiet;
      const figures = await judge(store, front, load);
      console.info(`R4: ${faults.join('; ')}; ${load.placed.length} orders placed, ${acknowledged()} acknowledged, `
        + `${load.placed.reduce((n, o) => n + o.requests, 0)} HTTP requests; the load ended ${quiet - lastFault} ms after the last fault, `
        + `every order settled ${settledMs} ms after that; ${JSON.stringify(figures)}`);
      expect({ lost: figures.lost, unsettled: figures.unsettled, stateMismatches: figures.stateMismatches, ...violations(figures.venue) }).toEqual({
        lost: 0, unsettled: 0, stateMismatches: 0, duplicates: 0, retriesWithoutLookup: 0, ordersShortOfLookups: 0, unknownAtVenue: 0, acceptedButNotLive: 0,
      });
      expect(load.placed.filter((o) => o.refusal !== null)).toEqual([]);
      expect(acknowledged()).toBe(load.placed.length);
      // The faults did bite: some submits were retried after a lookup.
      expect(figures.venue.retriesAtVenue + figures.venue.lookups).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });
});
