import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  paginateQuery,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ActionResult } from '../actions/action';
import type { PlannedAction } from '../actions';
import type { Signal } from '../detections/detection';
import { StateConflictError } from '../errors';
import {
  boundedEvidence,
  boundedProgress,
  containmentSucceeded,
  incidentBounds,
  placeInStory,
  continuesStory,
  continuing,
  type CarriedOut,
  type Decision,
  type Incident,
  type RekeyPreview,
  type RekeyProgress,
  type ResourceEntry,
  type ResourceProgress,
  type SignalEntry,
  type TimelineEntry,
} from '../incidents/incident';
import {
  raisedBy,
  storyFieldsOf,
  type AttachResult,
  type IncidentStore,
  type OpenResult,
  type StoryChange,
} from '../incidents/incident-store';
import {
  decisionRules,
  isActive,
  rekeyingStatuses,
  statusesLeadingTo,
  transitions,
  type DecisionAction,
  type IncidentStatus,
} from '../incidents/lifecycle';
import { attachNote, containmentNote, decisionNote } from '../incidents/timeline';
import { expiresAfter } from '../incidents/retention';

// Named conditions: each state change says what it expects to find.
const isNew = 'attribute_not_exists(pk)';
const exists = 'attribute_exists(pk)';
const isOpen = '#status = :open';
const notYetNotifiedOfStatus = '(attribute_not_exists(notifiedStatus) OR notifiedStatus <> :status)';
const heldByNobody = 'attribute_not_exists(pk)';
const heldBy = 'incidentId = :holder';
/**
 * AWS can apply a write and still answer 500; the SDK then sends the same request again, which meets its own
 * condition already spent. Every write carries an id of its own, and a write whose condition fails on an item that
 * already bears its id took effect: success, not a lost race. The condition also keeps the retry from applying twice
 * (an ADD, a list_append).
 */
const notThisWrite = '(attribute_not_exists(#lastWriteId) OR #lastWriteId <> :writeId)';

// The values of `rekeyingStatuses` (lifecycle), named for conditions.
const rekeyStatuses = { ':rekeying': 're-keying', ':rekeyed': 're-keyed', ':scheduled': 'deletion-scheduled' };

/** Every write that changes an incident adds a line to its timeline. */
const appendTimeline = 'timeline = list_append(if_not_exists(timeline, :none), :note)';
const timelineValues = (entry: TimelineEntry) => ({ ':none': [], ':note': [entry] });

/** Statuses a later signal may attach in: active, but not rejected (on its way to release, its steps being undone). */
const attachable = (Object.keys(transitions) as IncidentStatus[]).filter(
  (status) => isActive(status) && status !== 'rejected',
);

const keyOf = (id: string) => ({ pk: `INCIDENT#${id}`, sk: 'INCIDENT' });
const resourcePrefix = 'RESOURCE#';
const resourceKeyOf = (id: string, key: string) => ({ pk: `INCIDENT#${id}`, sk: `${resourcePrefix}${key}` });
/**
 * Resource items outlive their incident's last change by the retention plus this: they have no TTL of their own to
 * move.
 */
const resourceGraceDays = 60;
/** Resource items written at once by one call. */
const resourceWriters = 8;
/** Named condition: a resource's record is not a person's acknowledgement (which stands until the incident goes). */
const notAcknowledged = 'attribute_not_exists(pk) OR #status <> :acknowledged';
/** The item naming the incident that holds a group (key, principal, family) while it is active. */
const groupKeyOf = (group: string) => ({ pk: `GROUP#${group}`, sk: 'HOLDER' });
/** The item naming the incident that took a signal (detector#eventId): a signal is handled by one incident, ever. */
const claimKeyOf = (signalId: string) => ({ pk: `SIGNAL#${signalId}`, sk: 'CLAIM' });
const unclaimed = 'attribute_not_exists(pk)';

const toIncident = (item: Record<string, unknown>): Incident => {
  const { pk: _pk, sk: _sk, lastWriteId: _lastWriteId, onceTaken, ...incident } = item;
  // A string set (ADD and DELETE keep it one writer's change at a time); the document client reads it as a Set.
  return {
    ...(incident as unknown as Incident),
    ...(onceTaken instanceof Set ? { onceTaken: [...(onceTaken as Set<string>)].sort() } : {}),
  };
};

/** The incident as a failed condition found it, and the id of the write that last changed it. */
const oldItemOf = (error: ConditionalCheckFailedException | { Item?: Record<string, AttributeValue> }) => {
  const item = error.Item ? unmarshall(error.Item as Record<string, AttributeValue>) : undefined;
  return { current: item ? toIncident(item) : undefined, lastWriteId: item?.lastWriteId as string | undefined };
};

