import type { StrictRule } from './rule';

/** The expressions an item request may carry, by where they sit in it. */
const expressionFields = [
  'UpdateExpression',
  'ConditionExpression',
  'KeyConditionExpression',
  'FilterExpression',
  'ProjectionExpression',
] as const;

/** Splits at commas outside parentheses: `SET a = if_not_exists(a, :v), b = :w` is two actions. */
const actionsOf = (clause: string): string[] => {
  const actions: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < clause.length; i += 1) {
    if (clause[i] === '(') depth += 1;
    else if (clause[i] === ')') depth -= 1;
    else if (clause[i] === ',' && depth === 0) {
      actions.push(clause.slice(start, i));
      start = i + 1;
    }
  }
  actions.push(clause.slice(start));
  return actions.map((action) => action.trim()).filter(Boolean);
};

/** The document path each action of an update expression acts on, placeholders resolved, as its segments. */
const pathsActedOn = (expression: string, names: Record<string, string> = {}): string[][] =>
  expression
    .split(/(?:^|\s)(?:SET|ADD|REMOVE|DELETE)\s/)
    .flatMap(actionsOf)
    .map((action) =>
      action
        .split(/[\s=]/)[0]!
        .split(/\.|(?=\[)/)
        .map((segment) => (segment.startsWith('#') ? (names[segment] ?? segment) : segment)),
    );

/** Two paths overlap when one is the other or lies inside it (`a` and `a.b`; `a[0]` and `a`). */
const overlap = (one: string[], two: string[]) =>
  one.slice(0, Math.min(one.length, two.length)).every((segment, i) => segment === two[i]);

/**
 * An expression is 4 KB at most, and an update expression may not act on one attribute twice (overlapping paths):
 * DynamoDB refuses the request with a ValidationException. moto takes longer expressions, so a memory entry with many
 * changed attributes would pass here and fail in AWS.
 */
export const dynamodbExpressionLimits: StrictRule = {
  id: 'dynamodb-expression-limits',
  says: 'an expression is at most 4 KB, and an update expression acts on an attribute once (ValidationException)',
  docs: [
    'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-expression-parameters',
    'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html',
  ],
  operations: [
    'dynamodb:UpdateItem',
    'dynamodb:PutItem',
    'dynamodb:DeleteItem',
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:Scan',
    'dynamodb:TransactWriteItems',
  ],
  refuse: async ({ call }) => {
    const params = call.params as Record<string, unknown> & {
      TransactItems?: Array<Record<string, Record<string, unknown>>>;
    };
    const requests = params.TransactItems ? params.TransactItems.flatMap((item) => Object.values(item)) : [params];
    for (const request of requests) {
      for (const field of expressionFields) {
        const expression = request[field];
        if (typeof expression === 'string' && Buffer.byteLength(expression, 'utf8') > 4096)
          return {
            code: 'ValidationException',
            message: `Invalid ${field}: Expression size has exceeded the maximum allowed size`,
          };
      }
      const update = request.UpdateExpression;
      if (typeof update !== 'string') continue;
      const paths = pathsActedOn(update, request.ExpressionAttributeNames as Record<string, string> | undefined);
      for (const [i, one] of paths.entries())
        for (const two of paths.slice(i + 1))
          if (overlap(one, two))
            return {
              code: 'ValidationException',
              message: `Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [${one.join(', ')}], path two: [${two.join(', ')}]`,
            };
    }
    return undefined;
  },
};
