/**
 * The execution core's environment variables (README "Configuration"), read by config.ts.
 * Each venue's stored settings may override the venue defaults (timeoutMs, ratePerSecond,
 * burst, breakerFailures, halfOpenAfterMs). An invalid value stops the start with one line
 * naming the variable and what it accepts.
 */
import { parseFaultSettings } from './adapters/venues/sim/faults.ts';

export interface ExecutionConfig {
  /** This instance's name on dispatch leases; stable across restarts to resume at once, unique per instance. */
  readonly instanceId: string | null;
  readonly submitAttempts: number;
  readonly retryBaseMs: number;
  readonly retryJitterPct: number;
  readonly retryMaxMs: number;
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly venueTimeoutMs: number;
  readonly venueRatePerSec: number;
  readonly venueBurst: number;
  readonly breakerFailures: number;
  readonly breakerHalfOpenMs: number;
  readonly reconcileIntervalMs: number;
  /** The simulated exchange's HTTP front; set, venue `sim` is that remote exchange. */
  readonly simUrl: string | null;
  /** Fault injection for the in-process `sim`, as `drop=20,error=5,timeout=5,…` (sim/faults.ts). */
  readonly simFaults: string | null;
}

type Env = Record<string, string | undefined>;

export function loadExecutionConfig(env: Env, fail: (message: string) => never): ExecutionConfig {
  const raw = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? null : value;
  };
  const int = (name: string, fallback: number, min: number, max: number) => {
    const value = raw(name);
    if (value === null) return fallback;
    if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) fail(`${name} must be a whole number from ${min} to ${max}; got "${value}"`);
    return Number(value);
  };
  const instanceId = raw('ORDERGATE_INSTANCE_ID');
  if (instanceId !== null && !/^[A-Za-z0-9._:-]{1,64}$/.test(instanceId)) {
    fail(`ORDERGATE_INSTANCE_ID must be 1 to 64 of A-Z a-z 0-9 . _ : -; got "${instanceId}"`);
  }
  const simUrl = raw('ORDERGATE_SIM_URL');
  if (simUrl !== null && !/^https?:\/\/[^\s]+$/.test(simUrl)) fail(`ORDERGATE_SIM_URL must be an http:// URL; got "${simUrl}"`);
  const simFaults = raw('ORDERGATE_SIM_FAULTS');
  if (simFaults !== null) {
    try {
      parseFaultSettings(simFaults);
    } catch (error) {
      fail(`ORDERGATE_SIM_FAULTS: ${(error as Error).message}`);
    }
  }
  return {
    instanceId,
    submitAttempts: int('ORDERGATE_SUBMIT_ATTEMPTS', 3, 1, 20),
    retryBaseMs: int('ORDERGATE_RETRY_BASE_MS', 1_000, 1, 600_000),
    retryJitterPct: int('ORDERGATE_RETRY_JITTER_PCT', 20, 0, 100),
    retryMaxMs: int('ORDERGATE_RETRY_MAX_MS', 60_000, 1, 3_600_000),
    leaseMs: int('ORDERGATE_DISPATCH_LEASE_MS', 15_000, 100, 3_600_000),
    pollMs: int('ORDERGATE_DISPATCH_POLL_MS', 1_000, 10, 600_000),
    venueTimeoutMs: int('ORDERGATE_VENUE_TIMEOUT_MS', 5_000, 1, 600_000),
    venueRatePerSec: int('ORDERGATE_VENUE_RATE_PER_SEC', 200, 1, 1_000_000),
    venueBurst: int('ORDERGATE_VENUE_BURST', 50, 1, 1_000_000),
    breakerFailures: int('ORDERGATE_BREAKER_FAILURES', 5, 1, 1_000_000),
    breakerHalfOpenMs: int('ORDERGATE_BREAKER_HALF_OPEN_MS', 10_000, 1, 3_600_000),
    reconcileIntervalMs: int('ORDERGATE_RECONCILE_INTERVAL_MS', 60_000, 100, 86_400_000),
    simUrl,
    simFaults,
  };
}
