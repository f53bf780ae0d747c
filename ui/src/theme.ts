/**
 * Light or dark: the system's preference unless the operator picked one, which this browser
 * remembers (localStorage). The choice is an attribute on <html>; styles.css turns it into
 * colours. public/theme-init.js applies a remembered choice before the first paint.
 */
export type ThemeChoice = 'auto' | 'light' | 'dark';

export const THEME_KEY = 'saga-ui.theme';

function read(): ThemeChoice {
  try {
    const stored = localStorage.getItem(THEME_KEY);
    return stored === 'light' || stored === 'dark' ? stored : 'auto';
  } catch {
    return 'auto';
  }
}

function apply(choice: ThemeChoice): void {
  if (choice === 'auto') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = choice;
}

let current = read();
const listeners = new Set<() => void>();

function change(choice: ThemeChoice): void {
  current = choice;
  apply(choice);
  for (const listener of listeners) listener();
}

if (typeof window !== 'undefined') {
  apply(current);
  // Another tab chose.
  window.addEventListener('storage', (event) => {
    if (event.key === THEME_KEY) change(read());
  });
}

export const theme = {
  get: (): ThemeChoice => current,
  set(choice: ThemeChoice): void {
    try {
      if (choice === 'auto') localStorage.removeItem(THEME_KEY);
      else localStorage.setItem(THEME_KEY, choice);
    } catch {
      // storage disabled: the choice lasts as long as the page
    }
    change(choice);
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
