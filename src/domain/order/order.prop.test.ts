/**
 * Properties of the order state machine over random command sequences (R10), a model-based
 * check with fc.commands, and venue races: fills, acks, cancels and expiries delivered in any
 * order, fills replayed (R7).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromText, type Dec } from '../money.ts';
import { asVenueFillId, type VenueOrderId } from '../ids.ts';
import { decide, type OrderCommand } from './decide.ts';
import {
  applyAll, at, fill, given, OTHER_VENUE_ORDER_ID, recordAck, recordCancel, recordCancelReject, recordExpiry,
  recordReject, requestCancel, settle, submit, VENUE_ORDER_ID,
} from './fixtures.ts';
import { CANCELABLE_STATUSES, isTerminal, isWorking, leavesQuantity, type Order, type OrderStatus } from './order.ts';

const RUNS = { numRuns: 1000 };
const SCALE = 10n ** 12n;

/** A positive decimal with up to 12 decimal places, as units of 10^-12 and as text. */
const units = (min: bigint, max: bigint) => fc.bigInt({ min, max });
const textOf = (u: bigint): string => {
  const whole = u / SCALE;
  const fraction = (u % SCALE).toString().padStart(12, '0').replace(/0+$/, '');
  return fraction === '' ? `${whole}` : `${whole}.${fraction}`;
};
const unitsOf = (d: Dec): bigint => BigInt(d.times(SCALE.toString()).toFixed());
const decimalText = fc.oneof(
  fc.integer({ min: 1, max: 60 }).map(String),
  units(1n, 60n * SCALE).map(textOf),
);
const priceText = fc.oneof(
  fc.integer({ min: 1, max: 1000 }).map(String),
  units(1n, 10n ** 6n * SCALE).map(textOf),
);
const venueOrderId = fc.constantFrom(VENUE_ORDER_ID, VENUE_ORDER_ID, VENUE_ORDER_ID, OTHER_VENUE_ORDER_ID);
const reason = fc.constantFrom('trader asked', 'venue closed', null);

const commandArb: fc.Arbitrary<OrderCommand> = fc.oneof(
  { arbitrary: fc.constant(submit()), weight: 1 },
  { arbitrary: reason.map((r) => requestCancel(r)), weight: 2 },
  { arbitrary: venueOrderId.map((id) => recordAck(id)), weight: 3 },
  {
    arbitrary: fc.record({ q: decimalText, p: priceText, id: venueOrderId })
      .map(({ q, p, id }) => ({ kind: 'record_fill', fill: fill(q, p, id) }) as const),
    weight: 6,
  },
  { arbitrary: reason.map((r) => recordCancel(r)), weight: 1 },
  { arbitrary: fc.constant(recordCancelReject()), weight: 2 },
  { arbitrary: fc.constant(recordReject()), weight: 1 },
  { arbitrary: reason.map((r) => recordExpiry(r)), weight: 1 },
  { arbitrary: fc.constant(settle()), weight: 1 },
);
const quantityText = fc.oneof(fc.integer({ min: 1, max: 200 }).map(String), units(1n, 200n * SCALE).map(textOf));

/** The data each status must carry. */
function checkVariant(o: Order): void {
  switch (o.status) {
    case 'pending':
      expect(o.venueOrderId).toBeNull();
      expect(o.filledQuantity.isZero()).toBe(true);
      break;
    case 'acked':
      expect(o.venueOrderId).not.toBeNull();
      expect(o.filledQuantity.isZero()).toBe(true);
      break;
    case 'partially_filled':
      expect(o.venueOrderId).not.toBeNull();
      expect(o.filledQuantity.gt(0) && o.filledQuantity.lt(o.quantity)).toBe(true);
      break;
    case 'filled':
    case 'settled':
      expect(o.venueOrderId).not.toBeNull();
      expect(o.filledQuantity.eq(o.quantity)).toBe(true);
      break;
    case 'rejected':
      expect(typeof o.reason === 'string' && o.reason.length > 0).toBe(true);
      expect(o.filledQuantity.lt(o.quantity)).toBe(true);
      break;
    case 'pending_cancel':
    case 'cancelled':
    case 'expired':
      expect(o.filledQuantity.lt(o.quantity)).toBe(true);
      break;
  }
}

