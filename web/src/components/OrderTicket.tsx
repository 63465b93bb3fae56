/**
 * The order ticket. The server is the one validator: the page sends what the trader typed (as
 * decimal strings) and shows the server's answer in place: each `errors[]` entry at its field,
 * a risk denial's `detail` above the button and, where the code names a field, at that field.
 *
 * No double orders: one submit at a time, and one Idempotency-Key per form content. A second
 * click on an unchanged form after a success reaches the gateway with the same key and gets
 * the first answer back (Idempotency-Replayed), so it places nothing; the page says so, and
 * the click after that places a new order. A submit that got no answer keeps its key, so
 * pressing again is safe whatever happened to the first.
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ApiError, NoAnswer, newIdempotencyKey, type ApiClient } from '../api/client.ts';
import { ORDER_TYPES, SIDES, TIMES_IN_FORCE, type Instrument, type Order, type OrderType, type Side, type TimeInForce } from '../api/types.ts';
import { decimalInput, formatDecimal } from '../format.ts';

type Field = 'symbol' | 'side' | 'quantity' | 'type' | 'limit_price' | 'stop_price' | 'time_in_force' | 'client_order_id';
const FIELDS: readonly Field[] = ['symbol', 'side', 'quantity', 'type', 'limit_price', 'stop_price', 'time_in_force', 'client_order_id'];

/** Risk and conflict codes that are about one field of the ticket. */
const FIELD_OF_CODE: Readonly<Record<string, Field>> = {
  unknown_symbol: 'symbol',
  restricted_symbol: 'symbol',
  symbol_not_tradable: 'symbol',
  lot_size: 'quantity',
  max_order_quantity_exceeded: 'quantity',
  insufficient_position: 'quantity',
  max_position_exceeded: 'quantity',
  price_outside_collar: 'limit_price',
  duplicate_client_order_id: 'client_order_id',
};

const TYPE_LABELS: Record<OrderType, string> = { market: 'Market', limit: 'Limit', stop: 'Stop', stop_limit: 'Stop limit' };
const TIF_LABELS: Record<TimeInForce, string> = { day: 'Day', gtc: 'Good till cancelled', ioc: 'Immediate or cancel', fok: 'Fill or kill' };

interface Draft {
  symbol: string;
  side: Side;
  quantity: string;
  type: OrderType;
  limitPrice: string;
  stopPrice: string;
  timeInForce: TimeInForce;
  clientOrderId: string;
}

const needsLimit = (type: OrderType) => type === 'limit' || type === 'stop_limit';
const needsStop = (type: OrderType) => type === 'stop' || type === 'stop_limit';

/** The request body: fields that do not apply to the order type are left out, empty ones too (the server names what is missing). */
export function orderBody(draft: Draft): Record<string, string> {
  const body: Record<string, string> = { symbol: draft.symbol.trim(), side: draft.side, type: draft.type, time_in_force: draft.timeInForce };
  const quantity = decimalInput(draft.quantity);
  if (quantity !== null) body['quantity'] = quantity;
  const limitPrice = decimalInput(draft.limitPrice);
  if (needsLimit(draft.type) && limitPrice !== null) body['limit_price'] = limitPrice;
  const stopPrice = decimalInput(draft.stopPrice);
  if (needsStop(draft.type) && stopPrice !== null) body['stop_price'] = stopPrice;
  const clientOrderId = draft.clientOrderId.trim();
  if (clientOrderId !== '') body['client_order_id'] = clientOrderId;
  return body;
}

interface Outcome {
  readonly kind: 'placed' | 'replayed' | 'error';
  readonly message: string;
  readonly fields: Partial<Record<Field, string>>;
}

