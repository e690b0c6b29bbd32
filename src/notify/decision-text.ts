import type { ApprovalAction } from './approval-token';

/** What each decision does, and what it risks: the page says it before anyone clicks. */
export const decisionText: Record<ApprovalAction, { label: string; risk: string }> = {
  'approve-rekey': {
    label: 'Approve re-key',
    risk: 'Creates a replacement key, moves the aliases and re-encrypts what the old key protects; the old key is scheduled for deletion only after verification and a second approval.',
  },
  'disable-key': {
    label: 'Disable key',
    risk: 'Every workload that uses this key fails until the key is enabled again.',
  },
  release: {
    label: 'Release (false positive)',
    risk: 'Undoes every reversible step kms-warden took for this incident: the principal and any grants regain their access.',
  },
  'approve-deletion': {
    label: 'Approve key deletion',
    risk: 'Schedules the old key for deletion after its waiting period (7 to 30 days, cancellable until then). Anything still encrypted under it, such as older secret versions, parameter history and backups, becomes unreadable for ever.',
  },
  acknowledge: {
    label: 'Acknowledge: leave it on the old key',
    risk: 'Re-keying stops waiting for this resource: it stays encrypted under the old key, which is then disabled and, once a person approves, deleted. Whatever it holds becomes unreadable for ever unless it is moved to the replacement first.',
  },
  reject: {
    label: 'Reject',
    risk: 'Nothing is re-keyed, and the containment is released: every reversible step is undone.',
  },
};
