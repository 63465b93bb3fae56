import { describe } from 'vitest';
import type { EventBus } from '../../../ports/bus.ts';
import { silentLogger } from '../../../ports/telemetry.ts';
import { busBinariesToTest, busesToTest, BUS_URLS, freshNamespace, ownServer } from '../../../../test/support/buses.ts';
import { describeEventBusContract, type BusFixture, type OutageFixture } from '../contract.ts';
import { openRedisBus } from './redisBus.ts';

const reachable = (await busesToTest('redisBus.int', ['redis'])).length > 0;
const canRunOwn = busBinariesToTest('redisBus.int', ['redis']).length > 0;

function fixtureAt(url: string, connectTimeoutMs: number): BusFixture {
  const namespace = freshNamespace();
  const opened: EventBus[] = [];
  return {
    async open() {
      const bus = await openRedisBus({ url, namespace, log: silentLogger, connectTimeoutMs });
      opened.push(bus);
      return bus;
    },
    async dispose() {
      await Promise.all(opened.map((bus) => bus.close()));
    },
  };
}

describe.skipIf(!reachable)('Redis bus', () => {
  describeEventBusContract(
    `Redis at ${BUS_URLS.redis}`,
    async () => fixtureAt(BUS_URLS.redis, 3_000),
    canRunOwn
      ? async (): Promise<OutageFixture> => {
        const server = await ownServer('redis');
        const fixture = fixtureAt(server.url, 200);
        return {
          ...fixture,
          killServer: () => server.kill(),
          startServer: () => server.start(),
          async dispose() {
            await fixture.dispose();
            await server.dispose();
          },
        };
      }
      : undefined,
  );
});
