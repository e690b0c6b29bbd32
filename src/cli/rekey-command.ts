import { parseArgs } from 'node:util';
import {
  cliRegion,
  incidentReader,
  keyReader,
  operatorDecisionDeps,
  reEncrypters,
  rekeyDeps,
  rekeyStateMachine,
} from '../composition/cli';
import { loadConfig, loadIncidentTableConfig } from '../config';
import { makeDecision } from '../approvals/decide';
import type { Incident } from '../incidents/incident';
import { logger } from '../logger';
import { LocalRekeyWorkflow } from '../local/local-rekey-workflow';
import { acknowledgeable, acknowledgeResource } from '../rekey/acknowledge';
import { operatorRekeyIncident } from '../rekey/operator-request';
import { planRekey, type RekeyPlan } from '../rekey/plan';
import { findProtected } from '../rekey/steps/find-protected';
import { operatorName, reporter, type CommandIo } from './io';
import { renderRekeyProgress } from '../notify/rekey-progress';

export const rekeyUsage = `Usage:
  kms-warden rekey plan KEY [--region R] [--json]
      What re-keying KEY (an ARN, id or alias) would do: the replacement and every resource it protects. Changes nothing.
  kms-warden rekey run KEY [--incident ID] [--window-days N] [--by NAME] [--local] [--poll-seconds N] [--yes] [--json]
      Starts re-keying KEY (the deployed state machine, or with --local in this process). Without --incident, opens
      an incident approved by you. Run it again to resume a stopped run: finished work is not done twice.
      Without --yes: what it would do, nothing changed.
  kms-warden rekey status INCIDENT [--json] [--watch]
      Progress per service (bars in a terminal, plain lines otherwise), what waits for a person, the deletion.
  kms-warden rekey ack INCIDENT RESOURCE --why TEXT [--by NAME] [--yes] [--json]
      Takes responsibility for something left on the old key (RESOURCE as status shows it); verification stops waiting for it.
  kms-warden rekey approve-deletion INCIDENT [--by NAME] [--yes] [--json]
      The second approval: the run schedules the old key's deletion (after its waiting period, cancellable until then).

--json: each command's result as JSON on stdout (status: one object per refresh); progress stays on stderr.

Environment: the deployed stack's settings (INCIDENT_TABLE, NOTIFICATION_TOPIC_ARN, DEAD_LETTER_QUEUE_URL,
RESPONDER_ROLE_ARNS, REKEY_STATE_MACHINE_ARN, ...; see the README), AWS credentials and AWS_REGION.`;

const planLines = (plan: RekeyPlan): string[] => [
  `key:          ${plan.keyArn}${plan.aliases.length > 0 ? ` (${plan.aliases.join(', ')})` : ''}`,
  `replacement:  ${plan.replacement.keySpec} ${plan.replacement.keyUsage}, rotation on, same policy (without kms-warden's deny statements), description and tags`,
  `resources:    ${plan.resources.length} on the old key, ${plan.resources.filter((r) => r.person).length} needing a person`,
  ...plan.resources.map((r) => `  ${r.person ? '!' : '-'} ${r.key}: ${r.how}`),
  ...Object.entries(plan.gaps).map(([service, gap]) => `  ? ${service}: could not be listed (${gap})`),
  'then:         verify nothing is left, disable the old key, wait for it to settle, ask for a second approval, schedule its deletion',
];

