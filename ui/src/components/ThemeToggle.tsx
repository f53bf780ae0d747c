/** Auto (the system's), light or dark: three buttons in the top bar, the choice remembered. */
import { useSyncExternalStore } from 'react';
import { theme, type ThemeChoice } from '../theme.ts';

const CHOICES: { choice: ThemeChoice; label: string; title: string }[] = [
  { choice: 'auto', label: 'Auto', title: 'Follow the system’s light or dark setting' },
  { choice: 'light', label: 'Light', title: 'Always light' },
  { choice: 'dark', label: 'Dark', title: 'Always dark' },
];

export function ThemeToggle() {
  const current = useSyncExternalStore(theme.subscribe, theme.get);
  return (
    <div className="theme-toggle" role="group" aria-label="Colour theme">
      {CHOICES.map(({ choice, label, title }) => (
        <button key={choice} type="button" aria-pressed={current === choice} title={title} onClick={() => theme.set(choice)} data-theme-choice={choice}>
          {label}
        </button>
      ))}
    </div>
  );
}
