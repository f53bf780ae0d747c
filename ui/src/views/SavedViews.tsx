/**
 * The views bar over the orders list: the built-in views and the operator's own, each a link
 * to the list filtered as it was saved; save the current filter as a view, manage your views,
 * or copy a link to what the list shows now.
 */
import { useState, useSyncExternalStore } from 'react';
import { Link } from 'react-router';
import type { OrderFilters } from '../api/types.ts';
import { CopyButton } from '../components/CopyButton.tsx';
import { describeQuery, queryOf } from './filters-url.ts';
import { ManageViewsDialog } from './ManageViewsDialog.tsx';
import { BUILT_IN_VIEWS, savedViews, viewOf, type SavedView } from './saved-views.ts';
import { SaveViewForm } from './SaveViewForm.tsx';

export function SavedViews({ filters }: { filters: OrderFilters }) {
  const own = useSyncExternalStore(savedViews.subscribe, savedViews.own);
  const [saving, setSaving] = useState(false);
  const [managing, setManaging] = useState(false);
  const query = queryOf(filters);
  const views = [...BUILT_IN_VIEWS, ...own];
  const active = viewOf(query, views);

  return (
    <nav className="views" aria-label="Views" data-testid="views">
      <span className="views__label">Views</span>
      <ul className="views__list">
        <li>
          <ViewLink view={{ id: 'all', name: 'all orders', query: '', description: 'every order, newest first' }} active={query === ''} />
        </li>
        {views.map((view) => (
          <li key={view.id}>
            <ViewLink view={view} active={view === active} />
          </li>
        ))}
      </ul>
      <span className="views__tools">
        {saving ? (
          <SaveViewForm query={query} onDone={() => setSaving(false)} />
        ) : (
          <button
            type="button"
            className="btn btn--small"
            disabled={query === '' || Boolean(active)}
            title={query === '' ? 'Filter the list first, then save the filter as a view' : active ? `This is the view “${active.name}”` : 'Save these filters as a named view'}
            onClick={() => setSaving(true)}
          >
            Save view…
          </button>
        )}
        {own.length > 0 && (
          <button type="button" className="btn btn--small" onClick={() => setManaging(true)}>
            Manage views
          </button>
        )}
        <CopyButton value={window.location.href} what="a link to this list" label="Copy link" />
      </span>
      {managing && <ManageViewsDialog onClose={() => setManaging(false)} />}
    </nav>
  );
}

function ViewLink({ view, active }: { view: SavedView; active: boolean }) {
  return (
    <Link
      to={view.query ? `/?${view.query}` : '/'}
      className={`view-link${view.builtIn ? ' view-link--builtin' : ''}`}
      aria-current={active ? 'page' : undefined}
      title={view.description ?? (view.query ? describeQuery(view.query) : 'every order')}
      data-view={view.name}
    >
      {view.name}
    </Link>
  );
}