export class DynamoDbIncidentStore implements IncidentStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Days a released or closed incident is kept before DynamoDB's TTL removes it. */
    private readonly retentionDays = 90,
  ) {}

  async open(opening: Incident): Promise<OpenResult> {
    let incident = opening;
    // The incident, its signal's claim and its group's holder are written together: two signals of one group racing
    // make one incident, and a signal another incident took (attached to it) is never taken again.
    let staleHolder: string | undefined;
    // A late event, before the story holding the group: an incident of its own, the group left to the story.
    let holdsGroup = true;
    const writeId = randomUUID();
    const claims = incident.signalIds.map((signalId) => ({
      Put: {
        TableName: this.tableName,
        Item: { ...claimKeyOf(signalId), incidentId: incident.id, expiresAt: this.claimExpiry(incident.createdAt) },
        ConditionExpression: unclaimed,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      },
    }));
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        await this.documents.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: { ...keyOf(incident.id), ...incident, lastWriteId: writeId },
                  ConditionExpression: isNew,
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
              ...claims,
              ...(holdsGroup
                ? [
                    {
                      Put: {
                        TableName: this.tableName,
                        Item: {
                          ...groupKeyOf(incident.group),
                          incidentId: incident.id,
                          since: incident.createdAt,
                          expiresAt: expiresAfter(incident.createdAt, this.retentionDays),
                        },
                        // Named condition: nobody holds the group, or the holder found inactive (or its story over)
                        // still does (no one took over).
                        ConditionExpression: staleHolder ? heldBy : heldByNobody,
                        ...(staleHolder ? { ExpressionAttributeValues: { ':holder': staleHolder } } : {}),
                        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
                      },
                    },
                  ]
                : []),
            ],
          }),
        );
        return { outcome: 'created', incident };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        const [ownReason] = reasons;
        const claimReasons = reasons.slice(1, 1 + claims.length);
        const groupReason = reasons[1 + claims.length];
        if (ownReason?.Code === 'ConditionalCheckFailed') {
          const found = oldItemOf(ownReason);
          const existing = found.current ?? (await this.get(incident.id));
          if (!existing) throw new StateConflictError(incident.id, undefined, { cause: error });
          // This very call made it (AWS applied the first attempt and answered an error): created, not a redelivery.
          if (found.lastWriteId === writeId) return { outcome: 'created', incident: existing };
          return { outcome: 'exists', incident: existing };
        }
        const claimed = claimReasons.find((reason) => reason.Code === 'ConditionalCheckFailed');
        if (claimed) {
          // The signal is another incident's already (attached to a story): it is handled there, never twice.
          const ownerId = claimed.Item ? (unmarshall(claimed.Item).incidentId as string) : undefined;
          const owner = ownerId === undefined ? undefined : await this.get(ownerId);
          if (!owner) throw new StateConflictError(incident.id, undefined, { cause: error });
          return owner.id === incident.id
            ? { outcome: 'exists', incident: owner }
            : { outcome: 'grouped', incident: owner };
        }
        // A TransactionConflict (another writer at the same moment) is thrown: Lambda retries the event.
        if (groupReason?.Code !== 'ConditionalCheckFailed') throw error;
        const holderId = groupReason.Item
          ? (unmarshall(groupReason.Item).incidentId as string)
          : await this.holderOf(incident.group);
        const holder = holderId === undefined ? undefined : await this.get(holderId);
        if (holder && holder.id === incident.id) return { outcome: 'exists', incident: holder };
        // A signal the ended holder already had (from before claims were written), delivered again: that incident's.
        if (holder && incident.signalIds.some((signalId) => holder.signalIds.includes(signalId)))
          return { outcome: 'grouped', incident: holder };
        const place = holder ? placeInStory(holder, incident) : 'after';
        const active = holder !== undefined && isActive(holder.status);
        // An active story with room, within whose window the signal falls, takes the signal. One that holds as many
        // signals as an incident may keeps its own, and a new incident takes the group over from it (the item stays
        // under DynamoDB's 400 KB).
        if (active && place === 'within' && holder.signalIds.length < incidentBounds.maxSignalsPerIncident)
          return { outcome: 'grouped', incident: holder };
        if (active && place === 'before') holdsGroup = false;
        // Released, closed, expired, full or its story over: the group is free; take it over from that holder. A
        // story full or decided on is continued: the new one starts as severe as both make it.
        else {
          if (holder && continuesStory(holder, incident)) incident = continuing(incident, holder);
          staleHolder = holderId;
        }
      }
    }
    throw new StateConflictError(incident.id, undefined);
  }

  /** A signal's claim lasts as long as a released incident is kept: redeliveries come within hours. */
  private claimExpiry(at: string) {
    return expiresAfter(at, this.retentionDays);
  }

  private async holderOf(group: string): Promise<string | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: groupKeyOf(group), ConsistentRead: true }),
    );
    return Item?.incidentId as string | undefined;
  }

  async attachSignal(
    id: string,
    entry: SignalEntry,
    steps: PlannedAction[],
    planLength: number,
    at: string,
    story?: StoryChange,
  ): Promise<AttachResult> {
    const names = attachable.map((_, i) => `:active${i}`);
    const pending: ActionResult[] = steps.map(() => ({ outcome: 'pending', reason: 'recorded before it runs' }));
    const storyFields = story ? storyFieldsOf(story) : {};
    const storySets = Object.keys(storyFields).map((field) => `#story_${field} = :story_${field}`);
    const writeId = randomUUID();
    const note = attachNote(entry, steps.length, story && raisedBy(story));
    try {
      await this.documents.send(
        new TransactWriteCommand({
          // The same token on the SDK's own retries: a transaction AWS already applied is not applied again (so this
          // write needs no lastWriteId of its own, unlike the single-item updates).
          ClientRequestToken: writeId,
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: keyOf(id),
                // Not updatedAt: a new signal is no decision, and must not reset how long one has been waiting.
                UpdateExpression: `SET signals = list_append(signals, :entry), signalIds = list_append(signalIds, :signalIds), #plan = list_append(#plan, :steps), #results = list_append(#results, :pending), lastSeenAt = :at, ${[...storySets, appendTimeline].join(', ')}`,
                // Named condition: the signal is not attached yet; the incident is active; and its plan is the one
                // read, each step with a result, so the new steps' results line up with them; and, with a story, it
                // has the signals the story was computed from.
                ConditionExpression: `${exists} AND NOT contains(signalIds, :signalId) AND size(signalIds) < :maxSignals AND #status IN (${names.join(', ')}) AND size(#plan) = :planLength AND attribute_exists(#results) AND size(#results) = :planLength${story ? ' AND size(signalIds) = :signalCount' : ''}`,
                // PLAN is one of DynamoDB's reserved words.
                ExpressionAttributeNames: {
                  '#status': 'status',
                  '#plan': 'plan',
                  '#results': 'results',
                  ...Object.fromEntries(Object.keys(storyFields).map((field) => [`#story_${field}`, field])),
                },
                ExpressionAttributeValues: {
                  ...Object.fromEntries(attachable.map((status, i) => [names[i]!, status])),
                  ':entry': [{ ...entry, planFrom: planLength, planSteps: steps.length }],
                  ':signalIds': [entry.id],
                  ':signalId': entry.id,
                  ':steps': steps,
                  ':pending': pending,
                  ':planLength': planLength,
                  ':maxSignals': incidentBounds.maxSignalsPerIncident,
                  ':at': at,
                  ...(story ? { ':signalCount': story.signalCount } : {}),
                  ...Object.fromEntries(
                    Object.entries(storyFields).map(([field, value]) => [`:story_${field}`, value]),
                  ),
                  ...timelineValues({ at, what: note }),
                },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: { ...claimKeyOf(entry.id), incidentId: id, expiresAt: this.claimExpiry(at) },
                ConditionExpression: unclaimed,
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const [incidentReason, claimReason] = error.CancellationReasons ?? [];
      if (incidentReason?.Code === 'ConditionalCheckFailed') {
        const found = oldItemOf(incidentReason);
        if (found.current?.signalIds.includes(entry.id)) return { attached: false, incident: found.current };
        throw new StateConflictError(id, found.current ?? (await this.get(id)), { cause: error });
      }
      if (claimReason?.Code === 'ConditionalCheckFailed') {
        // Another incident took this signal first (a redelivery racing, or an earlier story): it is handled there.
        const ownerId = claimReason.Item ? (unmarshall(claimReason.Item).incidentId as string) : undefined;
        const owner = ownerId === undefined ? undefined : await this.get(ownerId);
        if (owner) return { attached: false, incident: owner };
      }
      throw error;
    }
    const attached = await this.get(id);
    if (!attached) throw new StateConflictError(id, undefined);
    return { attached: true, incident: attached };
  }

  async recordSignalResults(id: string, from: number, results: ActionResult[], at: string): Promise<Incident> {
    // A signal with no steps of its own (a key administrator's, reported only): nothing to record.
    if (results.length === 0) {
      const current = await this.get(id);
      if (!current) throw new StateConflictError(id, undefined);
      return current;
    }
    const sets = results.map((_, i) => `#results[${from + i}] = :r${i}`);
    return this.orConflict(
      id,
      await this.update(id, {
        UpdateExpression: `SET ${sets.join(', ')}, ${appendTimeline}`,
        // Named condition: the attached steps are there to record.
        ConditionExpression: `${exists} AND size(#results) >= :end`,
        ExpressionAttributeNames: { '#results': 'results' },
        ExpressionAttributeValues: {
          ...Object.fromEntries(results.map((result, i) => [`:r${i}`, result])),
          ':end': from + results.length,
          ...timelineValues({ at, what: containmentNote(results) }),
        },
      }),
    );
  }

  async beginRekey(id: string, progress: RekeyProgress, at: string): Promise<Incident> {
    try {
      return await this.move(id, 're-keying', at, `re-keying started by ${progress.startedBy}`, undefined, {
        rekey: progress,
      });
    } catch (error) {
      // Resumed: the progress recorded so far is what the steps resume from.
      const status = (error as StateConflictError<Incident>).current?.status;
      if (error instanceof StateConflictError && (status === 're-keying' || status === 're-keyed'))
        return error.current as Incident;
      throw error;
    }
  }

  async recordRekey(
    id: string,
    fields: Partial<Omit<RekeyProgress, 'resources'>>,
    at: string,
    what: string | null,
  ): Promise<Incident> {
    const entries = Object.entries(fields).filter(([, value]) => value !== undefined);
    return this.orConflict(
      id,
      await this.update(id, {
        UpdateExpression: `SET ${[...entries.map((_, i) => `rekey.#f${i} = :v${i}`), ...(what === null ? [] : [appendTimeline])].join(', ')}`,
        // Named condition: re-keying is under way.
        ConditionExpression: `${exists} AND attribute_exists(rekey) AND #status IN (:rekeying, :rekeyed, :scheduled)`,
        ExpressionAttributeNames: {
          '#status': 'status',
          ...Object.fromEntries(entries.map(([name], i) => [`#f${i}`, name])),
        },
        ExpressionAttributeValues: {
          ...Object.fromEntries(entries.map(([, value], i) => [`:v${i}`, value])),
          ...rekeyStatuses,
          ...(what === null ? {} : timelineValues({ at, what })),
        },
      }),
    );
  }

  async claimReplacementKey(id: string, keyArn: string, at: string): Promise<string> {
    const written = await this.update(id, {
      UpdateExpression: `SET rekey.replacementKeyArn = :key, ${appendTimeline}`,
      // Named condition: no replacement recorded yet, or this very one (a retried step).
      ConditionExpression: `${exists} AND attribute_exists(rekey) AND (attribute_not_exists(rekey.replacementKeyArn) OR rekey.replacementKeyArn = :key)`,
      ExpressionAttributeValues: { ':key': keyArn, ...timelineValues({ at, what: `replacement key ${keyArn}` }) },
    });
    if (written.ok) return keyArn;
    const recorded = written.current?.rekey?.replacementKeyArn;
    if (recorded) return recorded;
    throw new StateConflictError(id, written.current, { cause: written.error });
  }

  /**
   * One item per resource, beside the incident's (same partition): an incident re-keying thousands of resources stays
   * far from DynamoDB's 400 KB item limit. A PutItem each, a few at a time, under the resource's own condition (a
   * person's acknowledgement stands), after one read that finds the incident re-keying. Not one transaction with the
   * incident's condition: a transaction holds 100 actions at most and costs each item twice
   * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html), and what is recorded
   * here already happened to the resource: an incident that moved on meanwhile still gets the record of it.
   */
  async recordResources(id: string, resources: readonly ResourceEntry[]): Promise<void> {
    if (resources.length === 0) return;
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keyOf(id),
        ConsistentRead: true,
        ProjectionExpression: '#status, rekey.startedBy',
        ExpressionAttributeNames: { '#status': 'status' },
      }),
    );
    if (!Item?.rekey || !rekeyingStatuses.includes(Item.status as IncidentStatus))
      throw new StateConflictError(id, Item ? await this.get(id) : undefined);
    const latest = [...new Map(resources).entries()];
    let next = 0;
    const writer = async () => {
      while (next < latest.length) {
        const [key, progress] = latest[next++]!;
        try {
          await this.documents.send(
            new PutCommand({
              TableName: this.tableName,
              Item: this.resourceItem(id, key, progress),
              ConditionExpression: notAcknowledged,
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':acknowledged': 'acknowledged' },
            }),
          );
        } catch (error) {
          // A person acknowledged it meanwhile: their record stands.
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(resourceWriters, latest.length) }, writer));
  }

  async recordAcknowledgement(id: string, key: string, progress: ResourceProgress): Promise<void> {
    try {
      await this.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: this.tableName,
                Key: keyOf(id),
                // Named condition: re-keying is under way.
                ConditionExpression: `${exists} AND attribute_exists(rekey) AND #status IN (:rekeying, :rekeyed, :scheduled)`,
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: rekeyStatuses,
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: this.resourceItem(id, key, { ...progress, status: 'acknowledged' }),
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      if (error.CancellationReasons?.[0]?.Code !== 'ConditionalCheckFailed') throw error;
      throw new StateConflictError(id, await this.get(id), { cause: error });
    }
  }

  private resourceItem(id: string, key: string, progress: ResourceProgress) {
    return {
      ...resourceKeyOf(id, key),
      key,
      ...boundedProgress(progress),
      expiresAt: expiresAfter(progress.at, this.retentionDays + resourceGraceDays),
    };
  }

  async advance(id: string, to: IncidentStatus, at: string, what: string): Promise<Incident> {
    return this.move(id, to, at, what);
  }

  async awaitDecision(id: string, at: string): Promise<Incident> {
    return this.move(id, 'awaiting-approval', at, 'decision links sent');
  }

  async recordContainment(id: string, results: ActionResult[], at: string): Promise<Incident> {
    return this.orConflict(
      id,
      await this.update(id, {
        UpdateExpression: `SET #status = :next, results = :results, updatedAt = :at, ${appendTimeline}`,
        ConditionExpression: isOpen,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':open': 'open',
          ':next': containmentSucceeded(results) ? 'contained' : 'open',
          ':results': results,
          ':at': at,
          ...timelineValues({
            at,
            status: containmentSucceeded(results) ? 'contained' : 'open',
            what: containmentNote(results),
          }),
        },
      }),
    );
  }

  async recordRekeyPlan(id: string, plan: RekeyPreview): Promise<Incident> {
    return this.orConflict(
      id,
      await this.update(id, {
        // Not updatedAt: a plan is no change of the incident, and must not reset how long a decision has waited.
        UpdateExpression: `SET rekeyPlan = :plan, ${appendTimeline}`,
        // Named condition: re-keying may still be approved, and no plan is recorded yet (one per incident).
        ConditionExpression: `${exists} AND #status IN (:open, :contained, :awaiting) AND attribute_not_exists(rekeyPlan)`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':plan': plan,
          ':open': 'open',
          ':contained': 'contained',
          ':awaiting': 'awaiting-approval',
          ...timelineValues({
            at: plan.at,
            what: `re-key plan: ${plan.moves} move on their own, ${plan.person} wait for a person${plan.refused ? '; re-keying would refuse this key' : ''}`,
          }),
        },
      }),
    );
  }

  async markNotified(id: string, status: IncidentStatus, notificationId: string, at: string): Promise<boolean> {
    const written = await this.update(id, {
      // Not updatedAt: telling people is no change of the incident, and must not reset how long a decision has waited.
      UpdateExpression: `SET notifiedAt = :at, notifiedStatus = :status, notificationId = :notificationId, ${appendTimeline}`,
      ConditionExpression: `${exists} AND ${notYetNotifiedOfStatus}`,
      ExpressionAttributeValues: {
        ':at': at,
        ':status': status,
        ':notificationId': notificationId,
        ...timelineValues({ at, what: `people told of ${status} (${notificationId})` }),
      },
    });
    return written.ok;
  }

  async claimNews(id: string, at: string, quietSince: string): Promise<Incident | undefined> {
    const written = await this.update(id, {
      // Not updatedAt: telling people is no change of the incident. No timeline line either: the sweep's role may
      // not write the timeline (dynamodb:Attributes), so that it can never rewrite it; the log says it.
      UpdateExpression: 'REMOVE newsPending, newsPendingSince SET newsToldAt = :at',
      // Named condition: the page went out, and no message went out within the quiet period since (the page, or an
      // update).
      ConditionExpression: `${exists} AND attribute_exists(notifiedAt) AND notifiedAt <= :quietSince AND (attribute_not_exists(newsToldAt) OR newsToldAt <= :quietSince)`,
      ExpressionAttributeValues: { ':at': at, ':quietSince': quietSince },
    });
    return written.ok ? written.incident : undefined;
  }

  async markNews(id: string, at: string): Promise<void> {
    await this.update(id, {
      // newsPending puts the incident in the byNews index, which the sweep reads.
      UpdateExpression: 'SET newsPending = :pending, newsPendingSince = if_not_exists(newsPendingSince, :at)',
      ConditionExpression: exists,
      ExpressionAttributeValues: { ':at': at, ':pending': 'pending' },
    });
  }

  async listNewsPending(before: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const page of paginateQuery(
      { client: this.documents },
      {
        TableName: this.tableName,
        IndexName: 'byNews',
        KeyConditionExpression: 'newsPending = :pending AND newsPendingSince <= :before',
        ExpressionAttributeValues: { ':pending': 'pending', ':before': before },
      },
    ))
      for (const item of page.Items ?? []) ids.push(String(item.pk).slice('INCIDENT#'.length));
    return ids;
  }

  async recordRepeat(id: string, signal: Signal, at: string): Promise<Incident> {
    // Not updatedAt: a repeat of the same signal is no change of the incident, and must not reset how long a
    // decision has been waiting.
    return this.orConflict(
      id,
      await this.update(id, {
        UpdateExpression: 'ADD occurrences :one SET lastSeenAt = :at, lastEvidence = :evidence',
        ConditionExpression: exists,
        ExpressionAttributeValues: { ':one': 1, ':at': at, ':evidence': boundedEvidence(signal.evidence) },
      }),
    );
  }

  async decide(id: string, to: IncidentStatus, decision: Decision): Promise<Incident> {
    return this.move(id, to, decision.at, decisionNote(decision), decision);
  }

  async recordDecision(id: string, decision: Decision & { action: DecisionAction }): Promise<Incident> {
    const rule = decisionRules[decision.action];
    if (rule.moves) return this.move(id, rule.moves, decision.at, decisionNote(decision), decision, {}, rule.from);
    const from = rule.from.map((_, i) => `:from${i}`);
    return this.orConflict(
      id,
      await this.update(id, {
        UpdateExpression: `${rule.once ? 'ADD onceTaken :taken ' : ''}SET decisions = list_append(if_not_exists(decisions, :none), :decision), updatedAt = :at, ${appendTimeline}`,
        ConditionExpression: `${exists} AND #status IN (${from.join(', ')})${rule.once ? ' AND (attribute_not_exists(onceTaken) OR NOT contains(onceTaken, :action))' : ''}`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ...Object.fromEntries(rule.from.map((status, i) => [from[i]!, status])),
          ...(rule.once ? { ':taken': new Set([decision.action]), ':action': decision.action } : {}),
          ':decision': [decision],
          ':at': decision.at,
          ...timelineValues({ at: decision.at, what: decisionNote(decision) }),
        },
      }),
    );
  }

  async giveBack(id: string, action: DecisionAction, at: string, why: string): Promise<Incident> {
    return this.orConflict(
      id,
      await this.update(id, {
        UpdateExpression: `DELETE onceTaken :taken SET updatedAt = :at, ${appendTimeline}`,
        ConditionExpression: exists,
        ExpressionAttributeValues: {
          ':taken': new Set([action]),
          ':at': at,
          ...timelineValues({ at, what: `${action} may be decided again: ${why}` }),
        },
      }),
    );
  }

  async claimExecution(id: string, decisionId: string, at: string, until: string): Promise<Incident | undefined> {
    // Not updatedAt, no timeline line: carrying a decision out is recorded when it finishes.
    const written = await this.update(id, {
      UpdateExpression: 'SET executing = :lease',
      ConditionExpression: `${exists} AND (attribute_not_exists(executing) OR executing.#until < :at OR executing.decisionId = :decisionId)`,
      ExpressionAttributeNames: { '#until': 'until' },
      ExpressionAttributeValues: { ':lease': { decisionId, until }, ':at': at, ':decisionId': decisionId },
    });
    return written.ok ? this.withResources(written.incident) : undefined;
  }

  async releaseExecution(id: string, decisionId: string): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(id),
          UpdateExpression: 'REMOVE executing',
          ConditionExpression: 'executing.decisionId = :decisionId',
          ExpressionAttributeValues: { ':decisionId': decisionId },
        }),
      );
    } catch (error) {
      // Not held by it (let go already, or claimed by another since): nothing to let go of.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async recordUndone(id: string, decision: { index: number; id: string }, undone: string[]): Promise<void> {
    await this.orConflict(
      id,
      await this.update(id, {
        UpdateExpression: `SET decisions[${decision.index}].undone = :undone`,
        ConditionExpression: `${exists} AND decisions[${decision.index}].id = :decisionId AND executing.decisionId = :decisionId`,
        ExpressionAttributeValues: { ':undone': undone, ':decisionId': decision.id },
      }),
    );
  }

  async completeDecision(
    id: string,
    decision: { index: number; id: string },
    carriedOut: CarriedOut,
    results?: ActionResult[],
  ): Promise<Incident> {
    return this.orConflict(
      id,
      await this.update(id, {
        UpdateExpression: `REMOVE executing SET decisions[${decision.index}].carriedOut = :carriedOut, ${results ? `decisions[${decision.index}].results = :results, ` : ''}${appendTimeline}`,
        // Once: an overlapping run of the same job that finished first keeps what it recorded.
        ConditionExpression: `${exists} AND decisions[${decision.index}].id = :decisionId AND attribute_not_exists(decisions[${decision.index}].carriedOut)`,
        ExpressionAttributeValues: {
          ':carriedOut': carriedOut,
          ...(results ? { ':results': results } : {}),
          ':decisionId': decision.id,
          ...timelineValues({ at: carriedOut.at, what: `carried out: ${carriedOut.detail}` }),
        },
      }),
    );
  }

  /**
   * A conditional move to `to` from a status the lifecycle allows (and `from` names, when given), with the decision
   * that made it, if one did.
   */
  private async move(
    id: string,
    to: IncidentStatus,
    at: string,
    what: string,
    decision?: Decision,
    also: Record<string, unknown> = {},
    from?: readonly IncidentStatus[],
  ): Promise<Incident> {
    const allowed = statusesLeadingTo(to).filter((status) => !from || from.includes(status));
    // No status leads there: nothing to condition on, and nothing a write could do.
    if (allowed.length === 0) throw new StateConflictError(id, await this.get(id));
    const names = allowed.map((_, i) => `:from${i}`);
    return this.orConflict(
      id,
      await this.update(id, {
        UpdateExpression: `SET #status = :to, ${decision ? 'decisions = list_append(if_not_exists(decisions, :none), :decision), ' : ''}${isActive(to) ? '' : 'expiresAt = :expiresAt, '}${Object.keys(
          also,
        )
          .map((name, i) => `#also${i} = :also${i}, `)
          .join('')}updatedAt = :at, ${appendTimeline}`,
        // Named condition: the incident is still in a status this move may leave.
        ConditionExpression: `${exists} AND #status IN (${names.join(', ')})`,
        ExpressionAttributeNames: {
          '#status': 'status',
          ...Object.fromEntries(Object.keys(also).map((name, i) => [`#also${i}`, name])),
        },
        ExpressionAttributeValues: {
          ...Object.fromEntries(allowed.map((status, i) => [names[i]!, status])),
          ...Object.fromEntries(Object.values(also).map((value, i) => [`:also${i}`, value])),
          ':to': to,
          ...(decision ? { ':decision': [decision] } : {}),
          ...(isActive(to) ? {} : { ':expiresAt': expiresAfter(at, this.retentionDays) }),
          ':at': at,
          ...timelineValues({ at, status: to, what }),
        },
      }),
    );
  }

  /** A conditional update of an incident: the item after it, or the item as it was when the condition failed. */
  private async update(
    id: string,
    input: Pick<
      UpdateCommandInput,
      'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >,
  ): Promise<
    | { ok: true; incident: Incident }
    | { ok: false; current: Incident | undefined; error: ConditionalCheckFailedException }
  > {
    const writeId = randomUUID();
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(id),
          // Every update expression here ends in its SET clause.
          UpdateExpression: `${input.UpdateExpression!}, #lastWriteId = :writeId`,
          ConditionExpression: `(${input.ConditionExpression!}) AND ${notThisWrite}`,
          ExpressionAttributeNames: { ...input.ExpressionAttributeNames, '#lastWriteId': 'lastWriteId' },
          ExpressionAttributeValues: { ...input.ExpressionAttributeValues, ':writeId': writeId },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { ok: true, incident: toIncident(Attributes ?? {}) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { current, lastWriteId } = oldItemOf(error);
      // Applied by an earlier attempt of this same call: the item as it stands is this write's result.
      if (current && lastWriteId === writeId) return { ok: true, incident: current };
      return { ok: false, current, error };
    }
  }

  /** A lost race is a StateConflictError carrying the winner's state. */
  private async orConflict(
    id: string,
    written: Awaited<ReturnType<DynamoDbIncidentStore['update']>>,
  ): Promise<Incident> {
    if (written.ok) return this.withResources(written.incident);
    throw new StateConflictError(id, written.current ?? (await this.get(id)), { cause: written.error });
  }

  async listByStatus(statuses: readonly IncidentStatus[], before: string): Promise<Incident[]> {
    const pages = await Promise.all(
      statuses.map((status) =>
        this.queryAll({
          IndexName: 'byStatus',
          KeyConditionExpression: '#status = :status AND updatedAt < :before',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status, ':before': before },
        }),
      ),
    );
    return pages.flat().sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
  }

  async listByKey(keyArn: string): Promise<Incident[]> {
    return this.queryAll({
      IndexName: 'byKey',
      KeyConditionExpression: 'keyArn = :keyArn',
      ExpressionAttributeValues: { ':keyArn': keyArn },
      ScanIndexForward: false,
    });
  }

  /** Every page of a query on one of the table's indexes. */
  private async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Incident[]> {
    const incidents: Incident[] = [];
    for await (const page of paginateQuery({ client: this.documents }, { TableName: this.tableName, ...input })) {
      incidents.push(...(page.Items ?? []).map(toIncident));
    }
    return incidents;
  }

  async markReminded(id: string, at: string, since: string): Promise<boolean> {
    // Not updatedAt: a reminder is not a change of the incident, and must not reset its age.
    const written = await this.update(id, {
      UpdateExpression: 'SET remindedAt = :at',
      ConditionExpression: `${exists} AND (attribute_not_exists(remindedAt) OR remindedAt < :since)`,
      ExpressionAttributeValues: { ':at': at, ':since': since },
    });
    return written.ok;
  }

  async recordSlackMessage(
    id: string,
    message: { channel: string; ts: string },
    previousTs?: string,
  ): Promise<boolean> {
    // Not updatedAt: where the message is changes nothing about the incident.
    const written = await this.update(id, {
      UpdateExpression: 'SET slackMessage = :message',
      // Named condition: no message recorded yet, or still the one this replaces.
      ConditionExpression: previousTs
        ? `${exists} AND slackMessage.ts = :previous`
        : `${exists} AND attribute_not_exists(slackMessage)`,
      ExpressionAttributeValues: { ':message': message, ...(previousTs ? { ':previous': previousTs } : {}) },
    });
    return written.ok;
  }

  async head(id: string): Promise<Incident | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: keyOf(id), ConsistentRead: true }),
    );
    return Item ? toIncident(Item) : undefined;
  }

  async resourcesAfter(
    id: string,
    after: string,
    limit: number,
  ): Promise<{ resources: Array<[string, ResourceProgress]>; next?: string }> {
    // The partition's resource items in sort-key order, from just after `after`: a page of them, never the whole.
    const { Items = [], LastEvaluatedKey } = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keyOf(id).pk, ':prefix': resourcePrefix },
        ...(after ? { ExclusiveStartKey: resourceKeyOf(id, after) } : {}),
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    const resources = Items.map((item): [string, ResourceProgress] => {
      const { pk: _pk, sk: _sk, key, expiresAt: _expiresAt, ...progress } = item;
      return [key as string, progress as ResourceProgress];
    });
    return LastEvaluatedKey && resources.length > 0 ? { resources, next: resources.at(-1)![0] } : { resources };
  }

  /** The incident with its re-keyed resources: one query over its partition. */
  async get(id: string): Promise<Incident | undefined> {
    let incident: Incident | undefined;
    const resources: Record<string, ResourceProgress> = {};
    for await (const page of paginateQuery(
      { client: this.documents },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keyOf(id).pk },
        ConsistentRead: true,
      },
    )) {
      for (const item of page.Items ?? []) {
        if (item.sk === 'INCIDENT') incident = toIncident(item);
        else if (typeof item.sk === 'string' && item.sk.startsWith(resourcePrefix)) {
          const { pk: _pk, sk: _sk, key, expiresAt: _expiresAt, ...progress } = item;
          resources[key as string] = progress as ResourceProgress;
        }
      }
    }
    if (incident?.rekey)
      incident.rekey = { ...incident.rekey, resources: { ...incident.rekey.resources, ...resources } };
    return incident;
  }

  /** An incident as an update returned it, with its resource items when it is re-keying. */
  private async withResources(incident: Incident): Promise<Incident> {
    return incident.rekey ? ((await this.get(incident.id)) ?? incident) : incident;
  }
}