describe('random command sequences from a submitted order', () => {
  it('keep every invariant of the state machine', () => {
    fc.assert(
      fc.property(quantityText, fc.array(commandArb, { maxLength: 40 }), (quantity, commands) => {
        let order = given(submit({ quantity: fromText(quantity) }));
        let applied = 0;
        let filled = 0n;
        let notional = 0n;
        commands.forEach((command, i) => {
          const before = order;
          const decision = decide(command, before, at(i + 1));
          if (!decision.ok) {
            if (decision.error.code === 'overfill') {
              expect(decision.error.requested.gt(decision.error.leaves)).toBe(true);
              expect(decision.error.leaves.eq(leavesQuantity(before))).toBe(true);
            }
            return;
          }
          const after = applyAll(before, decision.value)!;
          applied += decision.value.length;
          for (const event of decision.value) {
            if (event.kind === 'fill') {
              filled += unitsOf(event.fill.quantity);
              notional += unitsOf(event.fill.quantity) * unitsOf(event.fill.price);
            }
          }
          if (isTerminal(before.status)) expect(isWorking(after.status), `${before.status} → ${after.status}`).toBe(false);
          expect(after.filledQuantity.gte(before.filledQuantity)).toBe(true);
          expect(after.filledQuantity.lte(after.quantity)).toBe(true);
          if (before.venueOrderId !== null) expect(after.venueOrderId).toBe(before.venueOrderId);
          checkVariant(after);
          expect(unitsOf(after.filledQuantity)).toBe(filled);
          expect(BigInt(after.filledNotional.times((SCALE * SCALE).toString()).toFixed())).toBe(notional);
          expect(after.version).toBe(1 + applied);
          order = after;
        });
      }),
      RUNS,
    );
  });
});

/**
 * The model: the status a trader would expect from the API text, the quantity filled in units
 * of 10^-12, and the venue order id. Each command checks decide's answer against it.
 */
interface Model {
  status: OrderStatus;
  filled: bigint;
  readonly quantity: bigint;
  venueOrderId: VenueOrderId | null;
}
interface Real { order: Order; clock: number }
type Cmd = fc.Command<Model, Real>;

const decideOn = (real: Real, command: OrderCommand) => {
  real.clock += 1;
  const decision = decide(command, real.order, at(real.clock));
  if (decision.ok) real.order = applyAll(real.order, decision.value)!;
  return decision;
};
const expectRefused = (decision: ReturnType<typeof decide>, error: object) => expect(decision).toEqual({ ok: false, error });
const invalid = (m: Model, event: string) => ({ code: 'invalid_transition', from: m.status, event });
const agree = (m: Model, r: Real) => {
  expect(r.order.status).toBe(m.status);
  expect(unitsOf(r.order.filledQuantity)).toBe(m.filled);
  expect(r.order.venueOrderId).toBe(m.venueOrderId);
};
const workingAgain = (m: Model): OrderStatus => (m.filled > 0n ? 'partially_filled' : m.venueOrderId === null ? 'pending' : 'acked');

class Cancel implements Cmd {
  check = () => true;
  run(m: Model, r: Real) {
    const decision = decideOn(r, requestCancel());
    if (CANCELABLE_STATUSES.includes(m.status)) m.status = 'pending_cancel';
    else expectRefused(decision, { code: 'order_not_cancelable', status: m.status });
    agree(m, r);
  }
  toString = () => 'cancel';
}

class Ack implements Cmd {
  constructor(readonly id: VenueOrderId) {}
  check = () => true;
  run(m: Model, r: Real) {
    const decision = decideOn(r, recordAck(this.id));
    if (m.venueOrderId === this.id) expect(decision).toEqual({ ok: true, value: [] });
    else if (m.venueOrderId !== null) expectRefused(decision, { code: 'venue_order_id_mismatch', known: m.venueOrderId, reported: this.id });
    else if (m.status === 'rejected' || m.status === 'settled') expectRefused(decision, invalid(m, 'acked'));
    else {
      m.venueOrderId = this.id;
      if (m.status === 'pending') m.status = 'acked';
    }
    agree(m, r);
  }
  toString = () => `ack(${this.id})`;
}

