import type { Incident, ResourceProgress } from '../incidents/incident';
import { plainLine } from './escape';

const statuses: ReadonlyArray<ResourceProgress['status']> = [
  're-encrypted',
  'cut-over',
  'skipped',
  'acknowledged',
  'needs-human',
  'pending',
];
const finished = new Set<ResourceProgress['status']>(['re-encrypted', 'cut-over', 'skipped', 'acknowledged']);

const bar = (done: number, total: number, width = 20): string => {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
};

/**
 * Where re-keying stands, for a terminal (a bar per service) or a log (plain lines, no bars): the key, each
 * service's resources by status, what waits for a person, and the old key's deletion. Resource names, details and
 * failures come from outside (a bucket, a secret, an AWS error), so each line is a plain line: no ANSI sequence or
 * line break of theirs reaches a terminal or a message.
 */
export const renderRekeyProgress = (incident: Incident, options: { tty: boolean }): string[] => {
  const progress = incident.rekey;
  if (!progress) return [`${incident.id}: ${incident.status}, not re-keying`];
  const lines = [
    `${incident.id}: ${incident.status}`,
    `old key:         ${progress.oldKeyArn}`,
    `replacement key: ${progress.replacementKeyArn ?? 'not created yet'}`,
    ...(progress.aliasesMoved ? [`aliases moved:   ${progress.aliasesMoved.join(', ') || 'none'}`] : []),
  ];
  const byService = new Map<string, ResourceProgress[]>();
  for (const resource of Object.values(progress.resources))
    byService.set(resource.service, [...(byService.get(resource.service) ?? []), resource]);
  for (const [service, resources] of [...byService].sort(([a], [b]) => a.localeCompare(b))) {
    const done = resources.filter((r) => finished.has(r.status)).length;
    const counts = statuses
      .map((status) => [status, resources.filter((r) => r.status === status).length] as const)
      .filter(([, n]) => n > 0);
    const summary = counts.map(([status, n]) => `${n} ${status}`).join(', ');
    lines.push(
      options.tty
        ? `${service.padEnd(15)} ${bar(done, resources.length)} ${done}/${resources.length}  ${summary}`
        : `${service}: ${done}/${resources.length} done (${summary})`,
    );
  }
  for (const [key, resource] of Object.entries(progress.resources).filter(([, r]) => r.status === 'needs-human')) {
    lines.push(
      `waiting for a person: ${key}: ${resource.detail}`,
      ...(resource.instructions ?? []).map((step) => `  ${step}`),
    );
  }
  for (const [service, gap] of Object.entries(progress.inventoryGaps ?? {}))
    lines.push(`could not list ${service}: ${gap} (acknowledge inventory:${service} once checked by hand)`);
  if (progress.verifiedAt)
    lines.push(`verified:        ${progress.verifiedAt} (old key last used: ${progress.lastUsedAt ?? 'unknown'})`);
  if (progress.deletionRequestedAt && !progress.deletionDate)
    lines.push(
      `deletion:        waiting for approval since ${progress.deletionRequestedAt} (kms-warden rekey approve-deletion ${incident.id})`,
    );
  if (progress.deletionDate)
    lines.push(
      `deletion:        scheduled for ${progress.deletionDate}; to cancel: aws kms cancel-key-deletion --key-id ${progress.oldKeyArn}`,
    );
  if (progress.failure)
    lines.push(`stopped:         ${progress.failure.error}: ${progress.failure.cause} (at ${progress.failure.at})`);
  return lines.map((line) => plainLine(line));
};
