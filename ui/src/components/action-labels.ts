/** What each action a person can start on one order is called, on buttons and dialog titles. */
import type { OperatorAction } from '../api/types.ts';

export type DialogAction = OperatorAction | 'replay';

export const ACTION_LABEL: Record<DialogAction, string> = {
  retry: 'Retry',
  compensate: 'Compensate',
  cancel: 'Cancel order',
  resolve: 'Resolve by hand',
  fail: 'Mark failed',
  replay: 'Replay (dry run)',
};

/** The confirm button's words, where `Confirm <label>` would not read well. */
export const CONFIRM_LABEL: Partial<Record<DialogAction, string>> = {
  resolve: 'Record as done',
  fail: 'Record as failed',
};

/** The button's look: retry moves the order on, resolve records a fact, the rest undo or end it. */
export function actionButtonClass(action: DialogAction): string {
  if (action === 'retry') return 'btn--primary';
  if (action === 'replay' || action === 'resolve') return '';
  return 'btn--danger';
}
