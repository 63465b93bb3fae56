import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import type { EventBus } from '../../../ports/bus.ts';
import { silentLogger } from '../../../ports/telemetry.ts';
import { busBinariesToTest, busesToTest, BUS_URLS, freshNamespace, ownServer } from '../../../../test/support/buses.ts';
import { describeEventBusContract, outboxEvent, type BusFixture, type OutageFixture } from '../contract.ts';
import { openNatsBus } from './natsBus.ts';

const reachable = (await busesToTest('natsBus.int', ['nats'])).length > 0;
const canRunOwn = busBinariesToTest('natsBus.int', ['nats']).length > 0;

async function withManager<T>(url: string, work: (manager: Awaited<ReturnType<typeof jetstreamManager>>) => Promise<T>): Promise<T> {
  const connection = await connect({ servers: url.replace(/^nats:\/\//, ''), timeout: 2_000 });
  try {
    return await work(await jetstreamManager(connection));
  } finally {
    await connection.close();
  }
}

function fixtureAt(url: string, connectTimeoutMs: number, namespace = freshNamespace()): BusFixture {
  const opened: EventBus[] = [];
  return {
    async open() {
      const bus = await openNatsBus({ url, namespace, log: silentLogger, connectTimeoutMs });
      opened.push(bus);
      return bus;
    },
    async dispose() {
      await Promise.all(opened.map((bus) => bus.close()));
      await withManager(url, (manager) => manager.streams.delete(`${namespace}_events`)).catch(() => false);
    },
  };
}

describe.skipIf(!reachable)('NATS JetStream bus', () => {
  describeEventBusContract(
    `NATS at ${BUS_URLS.nats}`,
    async () => fixtureAt(BUS_URLS.nats, 3_000),
    canRunOwn
      ? async (): Promise<OutageFixture> => {
        const server = await ownServer('nats');
        const fixture = fixtureAt(server.url, 200);
        return {
          ...fixture,
          killServer: () => server.kill(),
          startServer: () => server.start(),
          async dispose() {
            await fixture.dispose().catch(() => {});
            await server.dispose();
          },
        };
      }
      : undefined,
  );

  describe('its stream', () => {
    it('given one event published twice (the relay after the fast path), then the stream stores it once', async () => {
      const namespace = freshNamespace();
      const fixture = fixtureAt(BUS_URLS.nats, 3_000, namespace);
      try {
        const bus = await fixture.open();
        const event = outboxEvent('hana', 1);
        await bus.publish([event]);
        await bus.publish([event, outboxEvent('hana', 2)]);
        const info = await withManager(BUS_URLS.nats, (manager) => manager.streams.info(`${namespace}_events`));
        expect(info.state.messages).toBe(2);
        expect(info.config.subjects).toEqual([`${namespace}.events.>`]);
      } finally {
        await fixture.dispose();
      }
    });
  });
});
