import { parseArgs } from 'node:util';
import { cliResponders } from '../composition/cli';
import { loadConfig } from '../config';
import { ConfigError, UnreadableFileError } from '../errors';
import { camelCaseKeys } from '../events/guardduty-finding';
import { classifyInput, type InputEvent } from '../events/input';
import type { Outcome } from '../respond/respond-to-kms-api-call';
import type { CloudTrailRecord } from '../events/cloudtrail-record';
import { securityFindingEventSchema, type SecurityFindingEvent } from '../respond/respond-to-security-finding';
import type { CommandIo } from './io';
import { checkReadable, rawInputsOf } from '../replay/sources';

export const handleUsage = `Usage: kms-warden handle [--yes] [--json] FILE...

Responds to the events in FILEs, in file order, as the deployed functions would: in this process, with the
responders' own code, against the AWS account the environment points at. With --yes it acts: keys are changed,
incidents recorded and people told. Without --yes it reads every event and says which responder would get it,
and changes nothing. API calls go to the KMS responder in batches of up to 1,000, as the activity function reads
its stream (one read and one write of detection memory a batch); GuardDuty findings and Config compliance changes to
the findings responder; an event already responded to is reported as a duplicate and not acted on again.

Input: EventBridge events ("AWS API Call via CloudTrail", "GuardDuty Finding", "Config Rules Compliance Change"),
bare CloudTrail records, CloudTrail log files ({"Records":[...]}), bare GuardDuty findings; NDJSON or one JSON
document per file, plain or .gz.

Options:
  --yes    respond (without it: a preview, nothing changed)
  --json   one JSON object per event and line

Environment: the deployed stack's settings (INCIDENT_TABLE, NOTIFICATION_TOPIC_ARN, DEAD_LETTER_QUEUE_URL,
RESPONDER_ROLE_ARNS, ...; see the README), AWS credentials and AWS_REGION (AWS_ENDPOINT_URL for an emulator).

Exit codes: 0 every file read and every response done (malformed inputs are counted and explained on stderr, not
dead-lettered), 1 a response failed (named on stderr; the other events are still handled), 2 bad usage, the
settings missing, or a file cannot be read (every file is opened before anything is done).`;

type Responders = ReturnType<typeof cliResponders>;

/**
 * The findings function gets EventBridge's envelope: a bare GuardDuty finding gets the one EventBridge would give it.
 */
const findingEventOf = (value: unknown, event: Exclude<InputEvent, { kind: 'api-call' }>): SecurityFindingEvent => {
  const object = value as Record<string, unknown>;
  if (typeof object['detail-type'] === 'string' || event.kind !== 'guardduty-finding')
    return securityFindingEventSchema.parse(value);
  const { finding } = event;
  return securityFindingEventSchema.parse({
    version: '0',
    id: finding.id,
    'detail-type': 'GuardDuty Finding',
    source: 'aws.guardduty',
    account: finding.accountId,
    time: finding.updatedAt,
    region: finding.region,
    resources: [],
    // GetFindings' PascalCase, as classifyInput read it.
    detail: 'Severity' in object ? camelCaseKeys(value) : value,
  });
};

/** API calls responded to together, as the activity function takes a batch of its stream. */
const batchSize = 1000;

/** What an event was, for people: its name (API call, finding type, Config rule) and the id it is known by. */
const describe = (event: InputEvent): { kind: InputEvent['kind']; name: string; eventId: string } => {
  switch (event.kind) {
    case 'api-call':
      return { kind: event.kind, name: event.record.eventName, eventId: event.record.eventID };
    case 'guardduty-finding':
      return { kind: event.kind, name: event.finding.type, eventId: event.finding.id };
    case 'config-compliance':
      return {
        kind: event.kind,
        name: `${event.change.configRuleName} ${event.change.newEvaluationResult.complianceType}`,
        eventId: event.change.eventId,
      };
  }
};

type Handled = { where: string } & ReturnType<typeof describe> &
  (Outcome | { status: 'failed'; error: string } | { status: 'preview'; responder: string });

const outcomeText = (handled: Handled): string => {
  switch (handled.status) {
    case 'ignored':
      return `ignored: ${handled.reason}`;
    case 'failed':
      return `FAILED: ${handled.error}`;
    case 'preview':
      return `would go to ${handled.responder}`;
    case 'responded':
      return handled.incidents
        .map((i) => `incident ${i.id} ${i.status}${i.duplicate ? ' (duplicate)' : ''}`)
        .join(', ');
  }
};

const tableLine = (handled: Handled) => [handled.where, handled.name, handled.eventId, outcomeText(handled)].join('  ');

