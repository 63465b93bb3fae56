/**
 * One order as `GET /api/v1/orders/{id}` gives it: its terms and state, its fills, its audit
 * trail and each attempt to reach the venue. Read again whenever the stream says the order
 * changed (`version`), so what is shown is the gateway's record, not the page's guess.
 */
import { useEffect, useState } from 'react';
import type { ApiClient } from '../api/client.ts';
import type { AuditEntry, OrderDetail } from '../api/types.ts';
import { formatDecimal, formatMoney, formatPrice, statusLabel, timeOfDay } from '../format.ts';

interface Props {
  readonly api: ApiClient;
  readonly orderId: string;
  readonly version: number;
  readonly onClose: () => void;
}

export function OrderDetailPanel({ api, orderId, version, onClose }: Props) {
  const [detail, setDetail] = useState<OrderDetail | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    api.get<OrderDetail>(`/api/v1/orders/${encodeURIComponent(orderId)}`, { signal: abort.signal }).then(
      (order) => {
        setDetail(order);
        setProblem(null);
      },
      (error: unknown) => !abort.signal.aborted && setProblem(error instanceof Error ? error.message : String(error)),
    );
    return () => abort.abort();
  }, [api, orderId, version]);

  const order = detail?.id === orderId ? detail : null;
  return (
    <section className="panel detail" aria-labelledby="detail-heading">
      <div className="panel-head">
        <h2 id="detail-heading">Order {order ? order.client_order_id : '…'}</h2>
        <button type="button" onClick={onClose}>Close</button>
      </div>
      {problem && <p className="outcome outcome-error" role="alert">{problem}</p>}
      {order && <>
        <dl className="facts">
          <dt>Order ID</dt><dd className="mono">{order.id}</dd>
          <dt>Status</dt><dd><span className={`status status-${order.status}`}>{statusLabel(order.status)}</span>{order.in_doubt ? ' (submit outcome unknown; being looked up at the venue)' : ''}</dd>
          <dt>Order</dt><dd>{order.side} {formatDecimal(order.quantity)} {order.symbol} {statusLabel(order.type)}, {order.time_in_force}</dd>
          <dt>Limit price</dt><dd>{formatPrice(order.limit_price)}</dd>
          <dt>Stop price</dt><dd>{formatPrice(order.stop_price)}</dd>
          <dt>Filled</dt><dd>{formatDecimal(order.filled_quantity)} of {formatDecimal(order.quantity)}, average {formatPrice(order.average_fill_price)}</dd>
          <dt>Venue</dt><dd>{order.venue}{order.venue_order_id ? ` (${order.venue_order_id})` : ''}</dd>
          {order.reject_reason && <><dt>Rejected</dt><dd>{order.reject_reason}</dd></>}
          <dt>Created</dt><dd title={order.created_at}>{timeOfDay(order.created_at)}</dd>
          <dt>Updated</dt><dd title={order.updated_at}>{timeOfDay(order.updated_at)}</dd>
        </dl>

        <h3 id="fills-heading">Fills</h3>
        {order.fills.length === 0 ? <p className="hint">No fills.</p> : (
          <table aria-labelledby="fills-heading">
            <thead><tr><th scope="col">Time</th><th scope="col" className="number">Quantity</th><th scope="col" className="number">Price</th><th scope="col" className="number">Commission</th><th scope="col">Venue fill ID</th></tr></thead>
            <tbody>
              {order.fills.map((fill) => (
                <tr key={fill.id}>
                  <td title={fill.filled_at}>{timeOfDay(fill.filled_at)}</td>
                  <td className="number">{formatDecimal(fill.quantity)}</td>
                  <td className="number">{formatPrice(fill.price)}</td>
                  <td className="number">{formatMoney(fill.commission)}</td>
                  <td className="mono">{fill.venue_fill_id}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}

        <AuditTable id="audit-heading" title="Audit trail" entries={order.events} />
        {order.execution && order.execution.length > 0 && <AuditTable id="execution-heading" title="Venue attempts" entries={order.execution} />}
      </>}
    </section>
  );
}

function AuditTable({ id, title, entries }: { id: string; title: string; entries: AuditEntry[] }) {
  return <>
    <h3 id={id}>{title}</h3>
    <table aria-labelledby={id}>
      <thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Details</th></tr></thead>
      <tbody>
        {entries.map((entry) => (
          <tr key={entry.id}>
            <td title={entry.at}>{timeOfDay(entry.at)}</td>
            <td>{statusLabel(entry.type)}</td>
            <td className="mono small wrap">{summary(entry.data)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </>;
}

const summary = (data: Record<string, unknown>) =>
  Object.entries(data).filter(([, value]) => value !== null && value !== undefined).map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`).join(' ');
