/**
 * Named views of the orders list, kept in this browser (localStorage): a view is a name and
 * the list's query string, so opening it is following a link. Four are built in; the
 * operator's own can be saved, renamed and deleted. Other tabs see changes as they happen.
 */
import { filtersFrom, queryOf } from './filters-url.ts';

export interface SavedView {
  id: string;
  name: string;
  /** The list's query string, e.g. `status=stuck&q=cust-1` (empty: every order). */
  query: string;
  /** What it shows, for its tooltip. */
  description?: string;
  builtIn?: boolean;
}

export const BUILT_IN_VIEWS: readonly SavedView[] = [
  { id: 'builtin:stuck', name: 'stuck', query: 'status=stuck', description: 'sagas waiting for an operator', builtIn: true },
  {
    id: 'builtin:retrying',
    name: 'retrying now',
    query: 'retrying=true',
    description: 'running sagas whose pending step already failed or timed out at least once',
    builtIn: true,
  },
  { id: 'builtin:stalled', name: 'stalled', query: 'stalled=true', description: 'running sagas with no transition for STUCK_AFTER_MS', builtIn: true },
  {
    id: 'builtin:paused',
    name: 'paused',
    query: 'paused=true',
    description: 'sagas an operator holds paused: no new command goes out and no deadline runs until they are resumed',
    builtIn: true,
  },
];

const KEY = 'saga-ui.views';
const MAX_NAME = 60;

/** The same filter always has the same query string, whatever order it was typed in. */
const canonical = (query: string) => queryOf(filtersFrom(new URLSearchParams(query)));

function read(): SavedView[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    if (!Array.isArray(parsed)) return [];
    return parsed
      .filter((view): view is SavedView => typeof view?.id === 'string' && typeof view?.name === 'string' && typeof view?.query === 'string')
      .map(({ id, name, query }) => ({ id, name, query: canonical(query) }));
  } catch {
    return [];
  }
}

let own: SavedView[] = read();
const listeners = new Set<() => void>();

function store(next: SavedView[]): void {
  own = next;
  try {
    localStorage.setItem(KEY, JSON.stringify(next));
  } catch {
    // storage full or disabled: the views last as long as the page
  }
  for (const listener of listeners) listener();
}

// Another tab saved or deleted a view.
if (typeof window !== 'undefined') {
  window.addEventListener('storage', (event) => {
    if (event.key !== KEY) return;
    own = read();
    for (const listener of listeners) listener();
  });
}

const sameName = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** Why a name cannot be used, or null when it can. */
function nameProblem(name: string, except?: string): string | null {
  const trimmed = name.trim();
  if (!trimmed) return 'give the view a name';
  if (trimmed.length > MAX_NAME) return `a name has at most ${MAX_NAME} characters`;
  if (BUILT_IN_VIEWS.some((view) => sameName(view.name, trimmed))) return `“${trimmed}” is a built-in view`;
  if (own.some((view) => view.id !== except && sameName(view.name, trimmed))) return `a view named “${trimmed}” exists`;
  return null;
}

const newId = () => `view:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

export const savedViews = {
  /** The operator's own views, in the order they were saved. */
  own: (): SavedView[] => own,
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  /** Save the filter under a name; a view of that name already saved here gets the new filter. */
  save(name: string, query: string): { error: string } | { view: SavedView; replaced: boolean } {
    const existing = own.find((view) => sameName(view.name, name));
    const problem = nameProblem(name, existing?.id);
    if (problem) return { error: problem };
    const view = { id: existing?.id ?? newId(), name: name.trim(), query: canonical(query) };
    store(existing ? own.map((other) => (other.id === existing.id ? view : other)) : [...own, view]);
    return { view, replaced: Boolean(existing) };
  },
  rename(id: string, name: string): { error: string } | null {
    const problem = nameProblem(name, id);
    if (problem) return { error: problem };
    store(own.map((view) => (view.id === id ? { ...view, name: name.trim() } : view)));
    return null;
  },
  remove(id: string): void {
    store(own.filter((view) => view.id !== id));
  },
};

/** The view that shows exactly this query string, built-in first. */
export function viewOf(query: string, views: readonly SavedView[]): SavedView | undefined {
  return views.find((view) => view.query === query);
}