export const rekeyCommand = async (argv: string[], io: CommandIo): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      incident: { type: 'string' },
      'window-days': { type: 'string' },
      by: { type: 'string' },
      why: { type: 'string' },
      local: { type: 'boolean' },
      'poll-seconds': { type: 'string' },
      watch: { type: 'boolean' },
      yes: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [sub, target, resource] = positionals;
  if (values.help || !sub) {
    io.out(rekeyUsage);
    return values.help ? 0 : 2;
  }
  const by = values.by ?? operatorName();
  const report = reporter(io, values.json);

  if (sub === 'plan') {
    if (!target) return usageError(io, 'plan needs a KEY');
    const keys = keyReader();
    const keyArn = await keys.resolve(target, await cliRegion());
    const snapshot = await keys.snapshot(keyArn);
    const plan = planRekey(snapshot, await findProtected(snapshot, { services: reEncrypters(), logger }));
    report(planLines(plan), { ...plan });
    return 0;
  }

  if (sub === 'status') {
    if (!target) return usageError(io, 'status needs an INCIDENT');
    // Reading needs the table only, not every setting of the responders.
    const incidents = incidentReader(loadIncidentTableConfig());
    const show = async () => {
      const incident = await incidents.get(target);
      if (!incident) throw new Error(`no incident ${target}`);
      report(renderRekeyProgress(incident, { tty: Boolean(process.stdout.isTTY) }), {
        id: incident.id,
        status: incident.status,
        rekey: incident.rekey,
      });
      return incident;
    };
    let incident = await show();
    while (
      values.watch &&
      !['deletion-scheduled', 'closed', 'released'].includes(incident.status) &&
      !incident.rekey?.failure
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      incident = await show();
    }
    return incident.rekey?.failure && incident.status === 're-keying' ? 1 : 0;
  }

  const config = loadConfig();
  const deps = rekeyDeps(config);

  if (sub === 'ack') {
    if (!target || !resource || !values.why) return usageError(io, 'ack needs an INCIDENT, a RESOURCE and --why');
    if (!values.yes) {
      const known = acknowledgeable(await deps.incidents.get(target), target, resource);
      report(
        `Acknowledge ${resource}${known ? ` (${known.status})` : ''}: verification stops waiting for it, and the old key may then be deleted while it still uses it. Nothing changed. Run again with --yes to acknowledge.`,
        { incidentId: target, resource, acknowledged: false, status: known?.status ?? null },
      );
      return 0;
    }
    await acknowledgeResource(
      deps.incidents,
      deps.workflow,
      target,
      resource,
      by,
      values.why,
      new Date().toISOString(),
    );
    report(`${resource}: acknowledged by ${by}`, { incidentId: target, resource, acknowledgedBy: by, why: values.why });
    return 0;
  }

  if (sub === 'approve-deletion') {
    if (!target) return usageError(io, 'approve-deletion needs an INCIDENT');
    const incident = await deps.incidents.get(target);
    // The same rule as the approval page: only once re-keying verified everything and asked for it.
    if (!incident || incident.status !== 're-keyed' || !incident.rekey?.deletionRequestedAt) {
      io.err(
        `kms-warden rekey: ${target} is ${incident?.status ?? 'not an incident'}; deletion can be approved once re-keying is verified and asks for it`,
      );
      return 1;
    }
    if (!values.yes) {
      report(
        `Approve key deletion for ${target}: ${incident.rekey.oldKeyArn} would be scheduled for deletion after ${incident.rekey.pendingWindowDays} days. Nothing changed. Run again with --yes to decide.`,
        {
          incidentId: target,
          decided: false,
          oldKeyArn: incident.rekey.oldKeyArn,
          pendingWindowDays: incident.rekey.pendingWindowDays,
        },
      );
      return 0;
    }
    // Through the same code as a link or a Slack button: audited, told, marked as told.
    const made = await makeDecision(operatorDecisionDeps(config), incident, 'approve-deletion', by, 'cli');
    if (!made.ok) {
      io.err(`kms-warden rekey: this decision can no longer be made: the incident is ${made.current}`);
      return 1;
    }
    const outcome = made.outcome;
    if (outcome === 'handed-over' || !outcome.ok) {
      io.err(
        `kms-warden rekey: the approval is recorded but not carried out: ${outcome === 'handed-over' ? 'handed to the executor' : outcome.current}`,
      );
      return 1;
    }
    report(
      `deletion of ${incident.rekey.oldKeyArn} approved: the run schedules it at its next check (if no run is going any more, resume it: kms-warden rekey run ${incident.rekey.oldKeyArn} --incident ${incident.id} --yes)`,
      {
        incidentId: incident.id,
        decided: true,
        oldKeyArn: incident.rekey.oldKeyArn,
        status: outcome.updated.status,
        detail: outcome.detail,
      },
    );
    return 0;
  }

  if (sub === 'run') {
    if (!target) return usageError(io, 'run needs a KEY');
    const windowDays = values['window-days'] ? Number(values['window-days']) : config.rekeyDeletionWindowDays;
    if (!Number.isInteger(windowDays) || windowDays < 7 || windowDays > 30)
      return usageError(io, `--window-days must be 7 to 30 (KMS's limits), not ${values['window-days']}`);
    const keyArn = await keyReader().resolve(target, await cliRegion());
    if (!values.yes) {
      const underway = (await deps.incidents.listByKey(keyArn)).find((i) =>
        ['approved', 're-keying', 're-keyed'].includes(i.status),
      );
      const incidentId = values.incident ?? underway?.id;
      const where = config.rekeyStateMachineArn && !values.local ? 'state machine' : 'here';
      report(
        `Re-key ${keyArn}: ${incidentId ? `run incident ${incidentId}` : 'open an incident approved by you'}, ` +
          `${where === 'here' ? 'run here' : 'start the deployed state machine'}; the old key's deletion waits for a second approval (${windowDays} days' waiting period). ` +
          `See what it would move: kms-warden rekey plan ${target}. Nothing changed. Run again with --yes to start.`,
        { keyArn, started: false, incidentId: incidentId ?? null, runs: where, pendingWindowDays: windowDays },
      );
      return 0;
    }
    // With --json, stdout carries only the result; what happens on the way goes to stderr.
    const progress = values.json ? io.err : io.out;
    let incident: Incident;
    if (values.incident) {
      const found = await deps.incidents.get(values.incident);
      if (!found || found.keyArn !== keyArn || !['approved', 're-keying', 're-keyed'].includes(found.status)) {
        io.err(
          `kms-warden rekey: incident ${values.incident} is ${found ? `${found.status}, about ${found.keyArn}` : 'unknown'}: re-keying runs for an approved incident about this key`,
        );
        return 1;
      }
      incident = found;
    } else {
      // One re-key per key at a time: an incident already approved or re-keying it is the one to run or resume.
      const underway = (await deps.incidents.listByKey(keyArn)).find((i) =>
        ['approved', 're-keying', 're-keyed'].includes(i.status),
      );
      if (underway) {
        incident = underway;
        progress(`incident ${incident.id} (${incident.status}) is already about re-keying ${keyArn}: running it`);
      } else {
        incident = await operatorRekeyIncident(deps.incidents, keyArn, by, new Date());
        progress(`incident ${incident.id}: re-key of ${keyArn} requested and approved by ${by}`);
      }
    }
    const run = { incidentId: incident.id, keyArn, pendingWindowDays: windowDays, startedBy: by };
    // The first run of an incident is named after it (an approval link starts that one); the CLI names each attempt,
    // and the state machine adapter refuses to start one while another is still running.
    const attempt = `cli-${Date.now()}`;
    if (config.rekeyStateMachineArn && !values.local) {
      const started = await rekeyStateMachine(config.rekeyStateMachineArn).start(run, attempt);
      report([started.detail, `follow it: kms-warden rekey status ${incident.id} --watch`], {
        keyArn,
        incidentId: incident.id,
        ...started,
      });
      return started.started ? 0 : 1;
    }
    // In this process: the deployed definition, its waits shortened to --poll-seconds (default 15 s for a person at a
    // terminal).
    const pollSeconds = values['poll-seconds'] ? Number(values['poll-seconds']) : 15;
    const workflow = new LocalRekeyWorkflow(deps, {
      timeScale: pollSeconds / 900,
      // An acknowledgement or the approval given from another terminal is seen on the incident at each poll.
      watchEveryMs: pollSeconds * 1000,
      onState: (_id, state) => io.err(`state: ${state}`),
    });
    const started = await workflow.start(run, attempt);
    progress(started.detail);
    try {
      await workflow.finished(incident.id, attempt);
    } finally {
      const final = await deps.incidents.get(incident.id);
      if (final)
        report(renderRekeyProgress(final, { tty: Boolean(process.stdout.isTTY) }), {
          keyArn,
          incidentId: final.id,
          started: started.started,
          status: final.status,
          rekey: final.rekey,
        });
    }
    return 0;
  }

  return usageError(io, `unknown rekey command "${sub}"`);
};

const usageError = (io: CommandIo, problem: string): number => {
  io.err(`kms-warden rekey: ${problem}. See kms-warden rekey --help.`);
  return 2;
};
