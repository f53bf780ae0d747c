/** Loading, empty and error states, the same everywhere. */
import type { ReactNode } from 'react';
import { ApiError } from '../api/client.ts';

export function Loading({ what }: { what: string }) {
  return (
    <div className="state-msg state-msg--loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  );
}

export function ErrorMessage({ error, what, retry }: { error: unknown; what: string; retry?: () => void }) {
  const detail = error instanceof ApiError ? error.detail || error.title : error instanceof Error ? error.message : String(error);
  return (
    <div className="state-msg state-msg--error" role="alert">
      <strong>Could not load {what}.</strong> <span>{detail}</span>
      {retry && (
        <button type="button" className="btn btn--small" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state-msg state-msg--empty">{children}</div>;
}
