/**
 * The trader's orders, newest first, as the stream keeps them. A working order can be
 * cancelled from its row; the row's status then follows the stream (pending cancel, then
 * cancelled, or filled if a fill won the race at the venue).
 */
import { useState } from 'react';
import { ApiError, newIdempotencyKey, type ApiClient } from '../api/client.ts';
import { CANCELABLE_STATUSES, type Order } from '../api/types.ts';
import { formatDecimal, formatPrice, statusLabel, timeOfDay } from '../format.ts';
import type { OrderRow } from '../live/orderView.ts';

interface Props {
  readonly api: ApiClient;
  readonly rows: OrderRow[];
  readonly loading: boolean;
  readonly selectedId: string | null;
  readonly onSelect: (id: string) => void;
  readonly hasOlder: boolean;
  readonly onLoadOlder: () => Promise<void>;
  /** The stream is not being followed right now: what is shown may be behind. */
  readonly stale: boolean;
}

export function OrdersTable(props: Props) {
  const [cancelling, setCancelling] = useState<ReadonlySet<string>>(new Set());
  const [problem, setProblem] = useState<string | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);

  async function cancel(row: OrderRow) {
    if (cancelling.has(row.id)) return;
    setCancelling((s) => new Set(s).add(row.id));
    setProblem(null);
    try {
      await props.api.post<Order>(`/api/v1/orders/${encodeURIComponent(row.id)}/cancel`, undefined, { idempotencyKey: newIdempotencyKey() });
    } catch (error) {
      const detail = error instanceof ApiError ? error.problem.detail : error instanceof Error ? error.message : String(error);
      setProblem(`Could not cancel ${row.client_order_id}: ${detail}`);
    } finally {
      setCancelling((s) => {
        const next = new Set(s);
        next.delete(row.id);
        return next;
      });
    }
  }

  async function loadOlder() {
    setLoadingOlder(true);
    try {
      await props.onLoadOlder();
    } catch (error) {
      setProblem(`Could not load older orders: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      setLoadingOlder(false);
    }
  }

  return (
    <section className="panel orders" aria-labelledby="orders-heading">
      <h2 id="orders-heading">Orders</h2>
      {problem && <p className="outcome outcome-error" role="alert">{problem}</p>}
      {props.stale && !props.loading && <p className="hint stale">Not live right now: statuses may be behind until the page reconnects.</p>}
      <div className="table-scroll">
        <table aria-labelledby="orders-heading">
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">Client order ID</th>
              <th scope="col">Symbol</th>
              <th scope="col">Side</th>
              <th scope="col" className="number">Quantity</th>
              <th scope="col" className="number">Price</th>
              <th scope="col">TIF</th>
              <th scope="col">Status</th>
              <th scope="col" className="number">Filled</th>
              <th scope="col" className="number">Avg price</th>
              <th scope="col"><span className="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((row) => (
              <tr key={row.id} className={row.id === props.selectedId ? 'selected' : undefined}>
                <td title={row.terms?.created_at ?? row.updated_at}>{timeOfDay(row.terms?.created_at ?? row.updated_at, false)}</td>
                <td className="mono client-id" title={row.client_order_id}>{row.client_order_id}</td>
                <td>{row.symbol}</td>
                <td className={`side-${row.side}`}>{row.side}</td>
                <td className="number">{row.terms ? formatDecimal(row.terms.quantity) : '…'}</td>
                <td className="number">{row.terms ? priceOf(row) : '…'}</td>
                <td>{row.terms?.time_in_force ?? '…'}</td>
                <td><span className={`status status-${row.status}`}>{statusLabel(row.status)}</span>
                  {row.reject_reason && <span className="reason"> {row.reject_reason}</span>}</td>
                <td className="number">{formatDecimal(row.filled_quantity)}</td>
                <td className="number">{formatPrice(row.average_fill_price)}</td>
                <td className="actions">
                  <button className="small-button" type="button" onClick={() => props.onSelect(row.id)} aria-label={`Details of ${row.client_order_id}`}>Details</button>
                  {CANCELABLE_STATUSES.includes(row.status) && (
                    <button type="button" className="small-button danger" disabled={cancelling.has(row.id)} onClick={() => void cancel(row)}
                      aria-label={`Cancel ${row.client_order_id}`}>
                      {cancelling.has(row.id) ? 'Cancelling…' : 'Cancel'}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {props.loading && <p className="hint">Loading orders…</p>}
      {!props.loading && props.rows.length === 0 && <p className="hint">No orders yet.</p>}
      {props.hasOlder && (
        <button type="button" onClick={() => void loadOlder()} disabled={loadingOlder}>{loadingOlder ? 'Loading…' : 'Show older orders'}</button>
      )}
    </section>
  );
}

/** The order type with its prices: "market", "limit 390.50", "stop 255.00, limit 260.00". */
function priceOf(row: OrderRow): string {
  const terms = row.terms!;
  if (terms.type === 'market') return 'market';
  const parts = [];
  if (terms.stop_price !== null) parts.push(`stop ${formatPrice(terms.stop_price)}`);
  if (terms.limit_price !== null) parts.push(`limit ${formatPrice(terms.limit_price)}`);
  return parts.join(', ');
}
