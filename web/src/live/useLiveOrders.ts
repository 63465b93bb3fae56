/**
 * The trader's orders, live: finds the stream's head, reads the newest page of orders, then
 * follows the stream from that head. Reading the orders after finding the head means every
 * change the page has not seen is still ahead in the stream, and the reducer replays it in
 * order, so the table converges on the gateway's state whatever raced the first read.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, type ApiClient } from '../api/client.ts';
import type { EventPage, Order, OrderPage, StreamEvent } from '../api/types.ts';
import { EventFeed, type FeedState } from './eventFeed.ts';
import { applyEvents, emptyView, mergeOrders, rowsNewestFirst, type OrderRow, type OrderView } from './orderView.ts';
import { findStreamHead } from './streamHead.ts';

const PAGE_SIZE = 100;

export interface LiveOrders {
  readonly rows: OrderRow[];
  readonly lastSeq: number;
  readonly feed: FeedState;
  readonly loading: boolean;
  readonly loadError: string | null;
  readonly hasOlder: boolean;
  loadOlder(): Promise<void>;
  reload(): void;
  /** Adds an order the page has just read (its own submit's answer), unless the stream knows better. */
  merge(order: Order): void;
}

export function useLiveOrders(api: ApiClient, onApplied: (events: StreamEvent[]) => void): LiveOrders {
  const [view, setView] = useState<OrderView>(() => emptyView());
  const viewRef = useRef(view);
  const [feed, setFeed] = useState<FeedState>({ kind: 'connecting' });
  const [loading, setLoading] = useState(true);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [listed, setListed] = useState({ offset: 0, total: 0 });
  const [attempt, setAttempt] = useState(0);
  const appliedRef = useRef(onApplied);
  appliedRef.current = onApplied;
  const fetchingTerms = useRef(new Set<string>());

  const commit = useCallback((next: OrderView) => {
    viewRef.current = next;
    setView(next);
  }, []);

  const readTerms = useCallback((ids: string[]) => {
    for (const id of ids) {
      if (fetchingTerms.current.has(id)) continue;
      fetchingTerms.current.add(id);
      api.get<Order>(`/api/v1/orders/${encodeURIComponent(id)}`)
        .then((order) => commit(mergeOrders(viewRef.current, [order])))
        .catch(() => {})
        .finally(() => fetchingTerms.current.delete(id));
    }
  }, [api, commit]);

  useEffect(() => {
    let cancelled = false;
    let eventFeed: EventFeed | null = null;
    setLoading(true);
    setLoadError(null);
    setFeed({ kind: 'connecting' });
    (async () => {
      const head = await findStreamHead(async (seq) => (await api.get<EventPage>(`/api/v1/events?since=${seq}&limit=1`)).events.length > 0);
      const page = await api.get<OrderPage>(`/api/v1/orders?limit=${PAGE_SIZE}&offset=0`);
      if (cancelled) return;
      commit(mergeOrders(emptyView(head), page.orders));
      setListed({ offset: page.orders.length, total: page.total });
      setLoading(false);
      eventFeed = new EventFeed({
        origin: window.location.origin,
        token: api.token,
        lastSeq: () => viewRef.current.lastSeq,
        onState: (state) => !cancelled && setFeed(state),
        fetchEvents: (since, { waitMs, limit, signal }) => api.get<EventPage>(`/api/v1/events?since=${since}&limit=${limit}&wait_ms=${waitMs}`, { signal }),
        deliver: (events) => {
          const outcome = applyEvents(viewRef.current, events);
          if (outcome.applied.length > 0) {
            commit(outcome.view);
            readTerms(outcome.missingTerms);
            appliedRef.current(outcome.applied);
          }
          return outcome.gap === null;
        },
      });
      eventFeed.start();
    })().catch((error: unknown) => {
      if (cancelled) return;
      setLoading(false);
      if (error instanceof ApiError && error.status === 401) setFeed({ kind: 'unauthorized' });
      setLoadError(error instanceof Error ? error.message : String(error));
    });
    return () => {
      cancelled = true;
      eventFeed?.stop();
    };
  }, [api, commit, readTerms, attempt]);

  const loadOlder = useCallback(async () => {
    // Orders placed since the first page shift the offsets down: a repeat is merged away, none is skipped.
    const page = await api.get<OrderPage>(`/api/v1/orders?limit=${PAGE_SIZE}&offset=${listed.offset}`);
    commit(mergeOrders(viewRef.current, page.orders));
    setListed({ offset: listed.offset + page.orders.length, total: page.total });
  }, [api, commit, listed]);

  const rows = useMemo(() => rowsNewestFirst(view), [view]);
  return {
    rows,
    lastSeq: view.lastSeq,
    feed,
    loading,
    loadError,
    hasOlder: listed.offset < listed.total,
    loadOlder,
    reload: () => setAttempt((n) => n + 1),
    merge: (order) => commit(mergeOrders(viewRef.current, [order])),
  };
}
