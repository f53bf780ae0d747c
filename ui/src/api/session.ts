/**
 * What the operator told us once per browser session: the bearer token (an OPS_TOKEN, or a
 * READ_TOKEN where reading needs one) and their name. Kept in sessionStorage, so it goes
 * away with the tab.
 */
const TOKEN_KEY = 'saga-ui.token';
const ACTOR_KEY = 'saga-ui.actor';

function read(key: string): string | null {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string | null): void {
  try {
    if (value) sessionStorage.setItem(key, value);
    else sessionStorage.removeItem(key);
  } catch {
    // storage disabled: nothing is remembered
  }
}

const listeners = new Set<() => void>();
let current = read(TOKEN_KEY);

function change(token: string | null): void {
  current = token;
  write(TOKEN_KEY, token);
  for (const listener of listeners) listener();
}

export const opsToken = {
  get: (): string | null => current,
  set: (token: string) => change(token.trim() || null),
  clear: () => change(null),
  /** For useSyncExternalStore. */
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

export const operatorName = {
  get: () => read(ACTOR_KEY) ?? '',
  set: (name: string) => write(ACTOR_KEY, name.trim() || null),
};
