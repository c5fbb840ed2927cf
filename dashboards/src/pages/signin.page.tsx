import { useState } from 'preact/hooks';
import { api, ApiError, credential } from '../api.client.ts';
import type { Me } from '../api.types.ts';

/** Takes an API key (saw_…), the admin token or an OIDC access token; checks it against /v1/me before keeping it. */
export function SignInPage({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const expired = credential.get() === null && new URLSearchParams(location.search).has('next');

  const submit = async (e: Event) => {
    e.preventDefault();
    const t = token.trim();
    if (!t) return setError('Enter an API key or a bearer token.');
    setBusy(true);
    setError(null);
    try {
      const me = await api<Me>('GET', '/v1/me', undefined, t);
      credential.set(t);
      onSignedIn(me);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'The API refused this credential (unknown, revoked or expired).' : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="signin" id="main">
      <form class="card" onSubmit={submit} aria-describedby="signin-help">
        <h1 tabIndex={-1}>Shadow AI Watch</h1>
        <p id="signin-help" class="muted">
          Sign in with an API key (<code>npx shadow-ai keys create --role analyst</code>) or an OIDC bearer token. It is kept in this tab only and sent as{' '}
          <code>Authorization: Bearer</code>.
        </p>
        {expired && <p class="notice">Your session ended; sign in again.</p>}
        <label for="token">API key or bearer token</label>
        <input id="token" name="token" type="password" autoComplete="off" spellcheck={false} value={token} onInput={(e) => setToken(e.currentTarget.value)} autoFocus />
        {error && (
          <p class="notice notice-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
