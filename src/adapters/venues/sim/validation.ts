/**
 * What the simulated exchange refuses on arrival, as a venue would: unknown symbols, empty
 * quantities, and prices that do not fit the order type or the tick size. Pure.
 * Returns the rejection reason a trader reads, or null when the request is acceptable.
 */
import type { Dec } from '../../../domain/money.ts';
import { assertNever } from '../../../domain/result.ts';
import type { VenueOrderRequest } from '../../../ports/venue.ts';

export interface Listing {
  readonly isListed: (symbol: string) => boolean;
  readonly tickSize: Dec;
}

export function rejectionReason(request: VenueOrderRequest, listing: Listing): string | null {
  if (!listing.isListed(request.symbol)) return `unknown symbol ${request.symbol}`;
  if (!request.quantity.gt(0)) return `quantity must be positive, got ${request.quantity.toFixed()}`;
  const { limitPrice, stopPrice } = request;
  const needs = pricesFor(request.type);
  if (needs.limit && limitPrice === null) return `a ${request.type} order needs a limit price`;
  if (!needs.limit && limitPrice !== null) return `a ${request.type} order takes no limit price`;
  if (needs.stop && stopPrice === null) return `a ${request.type} order needs a stop price`;
  if (!needs.stop && stopPrice !== null) return `a ${request.type} order takes no stop price`;
  for (const [label, price] of [['limit', limitPrice], ['stop', stopPrice]] as const) {
    if (price === null) continue;
    if (!price.gt(0)) return `${label} price must be positive, got ${price.toFixed()}`;
    if (!price.mod(listing.tickSize).isZero()) {
      return `${label} price ${price.toFixed()} is not a multiple of the tick size ${listing.tickSize.toFixed()}`;
    }
  }
  return null;
}

function pricesFor(type: VenueOrderRequest['type']): { limit: boolean; stop: boolean } {
  switch (type) {
    case 'market': return { limit: false, stop: false };
    case 'limit': return { limit: true, stop: false };
    case 'stop': return { limit: false, stop: true };
    case 'stop_limit': return { limit: true, stop: true };
    default: return assertNever(type, 'order type');
  }
}
