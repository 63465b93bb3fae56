/**
 * `npm run chaos`: the full R1 crash loop (RELIABILITY.md) and R5 with a 10 s pause, against
 * the simulated exchange in its own process. Prints the figures as JSON lines and exits 1 if
 * any invariant broke. Seeded: the same seed kills at the same moments and places the same orders.
 * Environment: CHAOS_SEED (1), CHAOS_KILLS (100), CHAOS_ORDERS (10000), CHAOS_TRADERS (20),
 * CHAOS_KILL_MIN_MS / CHAOS_KILL_MAX_MS (3000 / 8000), CHAOS_STORE (postgres when reachable,
 * else sqlite), CHAOS_SKIP_R5 (set to skip the pause run).
 */
import { violations } from '../test/support/executionChecks.ts';
import { postgresUnreachable } from '../test/support/postgres.ts';
import { r1Violations, runCrashLoop } from '../test/chaos/crashLoop.ts';
import { runPausedInstance } from '../test/chaos/pausedInstance.ts';

const env = process.env;
const number = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
const print = (label: string, value: unknown) => process.stdout.write(`${label} ${JSON.stringify(value)}\n`);

const pgReachable = (await postgresUnreachable()) === null;
const store = (env.CHAOS_STORE ?? (pgReachable ? 'postgres' : 'sqlite')) as 'sqlite' | 'postgres';
const seed = number('CHAOS_SEED', 1);
process.stdout.write(`chaos: R1 on ${store}, seed ${seed}\n`);
const r1 = await runCrashLoop({
  seed, store, kills: number('CHAOS_KILLS', 100), orders: number('CHAOS_ORDERS', 10_000), traders: number('CHAOS_TRADERS', 20),
  killAfterMs: [number('CHAOS_KILL_MIN_MS', 3_000), number('CHAOS_KILL_MAX_MS', 8_000)], venueLatencyMs: 20,
  log: (line) => process.stdout.write(`chaos: ${line}\n`),
});
print('R1 figures', r1);
const r1Broken = Object.entries(r1Violations(r1)).filter(([, count]) => count !== 0);
print('R1 violations', Object.fromEntries(r1Broken));

let r5Broken: Array<[string, number]> = [];
if (!env.CHAOS_SKIP_R5 && pgReachable) {
  process.stdout.write('chaos: R5, one of two instances paused 10 s\n');
  const r5 = await runPausedInstance({ seed, pauseMs: 10_000, leaseMs: 3_000, traders: 10, orders: 2_000 });
  print('R5 figures', r5);
  r5Broken = Object.entries({ ...violations(r5.venue), lost: r5.lost, unsettled: r5.unsettled, stateMismatches: r5.stateMismatches,
    notTakenOver: r5.inFlightAtPause - r5.takenOver }).filter(([, count]) => count !== 0);
  print('R5 violations', Object.fromEntries(r5Broken));
}
process.exit(r1Broken.length + r5Broken.length === 0 ? 0 : 1);
