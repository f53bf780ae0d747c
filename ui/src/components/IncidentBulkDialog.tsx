/** A bulk action over exactly one incident group: its filter (`incident=<key>`), dry run first. */
import type { BulkAction, IncidentGroup } from '../api/operations.ts';
import { BulkDialog } from './BulkDialog.tsx';

export function IncidentBulkDialog({ action, group, tokenRequired, onClose }: { action: BulkAction; group: IncidentGroup; tokenRequired: boolean; onClose: () => void }) {
  return <BulkDialog action={action} scope={{ title: group.title, filter: group.filter, of: 'of this incident', step: group.step }} tokenRequired={tokenRequired} onClose={onClose} />;
}
