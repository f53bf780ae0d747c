/** What each action a person can start on one order is called, on buttons and dialog titles. */
import type { SagaAction } from '../api/types.ts';

export type DialogAction = SagaAction | 'replay';

export const ACTION_LABEL: Record<DialogAction, string> = {
  retry: 'Retry',
  compensate: 'Compensate',
  cancel: 'Cancel order',
  resolve: 'Resolve by hand',
  fail: 'Mark failed',
  pause: 'Pause',
  resume: 'Resume',
  replay: 'Replay (dry run)',
};

/** The confirm button's words, where `Confirm <label>` would not read well. */
export const CONFIRM_LABEL: Partial<Record<DialogAction, string>> = {
  resolve: 'Record as done',
  fail: 'Record as failed',
  pause: 'Pause the saga',
  resume: 'Resume the saga',
};

/**
 * The button's look: retry and resume move the order on, resolve records a fact, pause holds
 * it (nothing is undone), the rest undo or end it.
 */
export function actionButtonClass(action: DialogAction): string {
  if (action === 'retry' || action === 'resume') return 'btn--primary';
  if (action === 'replay' || action === 'resolve' || action === 'pause') return '';
  return 'btn--danger';
}
