/**
 * Chooses the event bus from ORDERGATE_BUS_URL: `redis://`/`rediss://` → Redis pub/sub,
 * `nats://` → NATS JetStream, unset → the in-process bus (one instance only). A broker that is
 * down does not stop the start: the bus connects in the background and the outbox holds the
 * events until it does.
 */
import type { EventBus } from '../../ports/bus.ts';
import type { Logger } from '../../ports/telemetry.ts';
import { MemoryBus } from './memory/memoryBus.ts';
import { openNatsBus } from './nats/natsBus.ts';
import { openRedisBus } from './redis/redisBus.ts';

export interface OpenBusOptions {
  readonly url: string | null;
  readonly namespace: string;
  readonly log: Logger;
}

export async function openBus({ url, namespace, log }: OpenBusOptions): Promise<EventBus> {
  const onListenerError = (error: unknown) => log.error({ err: String(error) }, 'event listener failed');
  if (url === null) return new MemoryBus(onListenerError);
  const scheme = new URL(url).protocol;
  if (scheme === 'redis:' || scheme === 'rediss:') return openRedisBus({ url, namespace, log, onListenerError });
  if (scheme === 'nats:') return openNatsBus({ url, namespace, log, onListenerError });
  throw new Error(`ORDERGATE_BUS_URL must start with redis://, rediss:// or nats://; got "${scheme}//…"`);
}

/** Where the bus is, for messages; never prints a password from the URL. */
export function describeBus(url: string | null): string {
  if (url === null) return 'in-process';
  try {
    const parsed = new URL(url);
    return `${parsed.protocol.replace(':', '')} ${parsed.hostname}:${parsed.port}`;
  } catch {
    return 'unparsable URL';
  }
}