class Fill implements Cmd {
  constructor(readonly quantity: bigint, readonly id: VenueOrderId) {}
  check = () => true;
  run(m: Model, r: Real) {
    const decision = decideOn(r, { kind: 'record_fill', fill: fill(textOf(this.quantity), '10', this.id) });
    const leaves = m.quantity - m.filled;
    if (m.venueOrderId !== null && m.venueOrderId !== this.id) {
      expectRefused(decision, { code: 'venue_order_id_mismatch', known: m.venueOrderId, reported: this.id });
    } else if (this.quantity > leaves) {
      expect(decision).toMatchObject({ ok: false, error: { code: 'overfill' } });
    } else if (m.status === 'rejected') {
      expectRefused(decision, invalid(m, 'fill'));
    } else {
      m.filled += this.quantity;
      m.venueOrderId = this.id;
      if (m.filled === m.quantity) m.status = 'filled';
      else if (m.status === 'pending' || m.status === 'acked') m.status = 'partially_filled';
    }
    agree(m, r);
  }
  toString = () => `fill(${textOf(this.quantity)}, ${this.id})`;
}

/** The venue's word on the order: cancelled, cancel refused, order refused, expired. */
class Outcome implements Cmd {
  constructor(readonly kind: 'cancelled' | 'cancel_rejected' | 'rejected' | 'expired' | 'settled') {}
  check = () => true;
  run(m: Model, r: Real) {
    const command = { cancelled: recordCancel(), cancel_rejected: recordCancelReject(), rejected: recordReject(), expired: recordExpiry(), settled: settle() }[this.kind];
    const decision = decideOn(r, command);
    const live = isWorking(m.status);
    const targets: { readonly [K in Outcome['kind']]: OrderStatus | undefined } = {
      cancelled: live ? 'cancelled' : undefined,
      cancel_rejected: m.status === 'pending_cancel' ? workingAgain(m)
        : ['filled', 'cancelled', 'expired', 'rejected'].includes(m.status) ? m.status : undefined,
      // Only an order the venue never took (no venue order id, nothing filled) can be refused.
      rejected: (m.status === 'pending' || m.status === 'pending_cancel') && m.venueOrderId === null && m.filled === 0n ? 'rejected' : undefined,
      expired: live ? 'expired' : undefined,
      settled: m.status === 'filled' ? 'settled' : undefined,
    };
    const next = targets[this.kind];
    if (next === undefined) expectRefused(decision, invalid(m, this.kind));
    else m.status = next;
    agree(m, r);
  }
  toString = () => this.kind;
}

describe('model-based: the state machine against a model written from the API text', () => {
  it('agrees with the model on every command, accepted or refused', () => {
    const quantityUnits = units(1n, 100n * SCALE);
    const commands = (quantity: bigint) => fc.commands([
      fc.constant(new Cancel()),
      venueOrderId.map((id) => new Ack(id)),
      fc.tuple(fc.oneof(units(1n, quantity), units(quantity, quantity * 2n), fc.constant(quantity)), venueOrderId).map(([q, id]) => new Fill(q, id)),
      fc.constantFrom('cancelled', 'cancel_rejected', 'rejected', 'expired', 'settled').map((k) => new Outcome(k)),
    ], { maxCommands: 30 });
    fc.assert(
      fc.property(quantityUnits.chain((q) => fc.tuple(fc.constant(q), commands(q))), ([quantity, cmds]) => {
        const order = given(submit({ quantity: fromText(textOf(quantity)) }));
        fc.modelRun((): { model: Model; real: Real } => ({ model: { status: 'pending', filled: 0n, quantity, venueOrderId: null }, real: { order, clock: 0 } }), cmds);
      }),
      RUNS,
    );
  });
});

/**
 * A venue works the order and reports: an ack, fills, and at most one end (cancelled, expired),
 * or it refuses the order. The trader may cancel at any moment; the venue answers that cancel
 * with `cancelled` while the order works there, `cancel_rejected` once it has ended. The
 * gateway receives the reports in any order, each fill one to three times; the store's unique
 * (venue, venue fill id) drops the replays before the domain sees them.
 */
