/**
 * Order updates a venue pushes to the gateway over HTTP (Kite Connect's postbacks), as the
 * HTTP layer hands them to the venue that expects them: the raw body, exactly as received,
 * because the venue authenticates it (a checksum over some of its fields and a shared secret)
 * and reads its numbers without a float in between.
 */
export type PostbackOutcome =
  | { readonly ok: true }
  /** The venue has no secret to check postbacks with: it takes none. */
  | { readonly ok: false; readonly reason: 'not_configured'; readonly detail: string }
  /** Not the venue's format; `field` names what is missing or wrong. */
  | { readonly ok: false; readonly reason: 'malformed'; readonly field: string; readonly detail: string }
  /** The checksum does not match: not sent by the venue, or changed on the way. */
  | { readonly ok: false; readonly reason: 'bad_checksum'; readonly detail: string };

export interface PostbackReceiver {
  receivePostback(rawBody: string): PostbackOutcome;
}

export function receivesPostbacks(venue: unknown): venue is PostbackReceiver {
  return typeof (venue as Partial<PostbackReceiver> | null)?.receivePostback === 'function';
}
