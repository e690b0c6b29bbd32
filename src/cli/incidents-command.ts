import { parseArgs } from 'node:util';
import { makeDecision } from '../approvals/decide';
import { decisionText } from '../notify/decision-text';
import type { ApprovalAction } from '../notify/approval-token';
import { incidentReader, operatorDecisionDeps } from '../composition/cli';
import { loadConfig, loadIncidentTableConfig } from '../config';
import { severityOf, titleOf, type Incident } from '../incidents/incident';
import { storyLines, storyOf } from '../notify/story-of';
import { isActive, transitions, type IncidentStatus } from '../incidents/lifecycle';
import { composeNotification, whereText } from '../notify/compose-notification';
import { plainLine } from '../notify/escape';
import { operatorName, reporter, type CommandIo } from './io';

export const incidentsUsage = `Usage:
  kms-warden incidents list [--status S,...] [--key ARN] [--account ID] [--json]
                                                                    active incidents (or those in the given statuses),
                                                                    oldest change first; --account: of that account only
  kms-warden incidents show INCIDENT [--json]                       the incident as on-call was told, with its timeline
  kms-warden incidents carry-out INCIDENT [--yes] [--json]          carry out decisions recorded but not carried out
                                                                    (the executor failed, or was never handed them)

Environment: the deployed stack's settings (INCIDENT_TABLE, NOTIFICATION_TOPIC_ARN, ...; see the README).`;

export const decisionUsage = (
  action: string,
) => `Usage: kms-warden ${action} INCIDENT [--by NAME] [--account ID] [--yes] [--json]

${decisionText[decisionOf[action]!].risk}
Without --yes, the command says what it would do and changes nothing. Recorded as decided by --by (default cli:$USER)
through the CLI, audited and told to on-call like a decision by link. --account: the account you mean to act in (in
an organization, where the incident happened); an incident of another account is refused, nothing changed. --json:
the outcome as one JSON object ({"incidentId", "action", "decided", "status", "detail", "complete"}).`;

/** CLI verbs and the decision each makes. */
export const decisionOf: Record<string, ApprovalAction> = {
  approve: 'approve-rekey',
  reject: 'reject',
  release: 'release',
  disable: 'disable-key',
};

const line = (incident: Incident) =>
  [
    incident.updatedAt.replace(/\.\d{3}Z$/, 'Z'),
    incident.status.padEnd(18),
    severityOf(incident).padEnd(8),
    incident.id,
    // Where: the account (its name in an organization) and the Region, as the messages say it.
    plainLine(whereText(incident)),
    incident.keyArn ?? '-',
    plainLine(titleOf(incident), 300),
  ].join('  ');

export const incidentsCommand = async (argv: string[], io: CommandIo): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      status: { type: 'string' },
      key: { type: 'string' },
      account: { type: 'string' },
      json: { type: 'boolean' },
      yes: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [sub, id] = positionals;
  if (values.help || !sub) {
    io.out(incidentsUsage);
    return values.help ? 0 : 2;
  }
  // Reading needs the table only, not every setting of the responders.
  const incidents = incidentReader(loadIncidentTableConfig());
  if (sub === 'list') {
    const statuses = values.status
      ? (values.status.split(',') as IncidentStatus[])
      : (Object.keys(transitions) as IncidentStatus[]).filter(isActive);
    const unknown = statuses.filter((s) => !(s in transitions));
    if (unknown.length > 0) {
      io.err(
        `kms-warden incidents: unknown status ${unknown.join(', ')} (one of ${Object.keys(transitions).join(', ')})`,
      );
      return 2;
    }
    if (values.account !== undefined && !/^\d{12}$/.test(values.account))
      return usageError(io, 'incidents', `--account takes a 12-digit account id, not "${values.account}"`);
    const found = (
      values.key
        ? (await incidents.listByKey(values.key)).filter((i) => statuses.includes(i.status))
        : await incidents.listByStatus(statuses, '9999')
    ).filter((i) => values.account === undefined || i.signal.source.accountId === values.account);
    for (const incident of found)
      io.out(
        values.json
          ? JSON.stringify({
              id: incident.id,
              status: incident.status,
              severity: severityOf(incident),
              keyArn: incident.keyArn ?? null,
              account: incident.signal.source.accountId ?? null,
              accountName: incident.accountName ?? null,
              region: incident.signal.source.region,
              title: titleOf(incident),
              updatedAt: incident.updatedAt,
            })
          : line(incident),
      );
    if (!values.json) io.err(`${found.length} incident${found.length === 1 ? '' : 's'}`);
    return 0;
  }
  if (sub === 'show') {
    if (!id) return usageError(io, 'incidents', 'show needs an INCIDENT');
    const incident = await incidents.get(id);
    if (!incident) {
      io.err(`kms-warden incidents: no incident ${id}`);
      return 1;
    }
    if (values.json) io.out(JSON.stringify({ ...incident, story: storyOf(incident) }));
    else {
      io.out(composeNotification(incident).text);
      io.out('');
      for (const entry of storyLines(incident)) io.out(entry);
      io.out('');
      io.out('Timeline:');
      for (const entry of incident.timeline) io.out(`  ${entry.at}  ${entry.what}`);
    }
    return 0;
  }
  if (sub === 'carry-out') {
    if (!id) return usageError(io, 'incidents', 'carry-out needs an INCIDENT');
    return carryOutCommand(id, Boolean(values.yes), reporter(io, Boolean(values.json)), io);
  }
  return usageError(io, 'incidents', `unknown incidents command "${sub}"`);
};