describe('venue races (R7): reports reordered and replayed, around a cancel', () => {
  type Report = { readonly key: string; readonly command: OrderCommand };
  const scenario = fc.record({
    quantity: fc.integer({ min: 1, max: 100 }),
    refused: fc.boolean(),
    fills: fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 6 }),
    end: fc.constantFrom('none', 'cancelled', 'expired'),
    cancelAfter: fc.option(fc.nat({ max: 6 })),
    cancelVenueStep: fc.nat({ max: 6 }),
    answerDelay: fc.nat({ max: 30 }),
    replays: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 6, maxLength: 6 }),
    ackReplays: fc.integer({ min: 1, max: 3 }),
    order: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 30, maxLength: 30 }),
  });

  it('count every fill the venue made exactly once, accept every report, and end where the venue ended', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const quantity = BigInt(s.quantity);
        // The venue's own history.
        const fills: bigint[] = [];
        let total = 0n;
        for (const f of s.fills) {
          const q = BigInt(f) > quantity - total ? quantity - total : BigInt(f);
          if (q > 0n) { fills.push(q); total += q; }
        }
        const venueEnd = s.refused ? 'rejected' : total === quantity ? 'filled' : s.end;
        const venueStep = Math.min(s.cancelVenueStep, fills.length);
        // Fills still to come, or none to come and no end yet: the order is working at the venue.
        const workingAtCancel = !s.refused && (venueStep < fills.length || venueEnd === 'none');
        const cancelWanted = s.cancelAfter !== null;
        // A cancel that reaches a working venue order ends it there: later fills never happen.
        const madeFills = s.refused ? [] : cancelWanted && workingAtCancel ? fills.slice(0, venueStep) : fills;
        const made = madeFills.reduce((a, b) => a + b, 0n);
        const reports: Report[] = [];
        if (s.refused) reports.push({ key: 'reject', command: recordReject('refused') });
        else {
          for (let i = 0; i < s.ackReplays; i++) reports.push({ key: `ack${i}`, command: recordAck() });
          madeFills.forEach((q, i) => {
            const f = { ...fill(String(q), '10'), venueFillId: asVenueFillId(`V-${i}`) };
            for (let k = 0; k < (s.replays[i] ?? 1); k++) reports.push({ key: `fill${i}.${k}`, command: { kind: 'record_fill', fill: f } });
          });
          if (!(cancelWanted && workingAtCancel) && venueEnd === 'cancelled') reports.push({ key: 'end', command: recordCancel('venue') });
          if (!(cancelWanted && workingAtCancel) && venueEnd === 'expired') reports.push({ key: 'end', command: recordExpiry('venue') });
        }
        const delivery = reports.map((r, i) => ({ r, sortKey: s.order[i % s.order.length]! + i * 1e-9 }))
          .sort((a, b) => a.sortKey - b.sortKey).map((x) => x.r);
        const cancelAt = s.cancelAfter === null ? -1 : Math.min(s.cancelAfter, delivery.length);
        const expectedEnd: OrderStatus = made === quantity ? 'filled'
          : s.refused ? 'rejected'
          : cancelWanted && workingAtCancel ? 'cancelled'
          : venueEnd === 'cancelled' || venueEnd === 'expired' ? venueEnd
          : made > 0n ? 'partially_filled' : 'acked';

        let order = given(submit({ quantity: fromText(String(quantity)) }));
        const seenFills = new Set<string>();
        let clock = 1;
        const deliver = (command: OrderCommand) => {
          if (command.kind === 'record_fill') {
            if (seenFills.has(command.fill.venueFillId)) return;
            seenFills.add(command.fill.venueFillId);
          }
          const decision = decide(command, order, at(clock++));
          expect(decision.ok ? 'accepted' : decision.error, `${command.kind} on ${order.status}`).toBe('accepted');
          if (decision.ok) order = applyAll(order, decision.value)!;
          expect(order.filledQuantity.lte(order.quantity)).toBe(true);
        };
        let answer: OrderCommand | null = null;
        let answerAt = -1;
        for (let i = 0; i <= delivery.length; i++) {
          if (i === cancelAt) {
            answer = traderCancels();
            answerAt = Math.min(i + s.answerDelay, delivery.length);
          }
          if (answer !== null && i === answerAt) deliver(answer);
          const report = delivery[i];
          if (report !== undefined) deliver(report.command);
        }

        function traderCancels(): OrderCommand | null {
          const decision = decide(requestCancel(), order, at(clock++));
          if (!decision.ok) return null;
          order = applyAll(order, decision.value)!;
          return workingAtCancel ? recordCancel('trader asked') : recordCancelReject('too late to cancel');
        }

        expect(unitsOf(order.filledQuantity)).toBe(made * SCALE);
        expect(order.status).toBe(expectedEnd);
      }),
      RUNS,
    );
  });
});
