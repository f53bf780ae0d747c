/**
 * Keys on the orders list, as in the consoles operators live in: j and k move the selection
 * down and up the rows, Enter opens the selected order (the row's link has the focus), /
 * jumps to the search and Esc leaves it, back to the row that was selected. Keys typed into a
 * field, with a modifier, or while a dialog is open are left alone.
 */
import { useEffect, useRef, type RefObject } from 'react';

const ROW_LINK = 'a.row-link';

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target.matches('input, textarea, select');
}

export function useListKeys(list: RefObject<HTMLElement | null>, search: RefObject<HTMLInputElement | null>): void {
  // The row to come back to after a search.
  const lastRow = useRef<string | null>(null);

  useEffect(() => {
    const rows = () => [...(list.current?.querySelectorAll<HTMLAnchorElement>(ROW_LINK) ?? [])];
    const select = (link: HTMLAnchorElement | undefined) => {
      if (!link) return;
      link.focus();
      link.scrollIntoView({ block: 'nearest' });
    };
    const onFocus = (event: FocusEvent) => {
      if (event.target instanceof HTMLAnchorElement && event.target.matches(ROW_LINK)) lastRow.current = event.target.getAttribute('href');
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (document.querySelector('dialog[open]')) return;
      if (event.key === 'Escape' && event.target === search.current) {
        // Not the search field's own Escape, which would clear what was typed.
        event.preventDefault();
        const back = rows().find((link) => link.getAttribute('href') === lastRow.current);
        if (back) select(back);
        else search.current?.blur();
        return;
      }
      if (isTyping(event.target)) return;
      if (event.key === '/') {
        event.preventDefault();
        search.current?.focus();
        search.current?.select();
      } else if (event.key === 'j' || event.key === 'k') {
        const links = rows();
        if (links.length === 0) return;
        event.preventDefault();
        const at = links.findIndex((link) => link === document.activeElement);
        const step = event.key === 'j' ? 1 : -1;
        select(links[at < 0 ? 0 : Math.min(links.length - 1, Math.max(0, at + step))]);
      }
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('focusin', onFocus);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('focusin', onFocus);
    };
  }, [list, search]);
}