/**
 * Carries out, in this process with the operator's AWS identity, the decisions an incident records that were never
 * carried out (the executor was not handed them, or failed past its retries), in the order they were made.
 */
const carryOutCommand = async (
  id: string,
  yes: boolean,
  report: ReturnType<typeof reporter>,
  io: CommandIo,
): Promise<number> => {
  const deps = operatorDecisionDeps(loadConfig());
  const incident = await deps.incidents.get(id);
  if (!incident) {
    io.err(`kms-warden incidents: no incident ${id}`);
    return 1;
  }
  const waiting = (incident.decisions ?? []).filter((decision) => decision.id && !decision.carriedOut);
  if (waiting.length === 0 || !yes) {
    report(
      waiting.length === 0
        ? `every decision of ${id} is carried out`
        : [
            `${waiting.length} decision(s) of ${id} recorded and not carried out: ${waiting.map((d) => `${d.action} by ${d.by} at ${d.at}`).join('; ')}`,
            'Nothing changed. Run again with --yes to carry them out.',
          ],
      {
        incidentId: id,
        waiting: waiting.map((d) => ({ id: d.id, action: d.action, by: d.by, at: d.at })),
        carriedOut: false,
      },
    );
    return 0;
  }
  let complete = true;
  for (const decision of waiting) {
    const outcome = await deps.executor.dispatch({ incidentId: id, decisionId: decision.id! });
    const detail = outcome === 'handed-over' ? 'handed over' : outcome.ok ? outcome.detail : outcome.current;
    const done = outcome !== 'handed-over' && outcome.ok && outcome.complete;
    complete &&= done;
    report(`${decision.action} by ${decision.by}: ${detail}`, {
      incidentId: id,
      decisionId: decision.id,
      action: decision.action,
      detail,
      complete: done,
    });
  }
  return complete ? 0 : 1;
};

/** approve | reject | release | disable INCIDENT: a decision made by the operator's AWS identity. */
export const decisionCommand =
  (verb: string) =>
  async (argv: string[], io: CommandIo): Promise<number> => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        by: { type: 'string' },
        account: { type: 'string' },
        yes: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const action = decisionOf[verb]!;
    const report = reporter(io, values.json);
    if (values.help) {
      io.out(decisionUsage(verb));
      return 0;
    }
    const [id] = positionals;
    if (!id) return usageError(io, verb, 'it needs an INCIDENT');
    if (values.account !== undefined && !/^\d{12}$/.test(values.account))
      return usageError(io, verb, `--account takes a 12-digit account id, not "${values.account}"`);
    const deps = operatorDecisionDeps(loadConfig());
    const incident = await deps.incidents.get(id);
    if (!incident) {
      io.err(`kms-warden ${verb}: no incident ${id}`);
      return 1;
    }
    // A decision acts where the incident happened: the operator says where they mean to act, and a mistyped incident
    // id of another account changes nothing.
    if (values.account !== undefined && incident.signal.source.accountId !== values.account) {
      io.err(
        `kms-warden ${verb}: ${id} happened in ${plainLine(whereText(incident))}, not in ${values.account}: nothing changed`,
      );
      return 2;
    }
    if (!values.yes) {
      report(
        [
          `${decisionText[action].label} for ${id} (${incident.status}, key ${incident.keyArn ?? 'none'}): ${decisionText[action].risk}`,
          'Nothing changed. Run again with --yes to decide.',
        ],
        {
          incidentId: id,
          action,
          decided: false,
          status: incident.status,
          keyArn: incident.keyArn ?? null,
          risk: decisionText[action].risk,
        },
      );
      return 0;
    }
    const made = await makeDecision(deps, incident, action, values.by ?? operatorName(), 'cli');
    if (!made.ok) {
      io.err(`kms-warden ${verb}: this decision can no longer be made: the incident is ${made.current}`);
      return 1;
    }
    const outcome = made.outcome;
    if (outcome === 'handed-over' || !outcome.ok) {
      io.err(
        `kms-warden ${verb}: ${decisionText[action].label} for ${id} is recorded but not carried out: ${outcome === 'handed-over' ? 'handed to the executor' : outcome.current}`,
      );
      return 1;
    }
    report(`${decisionText[action].label} for ${id}: ${outcome.detail} (now ${outcome.updated.status})`, {
      incidentId: id,
      action,
      decided: true,
      status: outcome.updated.status,
      detail: outcome.detail,
      complete: outcome.complete,
    });
    return outcome.complete ? 0 : 1;
  };

const usageError = (io: CommandIo, command: string, problem: string): number => {
  io.err(`kms-warden ${command}: ${problem}. See kms-warden ${command} --help.`);
  return 2;
};
