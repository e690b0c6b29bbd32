import { ConditionalCheckFailedException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, paginateQuery, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ActionResult } from '../actions/action';
import type { Signal } from '../detectors/detector';
import { StateConflictError } from '../errors';
import { containmentSucceeded, type Decision, type Incident } from '../incidents/incident';
import type { IncidentStore, OpenResult } from '../incidents/incident-store';
import { canMove, statusesLeadingTo, type IncidentStatus } from '../incidents/lifecycle';

// Named conditions: each state change says what it expects to find.
const isNew = 'attribute_not_exists(pk)';
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
    const next = containmentSucceeded(results) && canMove('open', 'contained') ? 'contained' : 'open';
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(id),
          UpdateExpression: 'SET #status = :next, results = :results, updatedAt = :at',
          ConditionExpression: isOpen,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':open': 'open', ':next': next, ':results': results, ':at': at },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return toIncident(Attributes ?? {});
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new StateConflictError(id, oldItemOf(error), { cause: error });
      throw error;
    }
  }

  async markNotified(id: string, status: IncidentStatus, notificationId: string, at: string): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(id),
          UpdateExpression: 'SET notifiedAt = :at, notifiedStatus = :status, notificationId = :notificationId, updatedAt = :at',
          ConditionExpression: `attribute_exists(pk) AND ${notYetNotifiedOfStatus}`,
          ExpressionAttributeValues: { ':at': at, ':status': status, ':notificationId': notificationId },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async recordRepeat(id: string, signal: Signal, at: string): Promise<Incident> {
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(id),
          UpdateExpression: 'ADD occurrences :one SET lastSeenAt = :at, lastEvidence = :evidence, updatedAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':one': 1, ':at': at, ':evidence': signal.evidence },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toIncident(Attributes ?? {});
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new StateConflictError(id, undefined, { cause: error });
      throw error;
    }
  }

  async decide(id: string, to: IncidentStatus, decision: Decision): Promise<Incident> {
    const allowed = statusesLeadingTo(to);
    const names = allowed.map((_, i) => `:from${i}`);
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(id),
          UpdateExpression: 'SET #status = :to, decisions = list_append(if_not_exists(decisions, :none), :decision), updatedAt = :at',
          // Named condition: the incident is still in a status this decision may leave.
          ConditionExpression: `attribute_exists(pk) AND #status IN (${names.join(', ')})`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ...Object.fromEntries(allowed.map((status, i) => [names[i]!, status])),
            ':to': to,
            ':none': [],
            ':decision': [decision],
            ':at': decision.at,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return toIncident(Attributes ?? {});
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new StateConflictError(id, oldItemOf(error) ?? (await this.get(id)), { cause: error });
      throw error;
    }
  }

  async recordDecision(id: string, decision: Decision): Promise<Incident> {
    const { Attributes } = await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keyOf(id),
        UpdateExpression: 'SET decisions = list_append(if_not_exists(decisions, :none), :decision), updatedAt = :at',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':none': [], ':decision': [decision], ':at': decision.at },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toIncident(Attributes ?? {});
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
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(id),
          // Not updatedAt: a reminder is not a change of the incident, and must not reset its age.
          UpdateExpression: 'SET remindedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(remindedAt) OR remindedAt < :since)',
          ExpressionAttributeValues: { ':at': at, ':since': since },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async get(id: string): Promise<Incident | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: keyOf(id), ConsistentRead: true }),
    );
    return Item ? toIncident(Item) : undefined;
  }
}
