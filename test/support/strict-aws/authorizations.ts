import type { AwsCall } from './aws-call';
import type { Emulator } from './emulator';
import type { ContextKeys } from './policy-evaluation';

/**
 * What a request asks IAM for: an action on a resource, each of which must be allowed
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
 * `kmsKey`: the key whose key policy also decides (KMS authorizes with the key policy first).
 */
export interface Authorization {
  action: string;
  resource: string;
  kmsKey?: string;
  /** Context keys the service sets for this request (iam:PolicyARN, aws:TagKeys, aws:RequestTag/...). */
  context?: ContextKeys;
}

/** The tag context keys of a request that sets or removes tags (IAM user guide, "Controlling access using tags"). */
const tagContext = (
  tags: Array<{ TagKey?: string; TagValue?: string }> | undefined,
  keys?: string[],
): ContextKeys | undefined => {
  if (!tags && !keys) return undefined;
  return {
    'aws:TagKeys': keys ?? (tags ?? []).map((tag) => String(tag.TagKey)),
    ...Object.fromEntries((tags ?? []).map((tag) => [`aws:RequestTag/${tag.TagKey}`, String(tag.TagValue ?? '')])),
  };
};

const arnIn = (emulator: Emulator, call: AwsCall, service: string, resource: string, region: string = call.region) =>
  `arn:${emulator.partition}:${service}:${region}:${emulator.account}:${resource}`;

const tableArn = (emulator: Emulator, call: AwsCall, table: string) =>
  table.startsWith('arn:') ? table : arnIn(emulator, call, 'dynamodb', `table/${table}`);

/**
 * KMS operations that name no key: IAM takes Resource "*" for them (AWS KMS developer guide, "Resource" in IAM
 * policies).
 */
const kmsWithoutKey = new Set([
  'CreateKey',
  'ListKeys',
  'ListAliases',
  'GenerateRandom',
  'ListRetirableGrants',
  'CreateCustomKeyStore',
  'DescribeCustomKeyStores',
  'ConnectCustomKeyStore',
  'DisconnectCustomKeyStore',
  'DeleteCustomKeyStore',
  'UpdateCustomKeyStore',
]);

const kms = async (call: AwsCall, emulator: Emulator): Promise<Authorization[] | undefined> => {
  const action = `kms:${call.action}`;
  const { params } = call;
  const context = tagContext(params.Tags, params.TagKeys);
  if (kmsWithoutKey.has(call.action)) return [{ action, resource: '*', ...(context ? { context } : {}) }];
  const onKey = async (keyId: string | undefined): Promise<Authorization[]> => {
    const key = await emulator.keyArnOf(keyId, call.region);
    return key ? [{ action, resource: key, kmsKey: key, ...(context ? { context } : {}) }] : [];
  };
  if (call.action === 'CreateAlias' || call.action === 'UpdateAlias' || call.action === 'DeleteAlias') {
    // Alias operations need the permission on the alias and on each key it points at before and after.
    const aliasName = String(params.AliasName ?? '');
    const alias = { action, resource: arnIn(emulator, call, 'kms', aliasName) };
    const before = call.action === 'CreateAlias' ? [] : await onKey(aliasName);
    const after = call.action === 'DeleteAlias' ? [] : await onKey(params.TargetKeyId);
    return [alias, ...before, ...after];
  }
  if (call.action === 'ReplicateKey') {
    // kms:ReplicateKey on the primary; kms:CreateKey in an IAM policy in the replica's Region, and kms:TagResource
    // there for Tags (https://docs.aws.amazon.com/kms/latest/APIReference/API_ReplicateKey.html).
    const primary = await onKey(params.KeyId);
    const replica = primary[0]?.resource.replace(/^(arn:[^:]+:kms:)[^:]+/, `$1${String(params.ReplicaRegion)}`);
    return [
      ...primary.map(({ resource, kmsKey }) => ({ action, resource, ...(kmsKey ? { kmsKey } : {}) })),
      { action: 'kms:CreateKey', resource: '*' },
      ...(params.Tags && replica
        ? [{ action: 'kms:TagResource', resource: replica, ...(context ? { context } : {}) }]
        : []),
    ];
  }
  if (call.action === 'ReEncrypt') {
    return [
      ...(params.SourceKeyId
        ? (await onKey(params.SourceKeyId)).map((a) => ({ ...a, action: 'kms:ReEncryptFrom' }))
        : []),
      ...(await onKey(params.DestinationKeyId)).map((a) => ({ ...a, action: 'kms:ReEncryptTo' })),
    ];
  }
  // Decrypt without KeyId names its key inside the ciphertext, which the layer does not read: not checked here.
  if (!params.KeyId) return undefined;
  return onKey(params.KeyId);
};

