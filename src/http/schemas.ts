/**
 * TypeBox schemas: the routes validate with them (type coercion off, unknown fields refused)
 * and the OpenAPI document at /docs is generated from the same objects.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { ORDER_STATUSES, ORDER_TYPES, SIDES, TIMES_IN_FORCE } from '../domain/order/order.ts';

const StringEnum = <T extends readonly string[]>(values: T, description: string) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], description });
const Nullable = (schema: Record<string, unknown>) => Type.Unsafe<string | null>({ ...schema, type: ['string', 'null'] });

const DECIMAL = 'a decimal string such as "150.25"';

export const OrderRequest = Type.Object(
  {
    symbol: Type.String({ minLength: 1, maxLength: 16, description: 'Instrument symbol in upper case, e.g. "AAPL"' }),
    side: StringEnum(SIDES, 'buy or sell'),
    quantity: Type.Unsafe<string | number>({ type: ['string', 'integer'], description: `Quantity: ${DECIMAL}, or a JSON integer` }),
    type: StringEnum(ORDER_TYPES, 'Order type'),
    time_in_force: Type.Optional(StringEnum(TIMES_IN_FORCE, 'Time in force; default day')),
    limit_price: Type.Optional(Nullable({ description: `Required for limit and stop_limit: ${DECIMAL}` })),
    stop_price: Type.Optional(Nullable({ description: `Required for stop and stop_limit: ${DECIMAL}` })),
    client_order_id: Type.Optional(Nullable({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$', description: 'Your id for the order, unique per trader' })),
    stop_loss: Type.Optional(Type.Null({ description: 'Bracket orders are not supported yet: must be null or absent' })),
    take_profit: Type.Optional(Type.Null({ description: 'Bracket orders are not supported yet: must be null or absent' })),
    venue: Type.Optional(Nullable({ minLength: 1, maxLength: 64, description: 'Venue to route to; default: the configured default venue' })),
  },
  { additionalProperties: false, $id: 'OrderRequest' },
);

export const SimulateFillRequest = Type.Object(
  {
    fills: Type.Array(
      Type.Object(
        {
          fill_price: Type.String({ description: DECIMAL }),
          fill_qty: Type.Unsafe<string | number>({ type: ['string', 'integer'], description: `${DECIMAL}, or a JSON integer` }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 100 },
    ),
  },
  { additionalProperties: false },
);

const NullableText = Type.Union([Type.String(), Type.Null()]);

export const OrderResource = Type.Object({
  id: Type.String({ format: 'uuid' }),
  client_order_id: Type.String(),
  trader_id: Type.String(),
  symbol: Type.String(),
  side: StringEnum(SIDES, 'buy or sell'),
  type: StringEnum(ORDER_TYPES, 'Order type'),
  time_in_force: StringEnum(TIMES_IN_FORCE, 'Time in force'),
  quantity: Type.String(),
  limit_price: NullableText,
  stop_price: NullableText,
  status: StringEnum(ORDER_STATUSES, 'Order status'),
  filled_quantity: Type.String(),
  average_fill_price: NullableText,
  venue: Type.String(),
  venue_order_id: NullableText,
  batch_id: NullableText,
  reject_reason: NullableText,
  in_doubt: Type.Boolean({ description: 'The submit outcome is unknown (a timeout, a lost answer) and no lookup at the venue has settled it yet' }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export const FillResource = Type.Object({
  id: Type.String(),
  venue_fill_id: Type.String(),
  quantity: Type.String(),
  price: Type.String(),
  venue: Type.String(),
  commission: Type.String(),
  filled_at: Type.String({ format: 'date-time' }),
});

export const AuditEventResource = Type.Object({
  seq: Type.Integer(),
  id: Type.String(),
  type: Type.String(),
  at: Type.String({ format: 'date-time' }),
  data: Type.Record(Type.String(), Type.Unknown()),
  hash: Type.String(),
});

export const OrderDetail = Type.Composite([
  OrderResource,
  Type.Object({
    fills: Type.Array(FillResource),
    events: Type.Array(AuditEventResource),
    execution: Type.Array(AuditEventResource, { description: 'Each attempt to reach the venue: execution_started, executed, execution_failed, recovered' }),
  }),
]);

export const OrderList = Type.Object({
  orders: Type.Array(OrderResource),
  limit: Type.Integer(),
  offset: Type.Integer(),
  total: Type.Integer(),
});

export const StreamEventResource = Type.Object({
  seq: Type.Integer(),
  event: Type.String(),
  order_id: Type.String(),
  client_order_id: Type.String(),
  trader_id: Type.String(),
  symbol: Type.String(),
  side: Type.String(),
  status: Type.String(),
  quantity_filled: NullableText,
  price_at_fill: NullableText,
  total_filled: Type.String(),
  average_fill_price: NullableText,
  venue: Type.String(),
  reason: NullableText,
  error_code: NullableText,
  timestamp: Type.String({ format: 'date-time' }),
});

export const EventList = Type.Object({ events: Type.Array(StreamEventResource), next_since: Type.Integer() });

export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.String(),
  error_id: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
});

const digits = (description: string) => Type.String({ pattern: '^[0-9]{1,9}$', description });

export const OrderListQuery = Type.Object(
  {
    status: Type.Optional(StringEnum(ORDER_STATUSES, 'Only orders in this status')),
    symbol: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
    limit: Type.Optional(digits('Page size, 1–100; default 20')),
    offset: Type.Optional(digits('Orders to skip; default 0')),
  },
  { additionalProperties: false },
);

export const EventsQuery = Type.Object(
  {
    since: Type.Optional(digits('Return events with seq greater than this; default 0')),
    limit: Type.Optional(digits('At most this many events, 1–1000; default 100')),
    wait_ms: Type.Optional(digits('Long poll: wait up to this many ms (≤ 30000) for an event when none is ready')),
  },
  { additionalProperties: false },
);

export const OrderIdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
export const ClientOrderIdParams = Type.Object({ client_order_id: Type.String({ maxLength: 200 }) });

export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, { ...Problem, description: 'application/problem+json' }]));
}
