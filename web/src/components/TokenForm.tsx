/**
 * Sign-in: the trader pastes a bearer token (in development, `npm start` prints tokens for
 * alice and bob). The token is tried against `GET /api/v1/account` before it is kept, so a
 * mistyped or expired one is refused here with the gateway's own words.
 */
import { useState, type FormEvent } from 'react';
import { ApiClient, ApiError } from '../api/client.ts';
import { cleanToken } from '../token.ts';

export function TokenForm({ onToken, notice }: { onToken: (token: string) => void; notice: string | null }) {
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const token = cleanToken(text);
    if (token === '') {
      setProblem('Paste a bearer token first.');
      return;
    }
    setChecking(true);
    setProblem(null);
    try {
      await new ApiClient(token).get('/api/v1/account');
      onToken(token);
    } catch (error) {
      setProblem(error instanceof ApiError ? `The gateway refused this token: ${error.problem.detail}` : String(error instanceof Error ? error.message : error));
      setChecking(false);
    }
  }

  return (
    <main className="sign-in">
      <h1>ordergate</h1>
      <section className="panel" aria-labelledby="sign-in-heading">
        <h2 id="sign-in-heading">Sign in</h2>
        {notice && <p className="outcome outcome-error" role="alert">{notice}</p>}
        <form onSubmit={submit} noValidate>
          <label htmlFor="token">Bearer token</label>
          <input id="token" type="password" value={text} autoComplete="off" spellCheck={false}
            aria-invalid={problem ? true : undefined} aria-describedby={problem ? 'token-error' : 'token-hint'}
            onChange={(e) => setText(e.target.value)} />
          {problem
            ? <p className="field-error" id="token-error">{problem}</p>
            : <p className="hint" id="token-hint">In development, <code>npm start</code> prints tokens for the traders alice and bob. The token stays in this tab only and is forgotten when the tab closes.</p>}
          <button type="submit" disabled={checking}>{checking ? 'Checking…' : 'Sign in'}</button>
        </form>
      </section>
    </main>
  );
}
