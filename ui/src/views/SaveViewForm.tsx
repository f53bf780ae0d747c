/** Name the current filter and keep it as a view in this browser. */
import { useState } from 'react';
import { savedViews } from './saved-views.ts';

export function SaveViewForm({ query, onDone }: { query: string; onDone: () => void }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      className="view-form"
      aria-label="Save view"
      onSubmit={(event) => {
        event.preventDefault();
        const result = savedViews.save(name, query);
        if ('error' in result) setError(result.error);
        else onDone();
      }}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.preventDefault();
          onDone();
        }
      }}
    >
      <input
        type="text"
        className="view-form__name"
        aria-label="View name"
        placeholder="name of the view"
        maxLength={60}
        value={name}
        // The form opens because the operator asked to type a name.
        autoFocus
        onChange={(event) => {
          setName(event.target.value);
          setError(null);
        }}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? 'view-form-error' : undefined}
      />
      <button type="submit" className="btn btn--small btn--primary">
        Save
      </button>
      <button type="button" className="btn btn--small" onClick={onDone}>
        Cancel
      </button>
      {error && (
        <span id="view-form-error" className="view-form__error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}
