/**
 * The venue kinds this build can run, what each takes in its stored settings and in its
 * credentials, and the check the admin API runs before a configuration or credentials are
 * stored. Settings are public (URLs, session ids, timeouts): a key that names a secret is
 * refused with a pointer to the credentials endpoint, so a key never lands in a readable row.
 * Invariants: a stored configuration of a known kind passed checkSettings; the problems name
 * the field ("settings.baseUrl", "api_secret") and never repeat a submitted value.
 */
import { parseFaultSettings } from './sim/faults.ts';

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

type Spec =
  | { readonly type: 'url'; readonly schemes: readonly string[] }
  | { readonly type: 'text'; readonly pattern: RegExp; readonly hint: string }
  | { readonly type: 'oneOf'; readonly values: readonly string[] }
  | { readonly type: 'integer'; readonly min: number; readonly max: number }
  | { readonly type: 'boolean' }
  | { readonly type: 'check'; readonly check: (value: unknown) => string | null };

interface KindSpec {
  readonly settings: Readonly<Record<string, Spec>>;
  readonly requiredSettings: readonly string[];
  readonly requiredCredentials: readonly string[];
  readonly optionalCredentials: readonly string[];
  /** One instance at a time runs a venue of this kind, under a lease (singleSession.ts). */
  readonly singleSession?: true;
}

const integer = (min: number, max: number): Spec => ({ type: 'integer', min, max });
const HTTP: Spec = { type: 'url', schemes: ['https:', 'http:'] };
const WS: Spec = { type: 'url', schemes: ['wss:', 'ws:'] };
const COMP_ID: Spec = { type: 'text', pattern: /^[A-Za-z0-9._-]{1,64}$/, hint: '1 to 64 of A-Z a-z 0-9 . _ -' };

/** The venue guard's overrides (venueFactory.guardOptionsFor), which every kind takes. */
const GUARD: Readonly<Record<string, Spec>> = {
  timeoutMs: integer(1, 600_000), ratePerSecond: integer(1, 1_000_000), burst: integer(1, 1_000_000),
  breakerFailures: integer(1, 1_000_000), halfOpenAfterMs: integer(1, 3_600_000),
};

export const VENUE_KINDS: Readonly<Record<string, KindSpec>> = {
  sim: {
    settings: {
      seed: integer(0, 2 ** 31 - 1),
      faults: { type: 'check', check: (value) => {
        if (typeof value !== 'string') return 'must be a string like "drop=20,error=5"';
        try {
          parseFaultSettings(value);
          return null;
        } catch (error) {
          return (error as Error).message;
        }
      } },
    },
    requiredSettings: [], requiredCredentials: [], optionalCredentials: [],
  },
  sim_http: { settings: { url: HTTP }, requiredSettings: ['url'], requiredCredentials: [], optionalCredentials: [] },
  alpaca: {
    settings: { baseUrl: HTTP, streamUrl: WS, fillsLookbackMs: integer(60_000, 90 * 86_400_000) },
    requiredSettings: [], requiredCredentials: ['key_id', 'secret_key'], optionalCredentials: [],
  },
  zerodha: {
    settings: {
      baseUrl: HTTP, streamUrl: WS,
      exchange: { type: 'oneOf', values: ['NSE', 'BSE', 'NFO', 'BFO', 'CDS', 'MCX'] },
      product: { type: 'oneOf', values: ['CNC', 'MIS', 'NRML', 'MTF'] },
    },
    requiredSettings: [], requiredCredentials: ['api_key', 'access_token'], optionalCredentials: ['api_secret'],
  },
  fix: {
    settings: {
      host: { type: 'text', pattern: /^[A-Za-z0-9.:-]{1,253}$/, hint: 'a host name or IP address' },
      port: integer(1, 65_535),
      senderCompId: COMP_ID, targetCompId: COMP_ID,
      heartbeatIntervalSeconds: integer(1, 3_600),
      resetSeqNumOnLogon: { type: 'boolean' },
      sessionResetTime: { type: 'text', pattern: /^([01][0-9]|2[0-3]):[0-5][0-9]$/, hint: 'HH:MM, 24-hour' },
      sessionTimeZone: { type: 'check', check: (value) => (typeof value === 'string' && isTimeZone(value) ? null : 'must be an IANA time zone such as UTC or America/New_York') },
      sessionLeaseMs: integer(3_000, 300_000),
    },
    requiredSettings: ['host', 'port', 'senderCompId', 'targetCompId'], requiredCredentials: [], optionalCredentials: ['username', 'password'],
    singleSession: true,
  },
};

