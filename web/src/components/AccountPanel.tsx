/**
 * The trader's account (`GET /api/v1/account`): cash, buying power, P&L and positions. Read
 * again shortly after the stream reports a change (`version`) and every 10 s, as P&L moves
 * with reference prices that the stream does not carry.
 */
import { useEffect, useState } from 'react';
import type { ApiClient } from '../api/client.ts';
import type { Account } from '../api/types.ts';
import { decimalSign, formatDecimal, formatMoney, statusLabel } from '../format.ts';

const REFRESH_MS = 10_000;
const SETTLE_MS = 250;

export function AccountPanel({ api, version }: { api: ApiClient; version: number }) {
  const [account, setAccount] = useState<Account | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    let abort: AbortController | null = null;
    const read = () => {
      abort?.abort();
      const current = new AbortController();
      abort = current;
      api.get<Account>('/api/v1/account', { signal: current.signal }).then(
        (a) => {
          setAccount(a);
          setProblem(null);
        },
        (error: unknown) => !current.signal.aborted && setProblem(error instanceof Error ? error.message : String(error)),
      );
    };
    // Events come in bursts (submitted, acked, filled): read once they have settled.
    const soon = setTimeout(read, version === 0 ? 0 : SETTLE_MS);
    const every = setInterval(read, REFRESH_MS);
    return () => {
      clearTimeout(soon);
      clearInterval(every);
      abort?.abort();
    };
  }, [api, version]);

  return (
    <section className="panel" aria-labelledby="account-heading">
      <h2 id="account-heading">Account</h2>
      {problem && <p className="outcome outcome-error" role="alert">{problem}</p>}
      {!account ? <p className="hint">Loading account…</p> : <>
        <dl className="figures">
          <div><dt>Cash</dt><dd>{formatMoney(account.cash)}</dd></div>
          <div><dt>Buying power</dt><dd>{formatMoney(account.buying_power)}</dd></div>
          <div><dt>Reserved</dt><dd>{formatMoney(account.reserved)}</dd></div>
          <div><dt>Realized P&amp;L today</dt><dd className={`pnl-${decimalSign(account.realized_pnl_today)}`}>{formatMoney(account.realized_pnl_today)}</dd></div>
          <div><dt>Unrealized P&amp;L</dt><dd className={`pnl-${decimalSign(account.unrealized_pnl)}`}>{formatMoney(account.unrealized_pnl)}</dd></div>
          <div><dt>Trading state</dt><dd className={`state-${account.trading_state}`}>{statusLabel(account.trading_state)}</dd></div>
        </dl>
        <h3 id="positions-heading">Positions</h3>
        {account.positions.length === 0 ? <p className="hint">No positions.</p> : (
          <table aria-labelledby="positions-heading">
            <thead><tr><th scope="col">Symbol</th><th scope="col" className="number">Quantity</th><th scope="col" className="number">Avg price</th><th scope="col" className="number">Market</th><th scope="col" className="number">Unrealized P&amp;L</th></tr></thead>
            <tbody>
              {account.positions.map((p) => (
                <tr key={p.symbol}>
                  <td>{p.symbol}</td>
                  <td className="number">{formatDecimal(p.quantity)}</td>
                  <td className="number">{formatMoney(p.average_price)}</td>
                  <td className="number">{formatMoney(p.market_price)}</td>
                  <td className={`number pnl-${decimalSign(p.unrealized_pnl)}`}>{formatMoney(p.unrealized_pnl)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </>}
    </section>
  );
}