export function OrderTicket(props: { api: ApiClient; instruments: Instrument[]; onPlaced: (order: Order) => void }) {
  const id = useId();
  const [draft, setDraft] = useState<Draft>({
    symbol: '', side: 'buy', quantity: '', type: 'limit', limitPrice: '', stopPrice: '', timeInForce: 'day', clientOrderId: '',
  });
  const [submitting, setSubmitting] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const inFlight = useRef(false);
  const keyed = useRef<{ key: string; body: string } | null>(null);

  const set = <K extends keyof Draft>(name: K, value: Draft[K]) => setDraft((d) => ({ ...d, [name]: value }));

  // After a refusal, the first field to fix gets the focus, so a keyboard user lands on it.
  useEffect(() => {
    const first = FIELDS.find((field) => outcome?.fields[field]);
    if (first) document.getElementById(`${id}-${first}`)?.focus();
  }, [outcome, id]);
  const instrument = props.instruments.find((i) => i.symbol === draft.symbol.trim());

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (inFlight.current) return;
    inFlight.current = true;
    setSubmitting(true);
    const body = orderBody(draft);
    const text = JSON.stringify(body);
    if (keyed.current?.body !== text) keyed.current = { key: newIdempotencyKey(), body: text };
    try {
      const answer = await props.api.post<Order>('/api/v1/orders', body, { idempotencyKey: keyed.current.key });
      const order = answer.data;
      props.onPlaced(order);
      if (answer.replayed) {
        keyed.current = null;
        setOutcome({ kind: 'replayed', fields: {}, message: `Not placed again: this form was already sent and placed as ${order.client_order_id}. Press Place order once more to place another, identical order.` });
      } else {
        setOutcome({ kind: 'placed', fields: {}, message: `Placed ${describe(order)} (${order.client_order_id}), status ${order.status}.` });
      }
    } catch (error) {
      setOutcome(failure(error));
    } finally {
      inFlight.current = false;
      setSubmitting(false);
    }
  }

  const fieldProps = (field: Field) => {
    const message = outcome?.fields[field];
    return {
      id: `${id}-${field}`,
      'aria-invalid': message ? true : undefined,
      'aria-describedby': message ? `${id}-${field}-error` : undefined,
    };
  };
  const fieldError = (field: Field) => {
    const message = outcome?.fields[field];
    return message ? <p className="field-error" id={`${id}-${field}-error`}>{message}</p> : null;
  };

  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>New order</h2>
      <form className="ticket" onSubmit={submit} noValidate>
        <label htmlFor={`${id}-symbol`}>Symbol</label>
        <input {...fieldProps('symbol')} list={`${id}-symbols`} value={draft.symbol} autoComplete="off" spellCheck={false}
          onChange={(e) => set('symbol', e.target.value.toUpperCase())} />
        <datalist id={`${id}-symbols`}>
          {props.instruments.map((i) => <option key={i.symbol} value={i.symbol}>{`${i.symbol} ${formatDecimal(i.reference_price, 2)}`}</option>)}
        </datalist>
        {instrument && <p className="hint">Reference price {formatDecimal(instrument.reference_price, 2)}, tick {instrument.tick_size}, lot {instrument.lot_size}{instrument.tradable ? '' : ' (not tradable)'}</p>}
        {fieldError('symbol')}

        <label htmlFor={`${id}-side`}>Side</label>
        <select {...fieldProps('side')} value={draft.side} onChange={(e) => set('side', e.target.value as Side)}>
          {SIDES.map((s) => <option key={s} value={s}>{s === 'buy' ? 'Buy' : 'Sell'}</option>)}
        </select>
        {fieldError('side')}

        <label htmlFor={`${id}-quantity`}>Quantity</label>
        <input {...fieldProps('quantity')} inputMode="decimal" value={draft.quantity} autoComplete="off" onChange={(e) => set('quantity', e.target.value)} />
        {fieldError('quantity')}

        <label htmlFor={`${id}-type`}>Order type</label>
        <select {...fieldProps('type')} value={draft.type} onChange={(e) => set('type', e.target.value as OrderType)}>
          {ORDER_TYPES.map((t) => <option key={t} value={t}>{TYPE_LABELS[t]}</option>)}
        </select>
        {fieldError('type')}

        {needsLimit(draft.type) && <>
          <label htmlFor={`${id}-limit_price`}>Limit price</label>
          <input {...fieldProps('limit_price')} inputMode="decimal" value={draft.limitPrice} autoComplete="off" onChange={(e) => set('limitPrice', e.target.value)} />
          {fieldError('limit_price')}
        </>}

        {needsStop(draft.type) && <>
          <label htmlFor={`${id}-stop_price`}>Stop price</label>
          <input {...fieldProps('stop_price')} inputMode="decimal" value={draft.stopPrice} autoComplete="off" onChange={(e) => set('stopPrice', e.target.value)} />
          {fieldError('stop_price')}
        </>}

        <label htmlFor={`${id}-time_in_force`}>Time in force</label>
        <select {...fieldProps('time_in_force')} value={draft.timeInForce} onChange={(e) => set('timeInForce', e.target.value as TimeInForce)}>
          {TIMES_IN_FORCE.map((t) => <option key={t} value={t}>{TIF_LABELS[t]}</option>)}
        </select>
        {fieldError('time_in_force')}

        <label htmlFor={`${id}-client_order_id`}>Client order ID (optional)</label>
        <input {...fieldProps('client_order_id')} value={draft.clientOrderId} autoComplete="off" spellCheck={false} onChange={(e) => set('clientOrderId', e.target.value)} />
        {fieldError('client_order_id')}

        {outcome && (
          <p className={`outcome outcome-${outcome.kind}`} role={outcome.kind === 'error' ? 'alert' : 'status'}>{outcome.message}</p>
        )}
        <button type="submit" className={`place place-${draft.side}`} disabled={submitting}>
          {submitting ? 'Placing…' : 'Place order'}
        </button>
      </form>
    </section>
  );
}

