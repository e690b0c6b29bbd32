import type { StrictRule } from './rule';

type AttributeValues = Record<string, unknown>;
type TransactAction = { TableName?: string; Key?: AttributeValues; Item?: AttributeValues };

/**
 * A transaction holds at most 100 actions, none two on the same item, and its ClientRequestToken is 1 to 36
 * characters: DynamoDB refuses anything else with a ValidationException before it runs. moto applies a transaction
 * that acts twice on one item, so a store that writes a claim and an incident with the same key would pass here and
 * fail in AWS.
 */
export const dynamodbTransactionLimits: StrictRule = {
  id: 'dynamodb-transaction-limits',
  says: 'a transaction has at most 100 actions, none two on one item, and a ClientRequestToken of 1 to 36 characters (ValidationException)',
  docs: ['https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html'],
  operations: ['dynamodb:TransactWriteItems'],
  refuse: async ({ call, emulator }) => {
    const params = call.params as {
      TransactItems?: Array<Record<string, TransactAction>>;
      ClientRequestToken?: string;
    };
    const actions = (params.TransactItems ?? []).flatMap((item) => Object.values(item));
    if (actions.length > 100)
      return {
        code: 'ValidationException',
        message: `1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100`,
      };
    const token = params.ClientRequestToken;
    if (token !== undefined && (token.length < 1 || token.length > 36))
      return {
        code: 'ValidationException',
        message: `1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36`,
      };
    const seen = new Set<string>();
    for (const action of actions) {
      const table = action.TableName ?? '';
      const schema = (await emulator.keySchemaOf(table, call.region)) ?? [];
      const attributes = action.Key ?? action.Item ?? {};
      const item = `${table}|${JSON.stringify(schema.map((name) => attributes[name]))}`;
      if (seen.has(item))
        return {
          code: 'ValidationException',
          message: 'Transaction request cannot include multiple operations on one item',
        };
      seen.add(item);
    }
    return undefined;
  },
};
