/**
 * Expected outcomes are values: a decision either succeeds with a value or fails with a
 * typed rejection. Broken invariants are not results; they throw.
 */
export type Ok<T> = { readonly ok: true; readonly value: T };
export type Err<E> = { readonly ok: false; readonly error: E };
export type Result<T, E> = Ok<T> | Err<E>;

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value });
export const err = <E>(error: E): Err<E> => ({ ok: false, error });

export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(x)}`);
}

/** A broken invariant: data that can only exist through a bug. Fails fast. */
export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}
