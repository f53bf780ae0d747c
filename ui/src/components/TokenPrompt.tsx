/** Reading needs a token on this server: ask for it once per browser session. */
import { useId, useState, type FormEvent } from 'react';
import { opsToken } from '../api/session.ts';

export function TokenPrompt({ rejected }: { rejected: boolean }) {
  const id = useId();
  const [token, setToken] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (token.trim()) opsToken.set(token);
  };
  return (
    <div className="page">
      <form className="card token-prompt form" onSubmit={submit}>
        <h1 className="h-plain">Sign in</h1>
        <p className="muted">
          This orchestrator needs a token to read orders (READ_TOKEN or OPS_TOKEN). It is kept for this browser tab only.
        </p>
        <label htmlFor={`${id}-token`}>Token</label>
        <input
          id={`${id}-token`}
          type="password"
          autoComplete="off"
          required
          autoFocus
          value={token}
          onChange={(event) => setToken(event.target.value)}
        />
        {rejected && (
          <p className="form__error" role="alert">
            The server did not accept the token. Check it and try again.
          </p>
        )}
        <div className="dialog__footer">
          <button type="submit" className="btn btn--primary" disabled={!token.trim()}>
            Continue
          </button>
        </div>
      </form>
    </div>
  );
}