type AttributeValue = Record<string, unknown>;
/** An attribute value as IAM compares it: a string, a number's text, a binary's base64. */
const keyText = (value: AttributeValue | undefined) =>
  value === undefined ? undefined : String(value.S ?? value.N ?? value.B ?? JSON.stringify(value));

/**
 * The values of dynamodb:LeadingKeys in one item request or query: the partition key of each item it reads or writes
 * (SAR, DynamoDB: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html, and
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html). A Scan, or a query of
 * an index, names none: the key is absent, as ForAllValues then reads it (vacuously true), so a policy must not rely on
 * ForAllValues alone for them.
 */
const leadingKeys = (
  partitionKey: string | undefined,
  request: {
    Key?: Record<string, AttributeValue>;
    Item?: Record<string, AttributeValue>;
    KeyConditionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, AttributeValue>;
    IndexName?: string;
  },
): string[] | undefined => {
  if (!partitionKey) return undefined;
  const item = request.Key ?? request.Item;
  if (item) return [keyText(item[partitionKey])].filter((v): v is string => v !== undefined);
  if (!request.KeyConditionExpression || request.IndexName) return undefined;
  for (const [, name, placeholder] of request.KeyConditionExpression.matchAll(/([#\w]+)\s*=\s*(:\w+)/g)) {
    const attribute = name!.startsWith('#') ? request.ExpressionAttributeNames?.[name!] : name;
    if (attribute === partitionKey) return [keyText(request.ExpressionAttributeValues?.[placeholder!])!];
  }
  return undefined;
};

const expressionWords = new Set(
  [
    'SET',
    'REMOVE',
    'ADD',
    'DELETE',
    'AND',
    'OR',
    'NOT',
    'IN',
    'BETWEEN',
    'if_not_exists',
    'list_append',
    'attribute_exists',
    'attribute_not_exists',
    'attribute_type',
    'begins_with',
    'contains',
    'size',
  ].map((word) => word.toLowerCase()),
);

/**
 * The values of dynamodb:Attributes: the top-level attribute names a request reads or writes, its key's included
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html, "Limiting access to
 * specific attributes"). Computed for writes (an item's names, an update's and a condition's paths) and for reads with
 * a projection; a read of whole items names none, and the key is absent.
 */
const attributesOf = (request: {
  Key?: Record<string, unknown>;
  Item?: Record<string, unknown>;
  UpdateExpression?: string;
  ConditionExpression?: string;
  ProjectionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
}): string[] | undefined => {
  const expressions = [request.UpdateExpression, request.ConditionExpression, request.ProjectionExpression].filter(
    (e): e is string => typeof e === 'string',
  );
  if (!request.Item && expressions.length === 0) return undefined;
  const names = new Set([...Object.keys(request.Key ?? {}), ...Object.keys(request.Item ?? {})]);
  for (const expression of expressions)
    // A path's first element: a #name or a bare word, not after a dot, not a :value, not a function or keyword.
    for (const [, word] of expression.matchAll(/(?<![.\w#:])(#?[A-Za-z_][\w]*)/g)) {
      if (word!.startsWith('#')) names.add(request.ExpressionAttributeNames?.[word!] ?? word!);
      else if (!expressionWords.has(word!.toLowerCase())) names.add(word!);
    }
  return [...names];
};

const withLeadingKeys = (
  authorization: Authorization,
  keys: string[] | undefined,
  attributes?: string[],
): Authorization =>
  keys || attributes
    ? {
        ...authorization,
        context: {
          ...authorization.context,
          ...(keys ? { 'dynamodb:LeadingKeys': keys } : {}),
          ...(attributes ? { 'dynamodb:Attributes': attributes } : {}),
        },
      }
    : authorization;

const dynamodb = async (call: AwsCall, emulator: Emulator): Promise<Authorization[]> => {
  const { params } = call;
  const itemActions: Record<string, string> = {
    Put: 'PutItem',
    Update: 'UpdateItem',
    Delete: 'DeleteItem',
    ConditionCheck: 'ConditionCheckItem',
    Get: 'GetItem',
  };
  // Only item requests and queries carry dynamodb:LeadingKeys; CreateTable and the like name no item.
  const itemRequest = /Item|Query/.test(call.action);
  const partitionKeyOf = async (table: string) =>
    itemRequest ? emulator.partitionKeyOf(table, call.region) : undefined;
  if (call.action === 'TransactWriteItems' || call.action === 'TransactGetItems') {
    const requests = (params.TransactItems ?? []).flatMap((item: Record<string, { TableName: string }>) =>
      Object.entries(item),
    ) as Array<[string, { TableName: string } & Parameters<typeof leadingKeys>[1]]>;
    return Promise.all(
      requests.map(async ([kind, request]) =>
        withLeadingKeys(
          { action: `dynamodb:${itemActions[kind] ?? kind}`, resource: tableArn(emulator, call, request.TableName) },
          leadingKeys(await partitionKeyOf(request.TableName), request),
          attributesOf(request),
        ),
      ),
    );
  }
  if (call.action === 'BatchGetItem' || call.action === 'BatchWriteItem') {
    return Promise.all(
      Object.entries(params.RequestItems ?? {}).map(async ([table, requests]) => {
        const partitionKey = await partitionKeyOf(table);
        const items: Array<Parameters<typeof leadingKeys>[1]> =
          call.action === 'BatchGetItem'
            ? ((requests as { Keys?: Array<Record<string, AttributeValue>> }).Keys ?? []).map((Key) => ({ Key }))
            : (
                requests as Array<{
                  PutRequest?: { Item: Record<string, AttributeValue> };
                  DeleteRequest?: { Key: Record<string, AttributeValue> };
                }>
              ).map((request) => ({ Item: request.PutRequest?.Item, Key: request.DeleteRequest?.Key }));
        const keys = items.map((item) => leadingKeys(partitionKey, item));
        return withLeadingKeys(
          { action: `dynamodb:${call.action}`, resource: tableArn(emulator, call, table) },
          keys.every((k) => k !== undefined) ? [...new Set(keys.flat() as string[])] : undefined,
        );
      }),
    );
  }
  if (!params.TableName) return [{ action: `dynamodb:${call.action}`, resource: '*' }];
  const table = tableArn(emulator, call, params.TableName);
  return [
    withLeadingKeys(
      { action: `dynamodb:${call.action}`, resource: params.IndexName ? `${table}/index/${params.IndexName}` : table },
      leadingKeys(await partitionKeyOf(params.TableName), params),
      /Item$/.test(call.action) ? attributesOf(params) : undefined,
    ),
  ];
};

const iam = async (call: AwsCall, emulator: Emulator, callerUser?: string): Promise<Authorization[]> => {
  const { params } = call;
  const action = `iam:${call.action}`;
  const iamArn = (resource: string) => `arn:${emulator.partition}:iam::${emulator.account}:${resource}`;
  // Attaching or detaching a managed policy names it in iam:PolicyARN.
  const context = params.PolicyArn ? { context: { 'iam:PolicyARN': String(params.PolicyArn) } } : {};
  if (params.RoleName) {
    const role = await emulator.role(params.RoleName);
    const path = role?.Path ?? params.Path ?? '/';
    return [{ action, resource: role?.Arn ?? iamArn(`role${path}${params.RoleName}`), ...context }];
  }
  const userName = params.UserName ?? (/AccessKey|LoginProfile|MFADevice/.test(call.action) ? callerUser : undefined);
  if (userName) {
    const user = await emulator.user(userName);
    return [{ action, resource: user?.Arn ?? iamArn(`user${params.Path ?? '/'}${userName}`), ...context }];
  }
  if (params.PolicyArn) return [{ action, resource: params.PolicyArn }];
  return [{ action, resource: '*' }];
};

const secretsManager = async (call: AwsCall, emulator: Emulator): Promise<Authorization[]> => {
  const action = `secretsmanager:${call.action}`;
  const { params } = call;
  if (call.action === 'CreateSecret')
    return [{ action, resource: arnIn(emulator, call, 'secretsmanager', `secret:${params.Name}-??????`) }];
  if (!params.SecretId) return [{ action, resource: '*' }];
  const secret = await emulator.secret(params.SecretId, call.region);
  // Secrets Manager sets secretsmanager:KmsKeyId to the key the request names, as given (an id, alias or ARN)
  // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html).
  // RotateSecret sets secretsmanager:RotationLambdaARN when the request names a function, and
  // secretsmanager:ModifyRotationRules when it changes the rules (same page).
  const keys = {
    ...(params.KmsKeyId ? { 'secretsmanager:KmsKeyId': String(params.KmsKeyId) } : {}),
    ...(params.RotationLambdaARN ? { 'secretsmanager:RotationLambdaARN': String(params.RotationLambdaARN) } : {}),
    ...(call.action === 'RotateSecret' ? { 'secretsmanager:ModifyRotationRules': String(!!params.RotationRules) } : {}),
  };
  const context = Object.keys(keys).length > 0 ? { context: keys } : {};
  return [
    {
      action,
      ...context,
      resource:
        secret?.ARN ??
        (String(params.SecretId).startsWith('arn:')
          ? params.SecretId
          : arnIn(emulator, call, 'secretsmanager', `secret:${params.SecretId}-??????`)),
    },
  ];
};

const ssm = (call: AwsCall, emulator: Emulator): Authorization[] => {
  const action = `ssm:${call.action}`;
  const names: string[] = call.params.Names ?? (call.params.Name ? [call.params.Name] : []);
  if (names.length === 0) return [{ action, resource: '*' }];
  return names.map((name) => ({
    action,
    resource: name.startsWith('arn:') ? name : arnIn(emulator, call, 'ssm', `parameter/${name.replace(/^\//, '')}`),
  }));
};

const queueArn = (emulator: Emulator, call: AwsCall, url: string) => {
  const [, account, name] = /\/(\d{12})\/([^/?]+)/.exec(url) ?? [];
  return name ? `arn:${emulator.partition}:sqs:${call.region}:${account}:${name}` : '*';
};

/**
 * The IAM authorizations a request needs, or undefined when the layer does not evaluate it: REST services (S3, Lambda,
 * EFS), which moto's own enforcement checks by action, and the few operations listed in the README.
 */
export const authorizationsFor = async (
  call: AwsCall,
  emulator: Emulator,
  callerUser?: string,
): Promise<Authorization[] | undefined> => {
  const one = (resource: string) => [{ action: `${call.service}:${call.action}`, resource }];
  const { params } = call;
  switch (call.protocol === 'rest' || call.protocol === 'unsigned' ? '' : call.service) {
    case 'kms':
      return kms(call, emulator);
    case 'dynamodb':
      return dynamodb(call, emulator);
    case 'iam':
      return iam(call, emulator, callerUser);
    case 'secretsmanager':
      return secretsManager(call, emulator);
    case 'ssm':
      return ssm(call, emulator);
    case 'sns':
      return one(
        params.TopicArn ?? params.TargetArn ?? (params.Name ? arnIn(emulator, call, 'sns', params.Name) : '*'),
      );
    case 'sqs':
      return one(
        params.QueueUrl
          ? queueArn(emulator, call, params.QueueUrl)
          : params.QueueName
            ? arnIn(emulator, call, 'sqs', params.QueueName)
            : '*',
      );
    case 'states':
      // SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat name no resource type in the SAR (Step Functions,
      // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html): only a
      // statement with Resource "*" allows them, as IAM evaluates them against "*".
      if (params.taskToken) return one('*');
      return one(params.stateMachineArn ?? params.executionArn ?? '*');
    case 'sts':
      // GetCallerIdentity needs no permission (IAM user guide, "GetCallerIdentity").
      return call.action === 'GetCallerIdentity' ? [] : one(params.RoleArn ?? '*');
    case 'events':
      return call.action === 'PutEvents'
        ? [
            ...new Set<string>(
              (params.Entries ?? []).map((entry: { EventBusName?: string }) => entry.EventBusName ?? 'default'),
            ),
          ].map((bus) => ({
            action: 'events:PutEvents',
            resource: bus.startsWith('arn:') ? bus : arnIn(emulator, call, 'events', `event-bus/${bus}`),
          }))
        : one(
            params.Name
              ? arnIn(emulator, call, 'events', `rule/${params.Name}`)
              : params.Rule
                ? arnIn(emulator, call, 'events', `rule/${params.Rule}`)
                : '*',
          );
    case '':
      return undefined;
    default:
      // EC2, RDS, Redshift, CloudTrail...: resource-level permissions differ per operation; evaluated as "*", so a
      // statement scoped to resources for them is refused here (and the README says so).
      return one('*');
  }
};
