/**
 * The composition root: the one place that chooses adapters and wires them into the ports.
 * `npm start` runs this file; tests call startGateway() with their own configuration.
 */
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { v7 as uuidv7 } from 'uuid';
import type { OrderContext } from './app/context.ts';
import { Dispatcher } from './app/dispatch.ts';
import type { ExecutorOptions } from './app/execution/executor.ts';
import { VenueGuards } from './app/execution/venueGuard.ts';
import { ExecutionReportProcessor } from './app/executionReports.ts';
import { GroupCommitter, groupCommitFor } from './app/groupCommit.ts';
import { KeyedMutex } from './app/keyedMutex.ts';
import { OutboxRelay } from './app/outboxRelay.ts';
import { InstanceNameHold } from './app/instanceName.ts';
import { recoverWorkingOrders } from './app/recoverOrders.ts';
import { DEFAULT_RECONCILER_OPTIONS, Reconciler } from './app/reconciliation/reconciler.ts';
import { RoutingVenues } from './app/routing/routingVenues.ts';
import { VenueSupervisor, type VenueSource } from './app/routing/venueSupervisor.ts';
import { RiskControls } from './app/risk/riskControls.ts';
import { bookMaxAgeMs, RiskGate } from './app/risk/riskGate.ts';
import { D } from './domain/money.ts';
import { describeBus, openBus } from './adapters/bus/openBus.ts';
import { registerExecutionMetrics } from './adapters/metrics/executionMetrics.ts';
import { prometheusTelemetry } from './adapters/metrics/prometheus.ts';
import { relayMetrics } from './adapters/metrics/relayMetrics.ts';
import { openStore } from './adapters/store/openStore.ts';
import { SimulatedExchange } from './adapters/venues/sim/simulatedExchange.ts';
import { describeBuiltInSim, guardOptionsFor, openVault, openVenues, venueAdministration } from './adapters/venues/venueFactory.ts';
import { VENUE_KINDS } from './adapters/venues/venueKinds.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { Authenticator, signToken } from './http/auth.ts';
import { IdempotencyGuard } from './http/idempotency.ts';
import { buildServer } from './http/server.ts';
import type { ExecutionConfig } from './executionConfig.ts';
import { systemClock, systemSchedule } from './ports/clock.ts';
import type { VenueConfig } from './ports/execution.ts';
import type { OrderStore } from './ports/store.ts';
import type { Logger } from './ports/telemetry.ts';

export interface Gateway {
  readonly url: string;
  readonly config: Config;
  readonly sim: SimulatedExchange;
  readonly jwtSecret: string;
  readonly risk: { readonly gate: RiskGate; readonly controls: RiskControls };
  /** The HTTP server, for tests that enumerate its routes (the authorization matrix). */
  readonly http: FastifyInstance;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Put PostgreSQL tables in this schema (tests). */
  readonly pgSchema?: string;
  /** Print the development tokens (npm start does). */
  readonly printDevTokens?: boolean;
}

/** How soon a venue configured or given credentials through another instance gets its adapter here. */
const VENUE_REFRESH_MS = 5_000;

