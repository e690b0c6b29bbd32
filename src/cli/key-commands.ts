import { parseArgs } from 'node:util';
import { applyPlan, describeAction } from '../actions';
import { cliRegion, keyReader, reEncrypters, responderDeps } from '../composition/cli';
import { loadConfig } from '../config';
import { accountOfKey } from '../events/accounts';
import { containmentSucceeded } from '../incidents/incident';
import { openOperatorIncident } from '../incidents/operator-incident';
import { logger } from '../logger';
import { tellPeople } from '../notify/tell-people';
import { planManualContainment, principalRefusal } from '../policy/manual-containment';
import { planRekey } from '../rekey/plan';
import { findProtected } from '../rekey/steps/find-protected';
import { operatorName, reporter, type CommandIo } from './io';

export const inventoryUsage = `Usage: kms-warden inventory KEY [--region R] [--json]

What KEY (an ARN, id or alias) protects, service by service: secrets, parameters, buckets and objects, tables,
functions, volumes and snapshots, databases, file systems, clusters. Reads only.`;

export const containUsage = `Usage: kms-warden contain KEY [--principal ARN] [--disable] [--by NAME] [--account ID] [--yes] [--region R]
                           [--json]

The manual isolation step: deny the principal every use of KEY in its policy, revoke its grants and grants held
outside the account, quarantine the principal (its current sessions refused everything), and with --disable also
disable KEY (every workload using it fails until it is enabled again). Without --yes: the plan, nothing changed.
Recorded as an incident, told to on-call, and undone with: kms-warden release INCIDENT --yes
--account: the account you mean to act in; a KEY of another account is refused, nothing changed.
--json: the plan, then each step's outcome, as one JSON object ({"keyArn", "applied", "plan", "incidentId", "steps"}).`;

export const inventoryCommand = async (argv: string[], io: CommandIo): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || !positionals[0]) {
    io.out(inventoryUsage);
    return values.help ? 0 : 2;
  }
  const keys = keyReader();
  const snapshot = await keys.snapshot(await keys.resolve(positionals[0], await cliRegion()));
  const plan = planRekey(snapshot, await findProtected(snapshot, { services: reEncrypters(), logger }));
  if (values.json) {
    for (const resource of plan.resources)
      io.out(
        JSON.stringify({
          key: resource.key,
          service: resource.service,
          kind: resource.kind,
          id: resource.id,
          detail: resource.detail ?? null,
        }),
      );
  } else {
    io.out(
      `${plan.keyArn}${plan.aliases.length > 0 ? ` (${plan.aliases.join(', ')})` : ''} protects ${plan.resources.length} resource${plan.resources.length === 1 ? '' : 's'}:`,
    );
    for (const resource of plan.resources)
      io.out(`  ${resource.key}${resource.detail?.count !== undefined ? ` (${resource.detail.count} objects)` : ''}`);
  }
  for (const [service, gap] of Object.entries(plan.gaps)) io.err(`could not list ${service}: ${gap}`);
  return Object.keys(plan.gaps).length > 0 ? 1 : 0;
};

export const containCommand = async (argv: string[], io: CommandIo): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      principal: { type: 'string' },
      disable: { type: 'boolean' },
      account: { type: 'string' },
      by: { type: 'string' },
      yes: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const report = reporter(io, values.json);
  if (values.help || !positionals[0]) {
    io.out(containUsage);
    return values.help ? 0 : 2;
  }
  if (values.account !== undefined && !/^\d{12}$/.test(values.account)) {
    io.err(
      `kms-warden contain: --account takes a 12-digit account id, not "${values.account}". See kms-warden contain --help.`,
    );
    return 2;
  }
  const config = loadConfig();
  const refused = values.principal
    ? principalRefusal(values.principal, config.responderRoles, config.accountId, config.breakGlassPrincipals)
    : undefined;
  if (refused) {
    io.err(`kms-warden contain: ${refused}.`);
    return 2;
  }
  const { deps } = responderDeps(config);
  const keyArn = await keyReader().resolve(positionals[0], await cliRegion());
  if (values.account !== undefined && accountOfKey(keyArn) !== values.account) {
    io.err(
      `kms-warden contain: ${keyArn} is a key of account ${accountOfKey(keyArn)}, not ${values.account}: nothing changed.`,
    );
    return 2;
  }
  const now = new Date();
  const plan = planManualContainment({
    keyArn,
    principalArn: values.principal,
    disable: values.disable ?? false,
    trustedAccounts: config.trustedAccounts,
    responderRoles: config.responderRoles,
    ownAccount: config.accountId ?? accountOfKey(keyArn),
    revokesPerSecond: config.revokesPerSecond,
    now: now.toISOString(),
  });
  const planned = plan.map((step) => `- ${describeAction(step)}`);
  if (!values.yes) {
    report([...planned, 'Nothing changed. Run again with --yes to apply this plan.'], { keyArn, applied: false, plan });
    return 0;
  }
  const by = values.by ?? operatorName();
  const incident = await openOperatorIncident(
    deps.incidents,
    {
      keyArn,
      by,
      detector: 'operator-contain',
      title: 'Containment asked for by an operator',
      summary: `${by} asked to contain ${keyArn}${values.principal ? ` against ${values.principal}` : ''}`,
      plan,
    },
    now,
  );
  const results = await applyPlan(plan, deps, { incidentId: incident.id, resuming: false });
  const recorded = await deps.incidents.recordContainment(incident.id, results, new Date().toISOString());
  await tellPeople(recorded, deps, { lead: `${by} contained ${keyArn} by hand.` });
  const steps = plan.map((step, i) => ({
    type: step.type,
    outcome: results[i]!.outcome,
    reason: 'reason' in results[i]! ? (results[i] as { reason: string }).reason : undefined,
  }));
  report(
    [
      ...planned,
      ...steps.map((step) => `${step.type}: ${step.outcome}${step.reason ? ` (${step.reason})` : ''}`),
      `incident ${recorded.id}: ${recorded.status}; undo with kms-warden release ${recorded.id} --yes`,
    ],
    { keyArn, applied: true, plan, incidentId: recorded.id, status: recorded.status, steps },
  );
  return containmentSucceeded(results) ? 0 : 1;
};