/** Whether a venue of this kind reaches a broker: every kind but the simulated exchange's, including one this build does not know. */
export function isBrokerKind(kind: string): boolean {
  return kind !== 'sim' && kind !== 'sim_http';
}

const SECRET_NAME = /secret|passw|token|api_?key|key_?id|credential|private/i;

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** What is wrong with a kind and its settings; empty when they can be stored. */
export function checkSettings(kind: string, settings: Readonly<Record<string, unknown>>): FieldProblem[] {
  const spec = VENUE_KINDS[kind];
  if (!spec) return [{ field: 'kind', message: `must be one of ${Object.keys(VENUE_KINDS).join(', ')}` }];
  const problems: FieldProblem[] = [];
  for (const [name, value] of Object.entries(settings)) {
    const field = `settings.${name}`;
    const fieldSpec = spec.settings[name] ?? GUARD[name];
    if (!fieldSpec && SECRET_NAME.test(name)) {
      problems.push({ field, message: 'credentials never go in settings; set them with PUT /api/v1/admin/venues/{name}/credentials' });
    } else if (!fieldSpec) {
      problems.push({ field, message: `is not a setting of a ${kind} venue (known: ${[...Object.keys(spec.settings), ...Object.keys(GUARD)].join(', ')})` });
    } else {
      const problem = checkValue(fieldSpec, value);
      if (problem) problems.push({ field, message: problem });
    }
  }
  for (const name of spec.requiredSettings) {
    if (!(name in settings)) problems.push({ field: `settings.${name}`, message: `is required for a ${kind} venue` });
  }
  return problems;
}

/** What is wrong with credentials for a venue of this kind; empty when they can be sealed. */
export function checkCredentials(kind: string, fields: Readonly<Record<string, unknown>>): FieldProblem[] {
  const spec = VENUE_KINDS[kind];
  if (!spec) return [{ field: '(venue)', message: `a venue of kind ${kind} takes no credentials in this build` }];
  const known = [...spec.requiredCredentials, ...spec.optionalCredentials];
  if (known.length === 0) return [{ field: '(venue)', message: `a ${kind} venue takes no credentials` }];
  const problems: FieldProblem[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (!known.includes(name)) problems.push({ field: name, message: `is not a credential of a ${kind} venue (known: ${known.join(', ')})` });
    else if (typeof value !== 'string' || value.trim() === '' || value.length > 4096) problems.push({ field: name, message: 'must be a non-empty string of at most 4096 characters' });
  }
  for (const name of spec.requiredCredentials) if (!(name in fields)) problems.push({ field: name, message: `is required for a ${kind} venue` });
  if (Object.keys(fields).length === 0 && problems.length === 0) problems.push({ field: '(body)', message: `set at least one of ${known.join(', ')}` });
  return problems;
}

function checkValue(spec: Spec, value: unknown): string | null {
  switch (spec.type) {
    case 'url': {
      if (typeof value !== 'string') return `must be a URL starting with ${spec.schemes.join(' or ')}//`;
      let parsed: URL;
      try {
        parsed = new URL(value);
      } catch {
        return `must be a URL starting with ${spec.schemes.join(' or ')}//`;
      }
      if (!spec.schemes.includes(parsed.protocol)) return `must start with ${spec.schemes.join(' or ')}//`;
      // A URL is stored and shown: user:password@ in it would be a credential in settings.
      return parsed.username || parsed.password ? 'must not carry a user name or password; use the credentials endpoint' : null;
    }
    case 'text':
      return typeof value === 'string' && spec.pattern.test(value) ? null : `must be ${spec.hint}`;
    case 'oneOf':
      return typeof value === 'string' && spec.values.includes(value) ? null : `must be one of ${spec.values.join(', ')}`;
    case 'integer':
      return Number.isSafeInteger(value) && (value as number) >= spec.min && (value as number) <= spec.max ? null : `must be a whole number from ${spec.min} to ${spec.max}`;
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'check':
      return spec.check(value);
  }
}
