import type { Action } from './action';

export interface AskAPersonParams {
  /** What a person must do, as an instruction. */
  what: string;
  /** Why kms-warden cannot do it itself. */
  why: string;
}

/**
 * A step only a person can take (kms-warden has no API for it, or must not act): it stands in the plan like any
 * other, so the incident, the messages and the approval page say what is left to do.
 */
export const askAPerson: Action<AskAPersonParams> = {
  type: 'ask-a-person',
  iamActions: [],
  reversible: false,
  lane: () => 'people',
  describe: ({ what }) => `for a person: ${what}`,
  apply: async ({ what, why }) => ({ outcome: 'needs-person', error: 'ManualStep', message: why, remedy: what }),
  undo: async () => undefined,
};
