/**
 * Branded identifiers: parsed once at the edge, so a trader id can never be passed where an
 * order id is expected. Making ids is the job of the Ids port, not of the domain.
 */
export type OrderId = string & { readonly brand: 'OrderId' };
export type TraderId = string & { readonly brand: 'TraderId' };
export type ClientOrderId = string & { readonly brand: 'ClientOrderId' };
export type VenueOrderId = string & { readonly brand: 'VenueOrderId' };
export type VenueFillId = string & { readonly brand: 'VenueFillId' };
export type VenueName = string & { readonly brand: 'VenueName' };
export type Symbol = string & { readonly brand: 'Symbol' };

export const CLIENT_ORDER_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** A leading underscore is kept for scopes that are not traders, such as the firm's (`_firm`). */
export const TRADER_ID = /^(?!_)[A-Za-z0-9._:@-]{1,128}$/;
export const SYMBOL = /^[A-Z][A-Z0-9.]{0,15}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const isClientOrderId = (s: string): s is ClientOrderId => CLIENT_ORDER_ID.test(s);
export const isTraderId = (s: string): s is TraderId => TRADER_ID.test(s);
export const isSymbol = (s: string): s is Symbol => SYMBOL.test(s);
export const isOrderId = (s: string): s is OrderId => UUID.test(s);

export const asOrderId = (s: string) => s as OrderId;
export const asTraderId = (s: string) => s as TraderId;
export const asClientOrderId = (s: string) => s as ClientOrderId;
export const asVenueOrderId = (s: string) => s as VenueOrderId;
export const asVenueFillId = (s: string) => s as VenueFillId;
export const asVenueName = (s: string) => s as VenueName;
export const asSymbol = (s: string) => s as Symbol;
