/**
 * An id from the outside world (a reservation, a charge, a shipment): one line, cut with an
 * ellipsis where it does not fit, the whole value in its tooltip and a button to copy it.
 */
import { CopyButton } from './CopyButton.tsx';

export function Reference({ value, what = 'reference' }: { value: string | null | undefined; what?: string }) {
  if (!value) return <span className="muted">—</span>;
  return (
    <span className="reference">
      <span className="reference__text mono" title={value} data-reference={value}>
        {value}
      </span>
      <CopyButton value={value} what={what} />
    </span>
  );
}
