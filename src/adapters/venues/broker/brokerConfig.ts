/** Reading a broker's URL from an environment variable: the value or a default, checked for its scheme. */
import { ConfigError } from '../../../config.ts';

type Env = Record<string, string | undefined>;

/** The URL in variable `name`, else `fallback`; a malformed one stops the start naming the variable. */
export function urlVariable(env: Env, name: string, fallback: string, schemes: readonly string[]): string {
  const raw = env[name]?.trim() || fallback;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL starting with ${schemes.join(' or ')}//`);
  }
  if (!schemes.includes(parsed.protocol)) throw new ConfigError(`${name} must start with ${schemes.join(' or ')}//; got ${parsed.protocol}//…`);
  return raw;
}
