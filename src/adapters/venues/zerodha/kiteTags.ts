/**
 * Which gateway order a Kite order is. Kite keeps no client order id, only the tag the gateway
 * placed it under (kiteWire.tagFor), and a tag cannot be turned back into the id: so the
 * connector remembers the ids it has seen, and, when a book holds tags it does not know, asks
 * the gateway which orders it works at this venue (those placed before a restart).
 * Invariants: a tag names at most one client order id; an order whose tag names none is called
 * "kite:<order_id>" (not a gateway order id: reconciliation reports it, never adopts it).
 */
import { tagFor, type KiteOrder } from './kiteWire.ts';

export const foreignOrderId = (orderId: string) => `kite:${orderId}`;

export class KiteTags {
  readonly #byTag = new Map<string, string>();

  constructor(private readonly workingOrderIds: (() => Promise<readonly string[]>) | null) {}

  remember(clientOrderId: string): void {
    this.#byTag.set(tagFor(clientOrderId), clientOrderId);
  }

  /** The gateway's id of this order, or null when its tags name none known here. */
  clientOrderIdOf(order: KiteOrder): string | null {
    return [order.tag, ...(order.tags ?? [])].map((tag) => (tag ? this.#byTag.get(tag) : undefined)).find(Boolean) ?? null;
  }

  /** The gateway's id of this order, or its foreign name. */
  nameOf(order: KiteOrder): string {
    return this.clientOrderIdOf(order) ?? foreignOrderId(order.order_id);
  }

  /** When the book holds tags not known here, learns the gateway's working orders; returns the ids newly learned. */
  async recognise(book: readonly KiteOrder[]): Promise<string[]> {
    if (!this.workingOrderIds || book.every((order) => !order.tag || this.clientOrderIdOf(order) !== null)) return [];
    const learned = (await this.workingOrderIds()).filter((clientOrderId) => !this.#byTag.has(tagFor(clientOrderId)));
    for (const clientOrderId of learned) this.remember(clientOrderId);
    return learned;
  }
}
