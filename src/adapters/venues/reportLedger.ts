/**
 * What a broker connector has already told the gateway about each order it tracks, so a report
 * reaches listeners once however it arrived: live on the stream, or fetched after a reconnect.
 * It also names the orders to fetch after a reconnect: every order submitted, looked up or
 * reported in this process that is not known to be finished.
 * Invariants: per order, at most one ack and one terminal report, each fill id at most once;
 * a finished order is never fetched again. Memory only, and bounded: the oldest finished orders
 * are forgotten first (a late repeat of their reports would reach the gateway, which dedupes).
 * After a restart the gateway's own recovery looks its working orders up, tracking them again.
 */
import type { ExecutionReport, VenueOrderView } from '../../ports/venue.ts';

interface Entry {
  venueOrderId: string | null;
  acked: boolean;
  finished: boolean;
  readonly fillIds: Set<string>;
}

export class ReportLedger {
  readonly #entries = new Map<string, Entry>();
  readonly #byVenueOrderId = new Map<string, string>();
  readonly #finishedInOrder: string[] = [];

  constructor(private readonly finishedCapacity = 10_000) {}

  track(clientOrderId: string, venueOrderId: string | null = null): void {
    if (venueOrderId !== null) this.#setVenueOrderId(clientOrderId, venueOrderId);
    else this.#entry(clientOrderId);
  }

  /** The client order id of an order this ledger tracks, by the venue's id of it. */
  clientOrderIdOf(venueOrderId: string): string | null {
    return this.#byVenueOrderId.get(venueOrderId) ?? null;
  }

  venueOrderIdOf(clientOrderId: string): string | null {
    return this.#entries.get(clientOrderId)?.venueOrderId ?? null;
  }

  /** Orders whose next reports could still be missed. */
  unfinished(): string[] {
    return [...this.#entries].filter(([, entry]) => !entry.finished).map(([id]) => id);
  }

  /** Records the report and says whether it is news to the gateway. */
  admit(report: ExecutionReport): boolean {
    const entry = report.venueOrderId !== null ? this.#setVenueOrderId(report.clientOrderId, report.venueOrderId) : this.#entry(report.clientOrderId);
    switch (report.kind) {
      case 'ack':
        if (entry.acked) return false;
        entry.acked = true;
        return true;
      case 'fill':
        if (entry.fillIds.has(report.venueFillId)) return false;
        entry.fillIds.add(report.venueFillId);
        return true;
      case 'cancel_rejected':
        return true;
      case 'cancelled':
      case 'rejected':
      case 'expired':
        if (entry.finished) return false;
        this.finish(report.clientOrderId);
        return true;
      case 'fill_busted':
      case 'fill_corrected':
        // Rare, and deduplicated by the gateway by the venue's own id of the message.
        return true;
    }
  }

  /** The order will report nothing more (its last fill, or a terminal report). */
  finish(clientOrderId: string): void {
    const entry = this.#entry(clientOrderId);
    if (entry.finished) return;
    entry.finished = true;
    this.#finishedInOrder.push(clientOrderId);
    while (this.#finishedInOrder.length > this.finishedCapacity) {
      const forgotten = this.#finishedInOrder.shift()!;
      const venueOrderId = this.#entries.get(forgotten)?.venueOrderId;
      if (venueOrderId) this.#byVenueOrderId.delete(venueOrderId);
      this.#entries.delete(forgotten);
    }
  }

  /** The reports a venue view holds that the gateway has not had yet, in venue order. */
  missedIn(view: VenueOrderView, at: Date): ExecutionReport[] {
    const base = { clientOrderId: view.clientOrderId, venueOrderId: view.venueOrderId, at };
    const candidates: ExecutionReport[] = [];
    if (view.status === 'rejected') candidates.push({ kind: 'rejected', ...base, reason: view.reason ?? 'rejected by the venue' });
    else candidates.push({ kind: 'ack', ...base });
    for (const fill of view.fills) {
      candidates.push({ kind: 'fill', ...base, venueFillId: fill.venueFillId, quantity: fill.quantity, price: fill.price, commission: fill.commission, at: fill.at });
    }
    if (view.status === 'cancelled') candidates.push({ kind: 'cancelled', ...base, reason: view.reason });
    if (view.status === 'expired') candidates.push({ kind: 'expired', ...base, reason: view.reason });
    const missed = candidates.filter((report) => this.admit(report));
    // A filled order has no terminal report of its own: its fills say it.
    if (view.status === 'filled') this.finish(view.clientOrderId);
    return missed;
  }

  #setVenueOrderId(clientOrderId: string, venueOrderId: string): Entry {
    const entry = this.#entry(clientOrderId);
    entry.venueOrderId = venueOrderId;
    this.#byVenueOrderId.set(venueOrderId, clientOrderId);
    return entry;
  }

  #entry(clientOrderId: string): Entry {
    let entry = this.#entries.get(clientOrderId);
    if (!entry) {
      entry = { venueOrderId: null, acked: false, finished: false, fillIds: new Set() };
      this.#entries.set(clientOrderId, entry);
    }
    return entry;
  }
}