function describe(order: Order): string {
  const price = order.type === 'market' ? 'at market' : [
    order.limit_price !== null ? `limit ${order.limit_price}` : null,
    order.stop_price !== null ? `stop ${order.stop_price}` : null,
  ].filter(Boolean).join(', ');
  return `${order.side} ${order.quantity} ${order.symbol} ${price}`;
}

function failure(error: unknown): Outcome {
  if (error instanceof NoAnswer) {
    return { kind: 'error', fields: {}, message: `${error.message} The order may or may not have been placed: press Place order again without changing anything. It is sent with the same Idempotency-Key, so it cannot be placed twice.` };
  }
  if (!(error instanceof ApiError)) return { kind: 'error', fields: {}, message: String(error) };
  if (error.code === 'idempotency_key_in_use') {
    return { kind: 'error', fields: {}, message: 'This form is still being placed by an earlier press. Wait a moment, then press Place order again to see how it ended; it will not be placed twice.' };
  }
  const fields: Partial<Record<Field, string>> = {};
  const elsewhere: string[] = [];
  for (const e of error.fieldErrors) {
    if ((FIELDS as readonly string[]).includes(e.field)) fields[e.field as Field] = fields[e.field as Field] ? `${fields[e.field as Field]}; ${e.message}` : e.message;
    else elsewhere.push(`${e.field}: ${e.message}`);
  }
  const named = error.problem.field;
  const field = named !== undefined && (FIELDS as readonly string[]).includes(named) ? named as Field : FIELD_OF_CODE[error.code];
  if (field && !fields[field]) fields[field] = error.problem.detail;
  const summary = error.fieldErrors.length > 0
    ? `The order was not placed: ${error.fieldErrors.length === 1 ? 'one field needs' : `${error.fieldErrors.length} fields need`} fixing.${elsewhere.length > 0 ? ` ${elsewhere.join('; ')}` : ''}`
    : `The order was not placed: ${error.problem.detail}`;
  return { kind: 'error', fields, message: `${summary}${error.problem.error_id ? ` (error ${error.problem.error_id})` : ''}` };
}