export async function startGateway(config: Config, options: StartOptions = {}): Promise<Gateway> {
  const logger = pino({ level: config.logLevel, redact: ['req.headers.authorization'] });
  mkdirSync(config.dataDir, { recursive: true });
  const jwtSecret = config.jwtSecret ?? (config.jwtPublicKey ? '' : developmentSecret(config.dataDir));

  const store = await openStore({ databaseUrl: config.databaseUrl ?? undefined, dataDir: config.dataDir, pgSchema: options.pgSchema });
  await store.migrate();
  // A stable name is the owner of this instance's leases: two live processes must not share it.
  let stopGateway: () => Promise<void> = async () => {};
  const name = config.execution.instanceId === null ? null : await InstanceNameHold.claim(
    store.execution, config.execution.instanceId, uuidv7(), systemClock, systemSchedule, logger, () => void stopGateway(),
  ).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const { registry, telemetry } = prometheusTelemetry(store);
  // Everything publishes through the relay's fast path, so what the broker took is marked
  // published and the relay republishes only the rest (see app/outboxRelay.ts).
  const relay = new OutboxRelay(store, await openBus({ url: config.busUrl, namespace: config.busNamespace, log: logger }), systemClock, logger, relayMetrics(registry));
  const bus = relay.fastPath();
  const sim = new SimulatedExchange({
    name: 'sim',
    clock: systemClock,
    seed: config.sim.seed,
    tickIntervalMs: config.sim.tickIntervalMs,
    ackLatencyMs: config.sim.ackLatencyMs,
    fillLatencyMs: config.sim.fillLatencyMs,
    halfSpreadTicks: config.sim.halfSpreadTicks,
    ...(config.sim.startPrices ? { startPrices: config.sim.startPrices } : {}),
  });
  await sim.start();
  // This instance's name on its dispatch leases and venue session leases: a stable one
  // (ORDERGATE_INSTANCE_ID) lets a restart resume its own leases at once.
  const instance = config.execution.instanceId ?? `instance-${uuidv7()}`;
  const execution = await connectVenues(config, store, sim, instance, logger);

  const risk = new RiskGate(store.accounts, systemClock, {
    openingCash: new D(config.demoCash), livePrice: (symbol) => sim.referencePrice(symbol), bookMaxAgeMs: bookMaxAgeMs(store.dialect),
  });
  await store.accounts.seedInstruments(sim.symbols().map((symbol) => ({
    symbol, lotSize: new D(1), tickSize: new D('0.01'), referencePrice: sim.referencePrice(symbol)!, tradable: true,
  })), systemClock.now());
  await risk.refreshShared();
  const riskRefresh = setInterval(() => {
    risk.refreshShared().catch((error) => logger.warn({ err: String(error) }, 'risk settings refresh failed'));
  }, 1_000);
  riskRefresh.unref();

  const ctx: OrderContext = {
    store,
    committer: new GroupCommitter(store, bus, telemetry, logger, groupCommitFor(store.dialect)),
    clock: systemClock,
    ids: { next: () => uuidv7() },
    locks: new KeyedMutex(),
    venues: execution.venues,
    log: logger,
    telemetry,
    risk,
  };
  const reports = new ExecutionReportProcessor(ctx);
  const dispatcher = new Dispatcher(ctx, reports, { guards: execution.guards, executor: executorOptions(config.execution, instance) });
  const reconciler = new Reconciler(ctx, reports, () => execution.venues.names().map((name) => execution.venues.get(name)!),
    { ...DEFAULT_RECONCILER_OPTIONS, intervalMs: config.execution.reconcileIntervalMs }, systemSchedule);
  execution.venues.gateOn((name) => reconciler.isReconciled(name));
  registerExecutionMetrics(registry, {
    store: store.execution, venues: () => execution.venues.names(), lastRun: (name) => reconciler.lastRun(name), guard: (name) => execution.guards.get(name),
  });
  const controls = new RiskControls(ctx, risk, dispatcher, bus);
  const listening = new Map(execution.raw.map((venue) => [venue.name, reports.listen(venue.name, (listener) => venue.onExecutionReport(listener))]));
  const stopListening = () => listening.forEach((stop) => stop());
  const supervisor = new VenueSupervisor({
    list: execution.sources, build: execution.build, log: logger, schedule: systemSchedule, refreshMs: VENUE_REFRESH_MS, fixed: [sim.name],
    exclusive: (c) => VENUE_KINDS[c.kind]?.singleSession === true,
    attach(venue) {
      const before = listening.get(venue.name);
      listening.set(venue.name, reports.listen(venue.name, (listener) => venue.onExecutionReport(listener)));
      const guard = execution.guards.put(venue);
      execution.venues.put(guard.venue);
      reconciler.watch(guard.venue);
      dispatcher.watch(guard.venue);
      return () => before?.();
    },
  });
  supervisor.adopt(execution.startedFrom, execution.raw);

  let ready = false;
  const server = await buildServer({
    ctx, dispatcher, reports, bus,
    auth: new Authenticator({
      algorithm: config.jwtAlgorithm, secret: config.jwtPublicKey ? null : jwtSecret, publicKey: config.jwtPublicKey,
      issuer: config.jwtIssuer, audience: config.jwtAudience,
    }),
    idempotency: new IdempotencyGuard(store, systemClock, config.idempotencyTtlHours),
    metrics: registry,
    metricsToken: config.metricsToken,
    ready: () => ready,
    websocket: { heartbeatMs: 15_000, maxBufferedBytes: config.wsMaxBufferedBytes, slowConsumerMs: config.wsSlowConsumerMs },
    risk: { gate: risk, controls },
    rateLimit: { perMinute: config.rateLimitPerMin, redisUrl: config.busUrl?.startsWith('redis') ? config.busUrl : null, namespace: config.busNamespace },
    execution: { reconciler, venues: execution.venues, guards: execution.guards, adapters: supervisor },
  }, logger);
  const address = await server.listen({ host: config.host, port: config.port });
  relay.start();

  await dispatcher.start();
  const recovery = await recoverWorkingOrders(reconciler);
  supervisor.start();
  ready = true;
  logger.info({ ...recovery }, 'recovered working orders');
  const sweeper = setInterval(() => {
    store.deleteExpiredIdempotency(systemClock.now()).catch((error) => logger.warn({ err: String(error) }, 'idempotency sweep failed'));
  }, 3_600_000);
  sweeper.unref();

  if (options.printDevTokens && config.jwtSecret === null && config.jwtPublicKey === null) {
    await printDevelopmentTokens(address, jwtSecret, config);
  }
  logger.info({ url: address, store: store.dialect, bus: describeBus(config.busUrl) }, 'ordergate is ready');

  let stopped: Promise<void> | null = null;
  const gateway: Gateway = {
    url: address,
    config,
    sim,
    jwtSecret,
    risk: { gate: risk, controls },
    http: server,
    stop: () => (stopped ??= stopAll()),
  };
  stopGateway = () => gateway.stop();
  return gateway;

  async function stopAll(): Promise<void> {
    clearInterval(sweeper);
    clearInterval(riskRefresh);
    await server.close();
    await supervisor.stop();
    stopListening();
    reconciler.stop();
    dispatcher.stop();
    await dispatcher.settled();
    await reconciler.settled();
    await ctx.committer.flushed();
    await sim.close();
    await supervisor.close();
    await relay.stop();
    await bus.close();
    await name?.release();
    await store.close();
  }
}