export const handleCommand = async (argv: string[], io: CommandIo): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, yes: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.out(handleUsage);
    return 0;
  }
  if (positionals.length === 0) {
    io.err('kms-warden handle: name at least one file. See kms-warden handle --help.');
    return 2;
  }
  // Every file is opened before anything acts: a mistyped name stops the run, not half of it.
  const files: string[] = [];
  for (const file of positionals) {
    try {
      await checkReadable(file);
      files.push(file);
    } catch (error) {
      if (!(error instanceof UnreadableFileError)) throw error;
      io.err(`kms-warden handle: ${error.message}`);
      return 2;
    }
  }
  let respond: Responders | undefined;
  try {
    if (values.yes) respond = cliResponders(loadConfig());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(`kms-warden handle: the stack's settings are not in the environment: ${error.message}`);
    return 2;
  }

  const count = {
    events: 0,
    responded: 0,
    incidents: 0,
    duplicates: 0,
    ignored: 0,
    malformed: 0,
    failed: 0,
    unreadable: 0,
  };
  const malformed = (where: string, problem: string) => {
    count.malformed += 1;
    io.err(`malformed: ${where}: ${problem}`);
  };
  const report = (handled: Handled) => {
    if (handled.status === 'failed') count.failed += 1;
    else if (handled.status === 'ignored') count.ignored += 1;
    else if (handled.status === 'responded') {
      count.responded += 1;
      count.incidents += handled.incidents.length;
      count.duplicates += handled.incidents.filter((i) => i.duplicate).length;
    }
    io.out(values.json ? JSON.stringify(handled) : tableLine(handled));
  };
  const failedWith = (what: Omit<Handled, 'status'>, error: unknown): Handled => {
    const handled = { ...what, status: 'failed' as const, error: (error as Error).message.split('\n')[0]! };
    io.err(`kms-warden handle: the response to ${what.name} ${what.eventId} (${what.where}) failed: ${handled.error}`);
    return handled;
  };
  // API calls wait here for the rest of their batch: the same path as the activity function's (one read and one
  // write of detection memory a batch), in file order.
  let pending: Array<{ what: Omit<Handled, 'status'>; record: CloudTrailRecord }> = [];
  const respondToPending = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    let outcomes: Outcome[];
    try {
      outcomes = await respond!.kmsApiCalls(batch.map((p) => p.record));
    } catch (error) {
      for (const { what } of batch) report(failedWith(what, error));
      return;
    }
    for (const [i, { what }] of batch.entries()) report({ ...what, ...outcomes[i]! });
  };
  for (const file of files) {
    try {
      for await (const input of rawInputsOf(file)) {
        if (!input.ok) {
          malformed(input.where, input.problem);
          continue;
        }
        const classified = classifyInput(input.value);
        if (!classified.ok) {
          malformed(input.where, classified.problems.join('; '));
          continue;
        }
        count.events += 1;
        const event = classified.event;
        const what = { where: input.where, ...describe(event) };
        if (!respond) {
          report({
            ...what,
            status: 'preview',
            responder: event.kind === 'api-call' ? 'onKmsApiCall' : 'onSecurityFinding',
          });
          continue;
        }
        if (event.kind === 'api-call') {
          pending.push({ what, record: event.record });
          if (pending.length >= batchSize) await respondToPending();
          continue;
        }
        // A finding after API calls is answered after them: file order.
        await respondToPending();
        try {
          report({ ...what, ...(await respond.securityFinding(findingEventOf(input.value, event))) });
        } catch (error) {
          report(failedWith(what, error));
        }
      }
    } catch (error) {
      if (!(error instanceof UnreadableFileError)) throw error;
      count.unreadable += 1;
      io.err(`kms-warden handle: ${error.message}`);
    }
  }
  await respondToPending();
  if (!respond) {
    io.err(
      `read ${count.events} events from ${files.length} file(s), ${count.malformed} malformed. Nothing changed. Run again with --yes to respond as the deployed functions would.`,
    );
    return count.unreadable > 0 ? 2 : 0;
  }
  io.err(
    `handled ${count.events} events from ${files.length} file(s): ${count.responded} responded (${count.incidents} incidents, ${count.duplicates} duplicate),` +
      ` ${count.ignored} ignored, ${count.malformed} malformed, ${count.failed} failed` +
      (count.unreadable > 0 ? `; ${count.unreadable} file(s) could not be read to the end` : ''),
  );
  return count.failed > 0 ? 1 : count.unreadable > 0 ? 2 : 0;
};
