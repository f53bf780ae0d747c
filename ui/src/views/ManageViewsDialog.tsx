/** Rename or delete the views saved in this browser. */
import { useState, useSyncExternalStore } from 'react';
import { Dialog } from '../components/Dialog.tsx';
import { describeQuery } from './filters-url.ts';
import { savedViews, type SavedView } from './saved-views.ts';

export function ManageViewsDialog({ onClose }: { onClose: () => void }) {
  const own = useSyncExternalStore(savedViews.subscribe, savedViews.own);
  return (
    <Dialog title="Your views" onClose={onClose}>
      <p className="dialog__explain">Kept in this browser. A view opens the orders list with the filters it was saved with.</p>
      {own.length === 0 ? (
        <p className="muted">No views saved yet.</p>
      ) : (
        <ul className="manage-views">
          {own.map((view) => (
            <ViewRow key={view.id} view={view} />
          ))}
        </ul>
      )}
      <div className="dialog__footer">
        <button type="button" className="btn" onClick={onClose}>
          Done
        </button>
      </div>
    </Dialog>
  );
}

function ViewRow({ view }: { view: SavedView }) {
  const [name, setName] = useState(view.name);
  const [error, setError] = useState<string | null>(null);
  const changed = name.trim() !== view.name;
  return (
    <li className="manage-views__row" data-view-row={view.name}>
      <form
        className="manage-views__form"
        onSubmit={(event) => {
          event.preventDefault();
          const result = savedViews.rename(view.id, name);
          setError(result?.error ?? null);
        }}
      >
        <input type="text" aria-label={`Name of the view ${view.name}`} value={name} maxLength={60} onChange={(event) => setName(event.target.value)} />
        <button type="submit" className="btn btn--small" disabled={!changed}>
          Rename
        </button>
        <button type="button" className="btn btn--small btn--danger" onClick={() => savedViews.remove(view.id)}>
          Delete
        </button>
      </form>
      <code className="manage-views__query" title="the filters it opens with">
        {describeQuery(view.query)}
      </code>
      {error && (
        <p className="form__error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}
