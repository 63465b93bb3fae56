/**
 * The page: sign in with a token, then the trader's desk: order ticket, account, live orders
 * and one order's detail. Everything goes through the public API with the trader's token.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { ApiClient } from './api/client.ts';
import type { Instrument, StreamEvent } from './api/types.ts';
import { AccountPanel } from './components/AccountPanel.tsx';
import { ConnectionStatus } from './components/ConnectionStatus.tsx';
import { OrderDetailPanel } from './components/OrderDetailPanel.tsx';
import { OrdersTable } from './components/OrdersTable.tsx';
import { OrderTicket } from './components/OrderTicket.tsx';
import { TokenForm } from './components/TokenForm.tsx';
import { useLiveOrders } from './live/useLiveOrders.ts';
import { forgetToken, loadToken, readClaims, saveToken } from './token.ts';

export function App() {
  const [token, setToken] = useState<string | null>(() => loadToken());
  const [notice, setNotice] = useState<string | null>(null);
  if (token === null) {
    return <TokenForm notice={notice} onToken={(t) => {
      saveToken(t);
      setNotice(null);
      setToken(t);
    }} />;
  }
  return <TraderDesk key={token} token={token} onSignOut={(why) => {
    forgetToken();
    setNotice(why);
    setToken(null);
  }} />;
}

function TraderDesk({ token, onSignOut }: { token: string; onSignOut: (why: string | null) => void }) {
  const [refused, setRefused] = useState<string | null>(null);
  const api = useMemo(() => new ApiClient(token, (problem) => setRefused(problem.detail)), [token]);
  const claims = useMemo(() => readClaims(token), [token]);
  const [instruments, setInstruments] = useState<Instrument[]>([]);
  const [accountVersion, setAccountVersion] = useState(0);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [detailVersion, setDetailVersion] = useState(0);
  const selectedRef = useRef(selectedId);
  selectedRef.current = selectedId;

  useEffect(() => {
    // Reference prices move; the ticket's hint should not show one from long ago.
    const read = () => api.get<{ instruments: Instrument[] }>('/api/v1/instruments').then((r) => setInstruments(r.instruments), () => {});
    void read();
    const every = setInterval(read, 15_000);
    return () => clearInterval(every);
  }, [api]);

  const live = useLiveOrders(api, (events: StreamEvent[]) => {
    setAccountVersion((v) => v + 1);
    if (events.some((e) => e.order_id !== undefined && e.order_id === selectedRef.current)) setDetailVersion((v) => v + 1);
  });

  const tokenRefused = refused ?? (live.feed.kind === 'unauthorized' ? 'The gateway no longer accepts this token.' : null);

  return (
    <>
      <header className="top">
        <h1>ordergate</h1>
        <ConnectionStatus feed={live.feed} lastSeq={live.lastSeq} />
        <p className="who">
          Signed in as <strong>{claims?.traderId ?? 'unknown'}</strong>
          {claims?.expiresAt ? <span className="hint"> · token expires {new Date(claims.expiresAt * 1000).toLocaleString()}</span> : null}
        </p>
        <button type="button" onClick={() => onSignOut(null)}>Sign out</button>
      </header>
      {tokenRefused && (
        <div className="banner" role="alert">
          The gateway refused the token: {tokenRefused}{' '}
          <button type="button" onClick={() => onSignOut(`Signed out: ${tokenRefused}`)}>Sign in again</button>
        </div>
      )}
      {live.loadError && !tokenRefused && (
        <div className="banner" role="alert">
          Could not load orders: {live.loadError}{' '}
          <button type="button" onClick={live.reload}>Try again</button>
        </div>
      )}
      <main className="desk">
        <div className="column side">
          <OrderTicket api={api} instruments={instruments} onPlaced={live.merge} />
        </div>
        <div className="column wide">
          <AccountPanel api={api} version={accountVersion} />
          <OrdersTable api={api} rows={live.rows} loading={live.loading} selectedId={selectedId} onSelect={setSelectedId}
            hasOlder={live.hasOlder} onLoadOlder={live.loadOlder} stale={live.feed.kind !== 'live'} />
          {selectedId && <OrderDetailPanel api={api} orderId={selectedId} version={detailVersion} onClose={() => setSelectedId(null)} />}
        </div>
      </main>
    </>
  );
}
