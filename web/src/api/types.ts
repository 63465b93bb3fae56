/**
 * The public API's resources as the page reads them (API.md). Prices and quantities stay the
 * decimal strings the server sent: the page shows them and sends them back, it never does
 * arithmetic on them.
 */
export const SIDES = ['buy', 'sell'] as const;
export const ORDER_TYPES = ['market', 'limit', 'stop', 'stop_limit'] as const;
export const TIMES_IN_FORCE = ['day', 'gtc', 'ioc', 'fok'] as const;

export type Side = (typeof SIDES)[number];
export type OrderType = (typeof ORDER_TYPES)[number];
export type TimeInForce = (typeof TIMES_IN_FORCE)[number];
export type OrderStatus =
  | 'pending' | 'acked' | 'partially_filled' | 'filled' | 'settled'
  | 'pending_cancel' | 'cancelled' | 'rejected' | 'expired';

/** The statuses API.md lets a trader cancel from. */
export const CANCELABLE_STATUSES: readonly OrderStatus[] = ['pending', 'acked', 'partially_filled'];

export interface Order {
  readonly id: string;
  readonly client_order_id: string;
  readonly trader_id: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly time_in_force: TimeInForce;
  readonly quantity: string;
  readonly limit_price: string | null;
  readonly stop_price: string | null;
  readonly status: OrderStatus;
  readonly filled_quantity: string;
  readonly average_fill_price: string | null;
  readonly venue: string;
  readonly venue_order_id: string | null;
  readonly reject_reason: string | null;
  readonly in_doubt?: boolean;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface OrderPage {
  readonly orders: Order[];
  readonly limit: number;
  readonly offset: number;
  readonly total: number;
}

export interface Fill {
  readonly id: string;
  readonly venue_fill_id: string;
  readonly quantity: string;
  readonly price: string;
  readonly venue: string;
  readonly commission: string;
  readonly filled_at: string;
}

export interface AuditEntry {
  readonly id: string;
  readonly type: string;
  readonly at: string;
  readonly data: Record<string, unknown>;
}

export interface OrderDetail extends Order {
  readonly fills: Fill[];
  readonly events: AuditEntry[];
  readonly execution?: AuditEntry[];
}

/**
 * One message of the trader's stream. Order events carry the order's state after the event;
 * kill-switch events (`kill_switch.tripped`, `kill_switch.released`) carry no order.
 */
export interface StreamEvent {
  readonly seq: number;
  readonly event: string;
  readonly timestamp: string;
  readonly order_id?: string;
  readonly client_order_id?: string;
  readonly symbol?: string;
  readonly side?: Side;
  readonly status?: OrderStatus;
  readonly total_filled?: string;
  readonly average_fill_price?: string | null;
  readonly venue?: string;
  readonly reason?: string | null;
  readonly trading_state?: string;
}

export interface EventPage {
  readonly events: StreamEvent[];
  readonly next_since: number;
}

export interface Position {
  readonly symbol: string;
  readonly quantity: string;
  readonly average_price: string;
  readonly market_price: string | null;
  readonly unrealized_pnl: string | null;
}

export interface Account {
  readonly trader_id: string;
  readonly cash: string;
  readonly buying_power: string;
  readonly reserved: string;
  readonly realized_pnl_today: string;
  readonly unrealized_pnl: string;
  readonly trading_state: string;
  readonly positions: Position[];
}

export interface Instrument {
  readonly symbol: string;
  readonly lot_size: string;
  readonly tick_size: string;
  readonly reference_price: string;
  readonly tradable: boolean;
}

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** RFC 9457 problem details as the gateway sends them. */
export interface Problem {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly error_id?: string;
  readonly errors?: FieldError[];
  /** Set by denials about one field of the order, e.g. `tick_size` on `limit_price` or `stop_price`. */
  readonly field?: string;
}
