import { ConditionalCheckFailedException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, paginateQuery, type DynamoDBDocumentClient, type QueryCommandInput, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ActionResult } from '../actions/action';
import type { Signal } from '../detectors/detector';
import { StateConflictError } from '../errors';
import { containmentSucceeded, type Decision, type Incident } from '../incidents/incident';
import type { IncidentStore, OpenResult } from '../incidents/incident-store';
import { statusesLeadingTo, type IncidentStatus } from '../incidents/lifecycle';

// Named conditions: each state change says what it expects to find.
const isNew = 'attribute_not_exists(pk)';
const exists = 'attribute_exists(pk)';
const isOpen = '#status = :open';
const notYetNotifiedOfStatus = '(attribute_not_exists(notifiedStatus) OR notifiedStatus <> :status)';

const keyOf = (id: string) => ({ pk: `INCIDENT#${id}`, sk: 'INCIDENT' });

const toIncident = (item: Record<string, unknown>): Incident => {
  const { pk: _pk, sk: _sk, ...incident } = item;
  return incident as unknown as Incident;
};

const oldItemOf = (error: ConditionalCheckFailedException): Incident | undefined =>
  error.Item ? toIncident(unmarshall(error.Item as Record<string, AttributeValue>)) : undefined;

export class DynamoDbIncidentStore implements IncidentStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async open(incident: Incident): Promise<OpenResult> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keyOf(incident.id), ...incident },
          ConditionExpression: isNew,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { created: true, incident };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = oldItemOf(error) ?? (await this.get(incident.id));
      if (!existing) throw new StateConflictError(incident.id, undefined, { cause: error });
      return { created: false, incident: existing };
    }
  }

  async recordContainment(id: string, results: ActionResult[], at: string): Promise<Incident> {
    return this.orConflict(
      id,
      await this.update(id, {
        UpdateExpression: 'SET #status = :next, results = :results, updatedAt = :at',
        ConditionExpression: isOpen,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':open': 'open', ':next': containmentSucceeded(results) ? 'contained' : 'open', ':results': results, ':at': at },
      }),
    );
  }

  async markNotified(id: string, status: IncidentStatus, notificationId: string, at: string): Promise<boolean> {
    const written = await this.update(id, {
      UpdateExpression: 'SET notifiedAt = :at, notifiedStatus = :status, notificationId = :notificationId, updatedAt = :at',
      ConditionExpression: `${exists} AND ${notYetNotifiedOfStatus}`,
      ExpressionAttributeValues: { ':at': at, ':status': status, ':notificationId': notificationId },
    });
    return written.ok;
  }

  async recordRepeat(id: string, signal: Signal, at: string): Promise<Incident> {
    // Not updatedAt: a repeat of the same signal is no change of the incident, and must not reset how long a
    // decision has been waiting.
    return this.orConflict(
      id,
      await this.update(id, {
        UpdateExpression: 'ADD occurrences :one SET lastSeenAt = :at, lastEvidence = :evidence',
        ConditionExpression: exists,
        ExpressionAttributeValues: { ':one': 1, ':at': at, ':evidence': signal.evidence },
      }),
    );
  }

  async decide(id: string, to: IncidentStatus, decision: Decision): Promise<Incident> {
    const allowed = statusesLeadingTo(to);
    // No status leads there: nothing to condition on, and nothing a write could do.
    if (allowed.length === 0) throw new StateConflictError(id, await this.get(id));
    const names = allowed.map((_, i) => `:from${i}`);
    return this.orConflict(
      id,
      await this.update(id, {
        UpdateExpression: 'SET #status = :to, decisions = list_append(if_not_exists(decisions, :none), :decision), updatedAt = :at',
        // Named condition: the incident is still in a status this decision may leave.
        ConditionExpression: `${exists} AND #status IN (${names.join(', ')})`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ...Object.fromEntries(allowed.map((status, i) => [names[i]!, status])),
          ':to': to,
          ':none': [],
          ':decision': [decision],
          ':at': decision.at,
        },
      }),
    );
  }

  async recordDecision(id: string, decision: Decision): Promise<Incident> {
    return this.orConflict(
      id,
      await this.update(id, {
        UpdateExpression: 'SET decisions = list_append(if_not_exists(decisions, :none), :decision), updatedAt = :at',
        ConditionExpression: exists,
        ExpressionAttributeValues: { ':none': [], ':decision': [decision], ':at': decision.at },
      }),
    );
  }

  /** A conditional update of an incident: the item after it, or the item as it was when the condition failed. */
  private async update(
    id: string,
    input: Pick<UpdateCommandInput, 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>,
  ): Promise<{ ok: true; incident: Incident } | { ok: false; current: Incident | undefined; error: ConditionalCheckFailedException }> {
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({ TableName: this.tableName, Key: keyOf(id), ...input, ReturnValues: 'ALL_NEW', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
      );
      return { ok: true, incident: toIncident(Attributes ?? {}) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { ok: false, current: oldItemOf(error), error };
      throw error;
    }
  }

  /** A lost race is a StateConflictError carrying the winner's state. */
  private async orConflict(id: string, written: Awaited<ReturnType<DynamoDbIncidentStore['update']>>): Promise<Incident> {
    if (written.ok) return written.incident;
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

  async get(id: string): Promise<Incident | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: keyOf(id), ConsistentRead: true }),
    );
    return Item ? toIncident(Item) : undefined;
  }
}