/**
 * The venues of the stored configurations (credentials from the vault), each behind its guard,
 * and the routing registry over them, which also carries the admin API's venue administration.
 */
async function connectVenues(config: Config, store: OrderStore, sim: SimulatedExchange, instance: string, logger: Logger) {
  await describeBuiltInSim(store.execution, config.execution, systemClock.now());
  /** Every stored configuration with its credentials' version: the row id, new at each set or rotation. */
  const sources = async (): Promise<VenueSource[]> => {
    const [stored, sealed] = await Promise.all([store.execution.listVenueConfigs(), store.credentials.list()]);
    const versions = new Map(sealed.map((row) => [row.venue, row.id]));
    return stored.map((c) => ({ config: c, credentialsVersion: versions.get(c.name) ?? null }));
  };
  // One read: the supervisor compares later reads with exactly what the adapters were built from.
  const startedFrom = await sources();
  const configs = startedFrom.map((source) => source.config);
  const vault = openVault(store.credentials, config.credentialsKey, config.dataDir, systemClock, () => uuidv7(), logger);
  const context = {
    localSim: sim, log: logger, vault, environment: config.brokers, dataDir: config.dataDir,
    workingOrderIds: async (venue: string) => (await store.listWorkingOrders(venue)).map((order) => order.id),
    // Instances share a PostgreSQL database; a SQLite data folder belongs to one instance.
    ...(store.dialect === 'postgres' ? {
      sessions: { owner: instance, leases: store.execution, clock: systemClock, schedule: systemSchedule },
      sharedOrders: async (venue: string, orderId: string) => {
        const order = await store.findOrder(orderId);
        return order && order.venue === venue ? order : null;
      },
    } : {}),
  };
  const raw = await openVenues(configs, context);
  // Brokers connect in parallel: each waits (bounded) for its stream or session before returning.
  await Promise.all(raw.filter((venue) => venue !== sim).map((venue) => venue.start()));
  const byName = new Map(raw.map((venue) => [venue.name, venue]));
  // The latest configuration read (a venue added later has its own), else the one started with.
  let latest: () => readonly VenueConfig[] = () => configs;
  const configOf = (name: string) => latest().find((c) => c.name === name) ?? configs.find((c) => c.name === name);
  const guards = new VenueGuards((name) => byName.get(name), (name) => guardOptionsFor(configOf(name), config.execution), systemClock, systemSchedule);
  const kindOf = async (name: string) => (await store.execution.listVenueConfigs()).find((c) => c.name === name)?.kind ?? null;
  const venues = new RoutingVenues('sim', raw.map((venue) => guards.get(venue.name)!.venue), store.execution, systemClock, logger, undefined,
    venueAdministration(vault, kindOf));
  latest = () => venues.configs();
  await venues.refresh();
  const build = async (c: VenueConfig) => (await openVenues([c], context))[0] ?? null;
  return { raw, guards, venues, sources, build, startedFrom };
}

function executorOptions(c: ExecutionConfig, owner: string): Partial<ExecutorOptions> {
  return {
    owner,
    leaseMs: c.leaseMs,
    pollMs: c.pollMs,
    policy: { maxAttempts: c.submitAttempts, baseDelayMs: c.retryBaseMs, jitterRatio: c.retryJitterPct / 100, maxDelayMs: c.retryMaxMs },
  };
}

/** A development secret kept in the data folder, so printed tokens survive a restart. */
function developmentSecret(dataDir: string): string {
  const file = join(dataDir, 'dev-jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

async function printDevelopmentTokens(url: string, secret: string, config: Config): Promise<void> {
  const week = 7 * 24 * 3600;
  const claims = { ...(config.jwtIssuer ? { iss: config.jwtIssuer } : {}), ...(config.jwtAudience ? { aud: config.jwtAudience } : {}) };
  const alice = await signToken(secret, { sub: 'alice', roles: ['trader'], ...claims }, week);
  const bob = await signToken(secret, { sub: 'bob', roles: ['trader'], ...claims }, week);
  const admin = await signToken(secret, { sub: 'admin', roles: ['admin', 'risk'], ...claims }, week);
  process.stdout.write([
    '',
    `ordergate listening on ${url} (development mode: ORDERGATE_JWT_SECRET is not set)`,
    'Tokens valid for 7 days:',
    `  alice (trader): ${alice}`,
    `  bob   (trader): ${bob}`,
    `  admin (admin, risk): ${admin}`,
    'Try:',
    `  curl -s -X POST ${url}/api/v1/orders -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\`,
    `    -d '{"symbol":"AAPL","side":"buy","quantity":"10","type":"market"}'`,
    '',
  ].join('\n') + '\n');
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`ordergate: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  let gateway: Gateway;
  try {
    gateway = await startGateway(config, { printDevTokens: true });
  } catch (error) {
    process.stderr.write(`ordergate: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await gateway.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
