/** The list's keys, said once under the filters. */
export function KeyHints() {
  return (
    <p className="key-hints muted small" data-testid="key-hints">
      Keys: <kbd>j</kbd> <kbd>k</kbd> move · <kbd>Enter</kbd> opens · <kbd>/</kbd> search · <kbd>Esc</kbd> back to the list
    </p>
  );
}
