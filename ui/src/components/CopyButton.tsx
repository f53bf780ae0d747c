/** Copies a value to the clipboard and says so for a moment. */
import { useEffect, useState } from 'react';

async function copyText(value: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(value);
    return true;
  } catch {
    // No clipboard API (a page served over plain http to another host): select and copy.
    const field = document.createElement('textarea');
    field.value = value;
    field.setAttribute('readonly', '');
    field.className = 'sr-only';
    document.body.append(field);
    field.select();
    const copied = document.execCommand('copy');
    field.remove();
    return copied;
  }
}

export function CopyButton({ value, what, label }: { value: string; what: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 1500);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <button
      type="button"
      className={`copy-btn${label ? ' copy-btn--labelled' : ''}${state === 'copied' ? ' is-copied' : ''}`}
      title={`Copy ${what}`}
      aria-label={label ?? `Copy ${what}: ${value}`}
      onClick={() => void copyText(value).then((copied) => setState(copied ? 'copied' : 'failed'))}
    >
      {state === 'copied' ? <span aria-hidden="true">✓</span> : state === 'failed' ? <span aria-hidden="true">!</span> : <CopyIcon />}
      {label && <span aria-hidden="true"> {label}</span>}
      <span className="sr-only" role="status">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Could not copy' : ''}
      </span>
    </button>
  );
}

/** Two overlapping sheets, drawn: no font has to carry the glyph. */
function CopyIcon() {
  return (
    <svg className="copy-btn__icon" viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
      <rect x="5" y="5" width="9" height="9" rx="1.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
      <path d="M3 11V3.5A1.5 1.5 0 0 1 4.5 2H11" fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  );
}
