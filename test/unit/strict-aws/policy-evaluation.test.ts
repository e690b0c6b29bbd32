import {
  authorizeKms,
  evaluateIdentityPolicies,
  evaluateResourcePolicy,
  parsePolicy,
  type Caller,
  type ContextKeys,
  type PolicyDocument,
  type Request,
  type Statement,
} from '../../support/strict-aws/policy-evaluation';

const account = '111122223333';
const stranger = '444455556666';
const roleArn = `arn:aws:iam::${account}:role/ci/deployer`;
const session: Caller = {
  kind: 'assumed-role',
  account,
  partition: 'aws',
  arn: `arn:aws:sts::${account}:assumed-role/deployer/build-7`,
  principalArn: roleArn,
  tokenIssueTime: '2026-11-28T10:00:00Z',
};
const otherSession: Caller = { ...session, arn: `arn:aws:sts::${account}:assumed-role/deployer/build-8` };
const user: Caller = {
  kind: 'user',
  account,
  partition: 'aws',
  arn: `arn:aws:iam::${account}:user/alice`,
  principalArn: `arn:aws:iam::${account}:user/alice`,
};
const bob: Caller = {
  ...user,
  arn: `arn:aws:iam::${account}:user/bob`,
  principalArn: `arn:aws:iam::${account}:user/bob`,
};
const root: Caller = {
  kind: 'root',
  account,
  partition: 'aws',
  arn: `arn:aws:iam::${account}:root`,
  principalArn: `arn:aws:iam::${account}:root`,
};
const outsider: Caller = {
  kind: 'user',
  account: stranger,
  partition: 'aws',
  arn: `arn:aws:iam::${stranger}:user/eve`,
  principalArn: `arn:aws:iam::${stranger}:user/eve`,
};
const key = `arn:aws:kms:us-east-1:${account}:key/1234`;
const otherKey = `arn:aws:kms:us-east-1:${account}:key/5678`;

const policy = (...Statement: Statement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const request = (caller: Caller, more: Partial<Request> = {}): Request => ({
  caller,
  action: 'kms:Decrypt',
  resource: key,
  ...more,
});
/** The effect of one identity policy holding these statements. */
const decide = (statements: Statement[], caller: Caller, more: Partial<Request> = {}) =>
  evaluateIdentityPolicies([policy(...statements)], request(caller, more)).effect;
/** Whether a condition block holds: an Allow of everything under it allows. */
const holds = (Condition: Statement['Condition'], context: ContextKeys = {}, caller: Caller = user, now?: Date) =>
  decide([{ Effect: 'Allow', Action: '*', Resource: '*', Condition }], caller, { context, ...(now ? { now } : {}) }) ===
  'allow';
const allowAll: Statement = { Effect: 'Allow', Action: '*', Resource: '*' };

describe('IAM policy evaluation (the strict layer)', () => {
  describe('Action and NotAction', () => {
    it('matches actions without regard to case, with * for any run and ? for exactly one character', () => {
      const statements: Statement[] = [
        { Effect: 'Allow', Action: ['KMS:Describe*', 'kms:Get?eyPolicy'], Resource: '*' },
      ];
      expect(decide(statements, user, { action: 'kms:DescribeKey' })).toBe('allow');
      expect(decide(statements, user, { action: 'Kms:describekey' })).toBe('allow');
      expect(decide(statements, user, { action: 'kms:GetKeyPolicy' })).toBe('allow');
      expect(decide(statements, user, { action: 'kms:GetKeyRotationStatus' })).toBe('neutral');
      expect(decide([{ Effect: 'Allow', Action: 'kms:Decrypt?', Resource: '*' }], user)).toBe('neutral');
      expect(
        decide([{ Effect: 'Allow', Action: 'kms:Get?KeyPolicy', Resource: '*' }], user, { action: 'kms:GetKeyPolicy' }),
      ).toBe('neutral');
    });

    it('keeps a service wildcard to its service, and * alone to everything', () => {
      expect(
        decide([{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }], user, {
          action: 's3:GetObject',
          resource: 'arn:aws:s3:::b/k',
        }),
      ).toBe('neutral');
      expect(
        decide([{ Effect: 'Allow', Action: '*', Resource: '*' }], user, {
          action: 's3:GetObject',
          resource: 'arn:aws:s3:::b/k',
        }),
      ).toBe('allow');
    });

    it('takes NotAction as every action but those listed, for Allow and for Deny', () => {
      const allowButDelete: Statement = { Effect: 'Allow', NotAction: 'kms:ScheduleKeyDeletion', Resource: '*' };
      expect(decide([allowButDelete], user)).toBe('allow');
      expect(decide([allowButDelete], user, { action: 'kms:scheduleKEYdeletion' })).toBe('neutral');
      const denyButDescribe: Statement = { Effect: 'Deny', NotAction: 'kms:DescribeKey', Resource: '*' };
      expect(decide([allowAll, denyButDescribe], user)).toBe('deny');
      expect(decide([allowAll, denyButDescribe], user, { action: 'kms:DescribeKey' })).toBe('allow');
    });

    it('refuses an action without a service prefix, as IAM does', () => {
      expect(() => decide([{ Effect: 'Allow', Action: 'Decrypt', Resource: '*' }], user)).toThrow(
        'action Decrypt has no service prefix',
      );
    });
  });

  describe('Resource and NotResource', () => {
    it('matches case-sensitively, with wildcards', () => {
      const statements: Statement[] = [
        { Effect: 'Allow', Action: 'kms:*', Resource: `arn:aws:kms:*:${account}:key/*` },
      ];
      expect(decide(statements, user)).toBe('allow');
      expect(decide(statements, user, { resource: key.replace('key/', 'KEY/') })).toBe('neutral');
      expect(decide(statements, user, { resource: `arn:aws:kms:us-east-1:${stranger}:key/1234` })).toBe('neutral');
    });

    it('takes ? as one character within its segment', () => {
      const statements: Statement[] = [
        { Effect: 'Allow', Action: 'kms:*', Resource: `arn:aws:kms:us-east-?:${account}:key/1234` },
      ];
      expect(decide(statements, user)).toBe('allow');
      expect(decide(statements, user, { resource: `arn:aws:kms:us-east-10:${account}:key/1234` })).toBe('neutral');
    });

    it('lets a * cross colons only when it ends its segment', () => {
      const ending: Statement[] = [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::bucket/a*' }];
      const inside: Statement[] = [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::bucket/a*z' }];
      expect(decide(ending, user, { action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/a:b:z' })).toBe('allow');
      expect(decide(inside, user, { action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/a:b:z' })).toBe('neutral');
      expect(decide(inside, user, { action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/a/b/z' })).toBe('allow');
    });

    it('takes NotResource as every resource but those listed', () => {
      const statements: Statement[] = [{ Effect: 'Allow', Action: 'kms:*', NotResource: otherKey }];
      expect(decide(statements, user)).toBe('allow');
      expect(decide(statements, user, { resource: otherKey })).toBe('neutral');
    });

    it('covers an action that takes no resource ("*") only by a Resource of wildcards', () => {
      expect(
        decide([{ Effect: 'Allow', Action: 'kms:CreateKey', Resource: '*' }], user, {
          action: 'kms:CreateKey',
          resource: '*',
        }),
      ).toBe('allow');
      expect(
        decide([{ Effect: 'Allow', Action: 'kms:CreateKey', Resource: `arn:aws:kms:*:${account}:*` }], user, {
          action: 'kms:CreateKey',
          resource: '*',
        }),
      ).toBe('neutral');
      expect(
        decide([{ Effect: 'Allow', Action: 'kms:CreateKey', Resource: '?' }], user, {
          action: 'kms:CreateKey',
          resource: '*',
        }),
      ).toBe('neutral');
    });

    it('substitutes policy variables, and a variable without a value matches nothing', () => {
      const own: Statement[] = [
        { Effect: 'Allow', Action: 'iam:*AccessKey*', Resource: `arn:aws:iam::${account}:user/\${aws:username}` },
      ];
      const onUser = (name: string) => ({
        action: 'iam:CreateAccessKey',
        resource: `arn:aws:iam::${account}:user/${name}`,
      });
      expect(decide(own, user, onUser('alice'))).toBe('allow');
      expect(decide(own, user, onUser('bob'))).toBe('neutral');
      // A role session has no aws:username.
      expect(decide(own, session, onUser('deployer'))).toBe('neutral');
      expect(decide(own, session, onUser('${aws:username}'))).toBe('neutral');
      const withDefault: Statement[] = [
        { Effect: 'Allow', Action: 'iam:*', Resource: `arn:aws:iam::${account}:user/\${aws:username, 'nobody'}` },
      ];
      expect(decide(withDefault, session, onUser('nobody'))).toBe('allow');
    });

    it('reads ${*} as a literal asterisk', () => {
      const statements: Statement[] = [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/${*}' }];
      expect(decide(statements, user, { action: 's3:GetObject', resource: 'arn:aws:s3:::b/*' })).toBe('allow');
      expect(decide(statements, user, { action: 's3:GetObject', resource: 'arn:aws:s3:::b/x' })).toBe('neutral');
    });

    it('treats variables as literal text without Version 2012-10-17', () => {
      const old = (Version: string | undefined): PolicyDocument => ({
        ...(Version ? { Version } : {}),
        Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: `arn:aws:iam::${account}:user/\${aws:username}` }],
      });
      for (const document of [old('2008-10-17'), old(undefined)]) {
        expect(
          evaluateIdentityPolicies(
            [document],
            request(user, { action: 'iam:GetUser', resource: `arn:aws:iam::${account}:user/alice` }),
          ).effect,
        ).toBe('neutral');
        expect(
          evaluateIdentityPolicies(
            [document],
            request(user, { action: 'iam:GetUser', resource: `arn:aws:iam::${account}:user/\${aws:username}` }),
          ).effect,
        ).toBe('allow');
      }
    });
  });

  describe('explicit deny, allow and implicit deny', () => {
    it('lets an explicit deny win over an allow in the same policy, and names what decided', () => {
      const verdict = evaluateIdentityPolicies(
        [policy({ Sid: 'All', ...allowAll }, { Sid: 'NoKms', Effect: 'Deny', Action: 'kms:*', Resource: '*' })],
        request(user),
      );
      expect(verdict).toEqual({ effect: 'deny', matched: ['NoKms'] });
    });

    it('lets an explicit deny in one policy win over an allow in another', () => {
      const allow = policy({ Sid: 'All', ...allowAll });
      const deny = policy({ Effect: 'Deny', Action: 'kms:Decrypt', Resource: key });
      expect(evaluateIdentityPolicies([allow, deny], request(user))).toEqual({ effect: 'deny', matched: ['#0'] });
      expect(evaluateIdentityPolicies([allow, deny], request(user, { resource: otherKey }))).toEqual({
        effect: 'allow',
        matched: ['All'],
      });
    });

    it('is neutral (an implicit deny) when nothing matches', () => {
      expect(evaluateIdentityPolicies([], request(user))).toEqual({ effect: 'neutral', matched: [] });
      expect(
        evaluateIdentityPolicies([policy({ Effect: 'Allow', Action: 's3:*', Resource: '*' })], request(user)),
      ).toEqual({ effect: 'neutral', matched: [] });
    });

    it('lists every allowing statement by Sid or by index', () => {
      const verdict = evaluateIdentityPolicies(
        [policy({ Sid: 'Kms', Effect: 'Allow', Action: 'kms:*', Resource: '*' }, allowAll)],
        request(user),
      );
      expect(verdict).toEqual({ effect: 'allow', matched: ['Kms', '#1'] });
    });
  });

  describe('condition operators', () => {
    const now = new Date('2026-06-01T12:00:00Z');
    const role = roleArn;

    it.each([
      ['StringEquals', 'Blue', 'Blue', true],
      ['StringEquals', 'blue', 'Blue', false],
      ['StringEquals', 'B*', 'Blue', false],
      ['StringNotEquals', 'blue', 'Blue', true],
      ['StringEqualsIgnoreCase', 'blue', 'BLUE', true],
      ['StringNotEqualsIgnoreCase', 'blue', 'BLUE', false],
      ['StringLike', 'B*e', 'Blue', true],
      ['StringLike', 'Bl?e', 'Blue', true],
      ['StringLike', 'B?e', 'Blue', false],
      ['StringLike', 'b*', 'Blue', false],
      ['StringNotLike', 'b*', 'Blue', true],
      ['NumericEquals', '10', '10.0', true],
      ['NumericNotEquals', '10', '11', true],
      ['NumericLessThan', '10', '9', true],
      ['NumericLessThan', '10', '10', false],
      ['NumericLessThanEquals', '10', '10', true],
      ['NumericGreaterThan', '10', '10', false],
      ['NumericGreaterThanEquals', '10', '10', true],
      ['NumericGreaterThan', '10', 'eleven', false],
      ['DateEquals', '2026-06-01T12:00:00Z', '2026-06-01T14:00:00+02:00', true],
      ['DateNotEquals', '2026-06-01T12:00:00Z', '2026-06-01T14:00:00+02:00', false],
      ['DateLessThan', '2026-06-01T12:00:00Z', '2026-06-01T11:59:59Z', true],
      ['DateLessThan', '2026-06-01T12:00:00Z', '2026-06-01T12:00:00Z', false],
      ['DateLessThanEquals', '2026-06-01T12:00:00Z', '2026-06-01T12:00:00Z', true],
      ['DateGreaterThan', '2026-06-01', '2026-06-01T00:00:01Z', true],
      ['DateGreaterThanEquals', '1780315200', '2026-06-01T12:00:00Z', true],
      ['DateGreaterThan', '1780315200', '2026-06-01T12:00:00Z', false],
      ['Bool', 'true', true, true],
      ['Bool', 'false', 'true', false],
      ['BinaryEquals', 'QmluYXJ5VmFsdWVJbkJhc2U2NA==', 'QmluYXJ5VmFsdWVJbkJhc2U2NA==', true],
      ['BinaryEquals', 'QmluYXJ5VmFsdWVJbkJhc2U2NA==', 'T3RoZXI=', false],
      ['IpAddress', '203.0.113.0/24', '203.0.113.77', true],
      ['IpAddress', '203.0.113.0/24', '203.0.114.1', false],
      ['IpAddress', '203.0.113.5', '203.0.113.5', true],
      ['IpAddress', '203.0.113.5', '203.0.113.6', false],
      ['NotIpAddress', '203.0.113.0/24', '198.51.100.1', true],
      ['NotIpAddress', '203.0.113.0/24', '203.0.113.1', false],
      ['IpAddress', '2001:DB8:1234:5678::/64', '2001:db8:1234:5678::1', true],
      ['IpAddress', '2001:DB8:1234:5678::/64', '2001:db8:1234:5679::1', false],
      ['ArnLike', 'arn:aws:iam::*:role/*/deployer', role, true],
      ['ArnEquals', 'arn:aws:iam::*:role/*/deployer', role, true],
      ['ArnLike', `arn:aws:iam::${account}:role/deployer`, role, false],
      ['ArnNotLike', 'arn:aws:iam::*:user/*', role, true],
      ['ArnNotEquals', role, role, false],
      ['ArnLike', 'arn:aws:s?s:*:*:topic-?', `arn:aws:sns:us-east-1:${account}:topic-1`, true],
      [
        'ArnLike',
        'arn:aws:logs:*:*:log-group:app:*',
        `arn:aws:logs:us-east-1:${account}:log-group:app:log-stream:x`,
        true,
      ],
      // A pattern of five components is not an ARN pattern: its * does not stand for the sixth.
      ['ArnLike', 'arn:aws:iam::*', role, false],
      // The condition operators page's own example: StringLike matches, ArnLike does not.
      [
        'ArnLike',
        `arn:aws:someservice:*:${account}:finance/*`,
        `arn:aws:someservice:us-east-2:999999999999:store/abc:${account}:finance/document.txt`,
        false,
      ],
      [
        'StringLike',
        `arn:aws:someservice:*:${account}:finance/*`,
        `arn:aws:someservice:us-east-2:999999999999:store/abc:${account}:finance/document.txt`,
        true,
      ],
    ] as const)('%s %j against %j holds: %s', (operator, expected, actual, result) => {
      expect(holds({ [operator]: { 'test:value': expected } }, { 'test:value': actual })).toBe(result);
    });

    it.each([
      ['StringEquals', 'x', false],
      ['StringNotEquals', 'x', true],
      ['StringEqualsIgnoreCase', 'x', false],
      ['StringNotEqualsIgnoreCase', 'x', true],
      ['StringLike', '*', false],
      ['StringNotLike', '*', true],
      ['NumericLessThan', '1', false],
      ['NumericNotEquals', '1', true],
      ['DateGreaterThan', '2020-01-01T00:00:00Z', false],
      ['DateNotEquals', '2020-01-01T00:00:00Z', true],
      ['Bool', 'false', false],
      ['BinaryEquals', 'eA==', false],
      ['IpAddress', '0.0.0.0/0', false],
      ['NotIpAddress', '10.0.0.0/8', true],
      ['ArnLike', 'arn:*:*:*:*:*', false],
      ['ArnNotLike', 'arn:*:*:*:*:*', true],
      ['StringEqualsIfExists', 'x', true],
      ['StringNotEqualsIfExists', 'x', true],
      ['DateLessThanIfExists', '2020-01-01T00:00:00Z', true],
      ['Null', 'true', true],
      ['Null', 'false', false],
      ['ForAnyValue:StringEquals', 'x', false],
      ['ForAnyValue:StringNotEquals', 'x', false],
      ['ForAllValues:StringEquals', 'x', true],
      ['ForAllValues:StringNotLike', 'x*', true],
      ['ForAnyValue:StringEqualsIfExists', 'x', true],
    ] as const)('with the key absent, %s %j holds: %s', (operator, expected, result) => {
      expect(holds({ [operator]: { 'test:absent': expected } })).toBe(result);
    });

    it('applies ...IfExists like its operator when the key is present', () => {
      expect(holds({ StringEqualsIfExists: { 'test:value': 'a' } }, { 'test:value': 'a' })).toBe(true);
      expect(holds({ StringEqualsIfExists: { 'test:value': 'a' } }, { 'test:value': 'b' })).toBe(false);
      expect(holds({ StringNotEqualsIfExists: { 'test:value': 'a' } }, { 'test:value': 'a' })).toBe(false);
    });

    it('tests presence with Null, true meaning absent', () => {
      expect(holds({ Null: { 'aws:TokenIssueTime': 'true' } }, {}, user)).toBe(true);
      expect(holds({ Null: { 'aws:TokenIssueTime': true } }, {}, session)).toBe(false);
      expect(holds({ Null: { 'aws:TokenIssueTime': 'false' } }, {}, session)).toBe(true);
      expect(holds({ Null: { 'test:list': 'true' } }, { 'test:list': [] })).toBe(true);
    });

    it('ORs the values of one key, NORs them for a negated operator, and ANDs keys and operators', () => {
      expect(holds({ StringEquals: { 'test:value': ['a', 'b'] } }, { 'test:value': 'b' })).toBe(true);
      expect(holds({ StringNotEquals: { 'test:value': ['a', 'b'] } }, { 'test:value': 'b' })).toBe(false);
      expect(holds({ StringNotEquals: { 'test:value': ['a', 'b'] } }, { 'test:value': 'c' })).toBe(true);
      expect(holds({ StringEquals: { 'test:a': '1', 'test:b': '2' } }, { 'test:a': '1', 'test:b': '2' })).toBe(true);
      expect(holds({ StringEquals: { 'test:a': '1', 'test:b': '2' } }, { 'test:a': '1', 'test:b': '3' })).toBe(false);
      expect(
        holds({ StringEquals: { 'test:a': '1' }, NumericLessThan: { 'test:n': 5 } }, { 'test:a': '1', 'test:n': 4 }),
      ).toBe(true);
      expect(
        holds({ StringEquals: { 'test:a': '1' }, NumericLessThan: { 'test:n': 5 } }, { 'test:a': '1', 'test:n': 6 }),
      ).toBe(false);
    });

    it('reads condition key names without regard to case, but values with it', () => {
      expect(holds({ StringEquals: { 'AWS:PRINCIPALTYPE': 'User' } })).toBe(true);
      expect(holds({ StringEquals: { 'aws:principaltype': 'user' } })).toBe(false);
      expect(holds({ StringEquals: { 'Test:Value': 'x' } }, { 'test:VALUE': 'x' })).toBe(true);
    });

    describe('set operators', () => {
      it('takes ForAllValues as "every request value matches a policy value", true for no values at all', () => {
        const onlyOurs = { 'ForAllValues:StringLike': { 'aws:TagKeys': 'kms-warden:*' } };
        expect(holds(onlyOurs, { 'aws:TagKeys': ['kms-warden:mode'] })).toBe(true);
        expect(holds(onlyOurs, { 'aws:TagKeys': ['kms-warden:mode', 'team'] })).toBe(false);
        expect(holds(onlyOurs, { 'aws:TagKeys': [] })).toBe(true);
        expect(holds(onlyOurs)).toBe(true);
        // The documented guard against that: Null false requires the key.
        expect(holds({ ...onlyOurs, Null: { 'aws:TagKeys': 'false' } })).toBe(false);
      });

      it('takes ForAnyValue as "some request value matches a policy value", false for no values', () => {
        const team = { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['team', 'owner'] } };
        expect(holds(team, { 'aws:TagKeys': ['x', 'owner'] })).toBe(true);
        expect(holds(team, { 'aws:TagKeys': ['x', 'y'] })).toBe(false);
        expect(holds(team)).toBe(false);
      });

      it('negates per request value (the IAM guide table for ForAllValues:StringNotLike)', () => {
        const deny = { 'ForAllValues:StringNotLike': { 'aws:TagKeys': 'key1*' } };
        expect(holds(deny, { 'aws:TagKeys': ['key1:legal'] })).toBe(false);
        expect(holds(deny, { 'aws:TagKeys': ['key1:hr', 'key1:personnel'] })).toBe(false);
        expect(holds(deny, { 'aws:TagKeys': ['key2:audit'] })).toBe(true);
        expect(holds(deny)).toBe(true);
        const anyOther = { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': 'team' } };
        expect(holds(anyOther, { 'aws:TagKeys': ['team', 'x'] })).toBe(true);
        expect(holds(anyOther, { 'aws:TagKeys': ['team'] })).toBe(false);
      });

      it('refuses to guess what a plain operator means over several request values', () => {
        expect(holds({ StringEquals: { 'aws:TagKeys': 'team' } }, { 'aws:TagKeys': ['team'] })).toBe(true);
        expect(() => holds({ StringEquals: { 'aws:TagKeys': 'team' } }, { 'aws:TagKeys': ['team', 'x'] })).toThrow(
          'condition operator StringEquals needs ForAnyValue: or ForAllValues: for aws:TagKeys',
        );
      });
    });

    describe('policy variables in conditions', () => {
      const owner = { StringEquals: { 'aws:ResourceTag/owner': '${aws:username}' } };

      it('substitutes them from the request context', () => {
        expect(holds(owner, { 'aws:ResourceTag/owner': 'alice' }, user)).toBe(true);
        expect(holds(owner, { 'aws:ResourceTag/owner': 'alice' }, bob)).toBe(false);
      });

      it('takes a variable whose key is absent as matching nothing: a positive operator fails, a negated one holds', () => {
        expect(holds(owner, { 'aws:ResourceTag/owner': '${aws:username}' }, session)).toBe(false);
        expect(holds({ StringNotEquals: owner.StringEquals }, { 'aws:ResourceTag/owner': 'deployer' }, session)).toBe(
          true,
        );
        expect(
          holds({ StringEquals: { 'test:value': "${aws:username, 'nobody'}" } }, { 'test:value': 'nobody' }, session),
        ).toBe(true);
      });

      it('reads ${*} and ${?} as literal characters, not wildcards', () => {
        expect(holds({ StringLike: { 'test:value': 'x${*}' } }, { 'test:value': 'x*' })).toBe(true);
        expect(holds({ StringLike: { 'test:value': 'x${*}' } }, { 'test:value': 'xy' })).toBe(false);
        expect(holds({ StringEquals: { 'test:value': 'x${?}' } }, { 'test:value': 'x?' })).toBe(true);
      });

      it('does not substitute them in operators that take no variables', () => {
        expect(() => holds({ NumericEquals: { 'test:n': '${aws:EpochTime}' } }, { 'test:n': 1 })).toThrow(
          '"${aws:EpochTime}" is not a valid value for NumericEquals',
        );
      });
    });

    it('refuses an operator it does not implement, naming it, even in a statement the request does not reach', () => {
      const odd: Statement = {
        Effect: 'Allow',
        Action: 's3:*',
        Resource: '*',
        Condition: { StringSortOf: { 'aws:username': 'alice' } },
      };
      expect(() => decide([odd], user)).toThrow('condition operator StringSortOf is not implemented');
      expect(() => holds({ NullIfExists: { 'test:value': 'true' } })).toThrow(
        'condition operator NullIfExists is not implemented',
      );
      expect(() => holds({ 'ForAnyValue:Null': { 'test:value': 'true' } })).toThrow(
        'condition operator ForAnyValue:Null is not implemented',
      );
      expect(() => holds({ 'ForSomeValues:StringEquals': { 'test:value': 'x' } })).toThrow(
        'condition operator ForSomeValues:StringEquals is not implemented',
      );
    });

    it.each([
      ['DateLessThan', 'yesterday'],
      ['NumericLessThan', 'ten'],
      ['IpAddress', '10.0.0.0/33'],
      ['IpAddress', 'not-an-ip'],
      ['BinaryEquals', 'not base64!'],
    ])('refuses %s with the value %j, which IAM would not store', (operator, value) => {
      expect(() => holds({ [operator]: { 'test:value': value } }, { 'test:value': 'x' })).toThrow(
        `${JSON.stringify(value)} is not a valid value for ${operator}`,
      );
    });

    it('refuses a condition key without a service prefix', () => {
      expect(() => holds({ StringEquals: { username: 'alice' } })).toThrow(
        'condition key username has no service prefix',
      );
    });

    describe('keys the request context takes from the caller', () => {
      it('gives aws:PrincipalArn as the role ARN, path included, for a role session', () => {
        expect(holds({ StringEquals: { 'aws:PrincipalArn': roleArn } }, {}, session)).toBe(true);
        expect(holds({ StringEquals: { 'aws:PrincipalArn': session.arn } }, {}, session)).toBe(false);
        expect(holds({ ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${account}:role/deployer` } }, {}, session)).toBe(
          false,
        );
      });

      it('gives aws:PrincipalAccount and aws:PrincipalType for each kind of caller', () => {
        expect(holds({ StringEquals: { 'aws:PrincipalAccount': account } }, {}, session)).toBe(true);
        expect(holds({ StringEquals: { 'aws:PrincipalAccount': account } }, {}, outsider)).toBe(false);
        expect(holds({ StringEquals: { 'aws:PrincipalType': 'User' } }, {}, user)).toBe(true);
        expect(holds({ StringEquals: { 'aws:PrincipalType': 'AssumedRole' } }, {}, session)).toBe(true);
        expect(holds({ StringEquals: { 'aws:PrincipalType': 'Account' } }, {}, root)).toBe(true);
      });

      it('gives aws:username to users only', () => {
        expect(holds({ StringEquals: { 'aws:username': 'alice' } }, {}, user)).toBe(true);
        expect(holds({ Null: { 'aws:username': 'true' } }, {}, session)).toBe(true);
        expect(holds({ Null: { 'aws:username': 'true' } }, {}, root)).toBe(true);
      });

      it('gives aws:CurrentTime and aws:EpochTime from the request time', () => {
        expect(holds({ DateGreaterThan: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } }, {}, user, now)).toBe(true);
        expect(holds({ DateGreaterThan: { 'aws:CurrentTime': '2027-01-01T00:00:00Z' } }, {}, user, now)).toBe(false);
        expect(holds({ NumericEquals: { 'aws:EpochTime': 1780315200 } }, {}, user, now)).toBe(true);
        expect(holds({ DateEquals: { 'aws:EpochTime': '2026-06-01T12:00:00Z' } }, {}, user, now)).toBe(true);
      });

      it('lets the request context add keys and override or remove derived ones', () => {
        expect(holds({ StringEquals: { 'kms:CallerAccount': account } }, { 'kms:CallerAccount': account })).toBe(true);
        expect(
          holds({ StringEquals: { 'aws:PrincipalType': 'AssumedRole' } }, { 'AWS:PrincipalType': 'AssumedRole' }, user),
        ).toBe(true);
        expect(holds({ Null: { 'aws:username': 'true' } }, { 'aws:username': undefined }, user)).toBe(true);
      });
    });

    describe('aws:TokenIssueTime (revoking older sessions)', () => {
      const revoke: Statement = {
        Sid: 'Revoke',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-28T12:00:00Z' } },
      };

      it('denies a session issued before the cut and not one issued after', () => {
        expect(decide([allowAll, revoke], session)).toBe('deny');
        expect(decide([allowAll, revoke], { ...session, tokenIssueTime: '2026-11-28T13:00:00Z' })).toBe('allow');
        expect(decide([allowAll, revoke], { ...session, tokenIssueTime: '2026-11-28T12:00:00Z' })).toBe('allow');
      });

      it("never matches a user's long-term access keys, which carry no issue time, unless IfExists says so", () => {
        expect(decide([allowAll, revoke], user)).toBe('allow');
        const ifExists: Statement = {
          ...revoke,
          Condition: { DateLessThanIfExists: { 'aws:TokenIssueTime': '2026-11-28T12:00:00Z' } },
        };
        expect(decide([allowAll, ifExists], user)).toBe('deny');
      });
    });
  });

  describe('policies AWS would not accept', () => {
    it.each([
      [
        'a Principal in an identity-based policy',
        { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' },
        'has a Principal or NotPrincipal element',
      ],
      ['no Action', { Effect: 'Allow', Resource: '*' }, 'needs exactly one of Action and NotAction'],
      [
        'both Action and NotAction',
        { Effect: 'Allow', Action: '*', NotAction: 'kms:*', Resource: '*' },
        'needs exactly one of Action and NotAction',
      ],
      ['no Resource', { Effect: 'Allow', Action: '*' }, 'needs exactly one of Resource and NotResource'],
      [
        'an Effect of another case',
        { Effect: 'allow', Action: '*', Resource: '*' },
        'Effect must be "Allow" or "Deny"',
      ],
    ])('refuses an identity-based statement with %s', (_, statement, message) => {
      expect(() => decide([statement as Statement], user)).toThrow(message);
    });

    it('refuses a resource-based statement without Principal or NotPrincipal', () => {
      expect(() => evaluateResourcePolicy(policy(allowAll), request(user))).toThrow(
        'resource-based policy statement #0: needs exactly one of Principal and NotPrincipal',
      );
    });

    it('refuses a principal type it does not know', () => {
      expect(() => evaluateResourcePolicy(policy({ ...allowAll, Principal: { Aws: '*' } }), request(user))).toThrow(
        'unknown principal type Aws',
      );
    });
  });

  describe('parsePolicy', () => {
    it('reads a policy, with one statement or several', () => {
      const single = parsePolicy(
        '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}',
      );
      expect(evaluateIdentityPolicies([single], request(user)).effect).toBe('allow');
      expect(parsePolicy('{"Statement":[]}')).toEqual({ Statement: [] });
    });

    it('says what is wrong with a text that is not a policy', () => {
      expect(() => parsePolicy('{"Version":')).toThrow(/^not a policy: /);
      expect(() => parsePolicy('{"Version":"2012-10-17"}')).toThrow('not a policy: no Statement');
      expect(() => parsePolicy('[]')).toThrow('not a policy: the document is not a JSON object');
      expect(() => parsePolicy('null')).toThrow('not a policy: the document is not a JSON object');
      expect(() => parsePolicy('{"Statement":["Allow"]}')).toThrow(
        'not a policy: Statement must be an object or a list of objects',
      );
    });
  });

  describe('resource-based policies (key policies)', () => {
    const decrypt = (Principal: unknown): Statement => ({
      Effect: 'Allow',
      Principal,
      Action: 'kms:Decrypt',
      Resource: '*',
    });
    const verdictFor = (statement: Statement, caller: Caller) => {
      const { allowDirect, allowAccount, deny } = evaluateResourcePolicy(policy(statement), request(caller));
      return { allowDirect, allowAccount, deny };
    };
    const direct = { allowDirect: true, allowAccount: false, deny: false };
    const viaAccount = { allowDirect: false, allowAccount: true, deny: false };
    const none = { allowDirect: false, allowAccount: false, deny: false };

    it('takes "*" and {"AWS": "*"} as naming every caller directly', () => {
      expect(verdictFor(decrypt('*'), session)).toEqual(direct);
      expect(verdictFor(decrypt({ AWS: '*' }), outsider)).toEqual(direct);
    });

    it('matches every session of a role by the role ARN, path included', () => {
      expect(verdictFor(decrypt({ AWS: roleArn }), session)).toEqual(direct);
      expect(verdictFor(decrypt({ AWS: roleArn }), otherSession)).toEqual(direct);
      expect(verdictFor(decrypt({ AWS: `arn:aws:iam::${account}:role/deployer` }), session)).toEqual(none);
      // No wildcards in principals but "*" alone.
      expect(verdictFor(decrypt({ AWS: `arn:aws:iam::${account}:role/ci/*` }), session)).toEqual(none);
    });

    it('matches a session ARN to that session only, and a user ARN to that user only', () => {
      expect(verdictFor(decrypt({ AWS: session.arn }), session)).toEqual(direct);
      expect(verdictFor(decrypt({ AWS: session.arn }), otherSession)).toEqual(none);
      expect(verdictFor(decrypt({ AWS: [user.arn] }), user)).toEqual(direct);
      expect(verdictFor(decrypt({ AWS: [user.arn] }), bob)).toEqual(none);
      expect(verdictFor(decrypt({ AWS: user.arn }), session)).toEqual(none);
    });

    it("takes the account, by root ARN or bare id, as delegation to the account's IAM policies", () => {
      expect(verdictFor(decrypt({ AWS: `arn:aws:iam::${account}:root` }), session)).toEqual(viaAccount);
      expect(verdictFor(decrypt({ AWS: account }), user)).toEqual(viaAccount);
      expect(verdictFor(decrypt({ AWS: account }), outsider)).toEqual(none);
      expect(verdictFor(decrypt({ AWS: `arn:aws-cn:iam::${account}:root` }), user)).toEqual(none);
      expect(verdictFor(decrypt({ AWS: [account, roleArn] }), session)).toEqual({
        allowDirect: true,
        allowAccount: false,
        deny: false,
      });
    });

    it('takes the account as naming its root user directly', () => {
      expect(verdictFor(decrypt({ AWS: `arn:aws:iam::${account}:root` }), root)).toEqual(direct);
    });

    it('never matches an IAM caller by a Service, Federated or CanonicalUser principal', () => {
      expect(verdictFor(decrypt({ Service: 'ec2.amazonaws.com' }), session)).toEqual(none);
      expect(verdictFor(decrypt({ Federated: 'accounts.google.com' }), user)).toEqual(none);
      expect(
        verdictFor(
          decrypt({ CanonicalUser: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be' }),
          root,
        ),
      ).toEqual(none);
    });

    it('lets an Allow with NotPrincipal in everyone but those it names (and their account, if named)', () => {
      const notAlice: Statement = {
        Effect: 'Allow',
        NotPrincipal: { AWS: user.arn },
        Action: 'kms:Decrypt',
        Resource: '*',
      };
      expect(verdictFor(notAlice, session)).toEqual(direct);
      expect(verdictFor(notAlice, outsider)).toEqual(direct);
      expect(verdictFor(notAlice, user)).toEqual(none);
      expect(verdictFor({ ...notAlice, NotPrincipal: { AWS: account } }, bob)).toEqual(none);
      expect(verdictFor({ ...notAlice, NotPrincipal: { AWS: roleArn } }, session)).toEqual(none);
    });

    it('spares a caller from a Deny with NotPrincipal only when its account and itself are both named', () => {
      const denyAllBut = (...named: string[]): Statement => ({
        Effect: 'Deny',
        NotPrincipal: { AWS: named },
        Action: 'kms:*',
        Resource: '*',
      });
      const rootArn = `arn:aws:iam::${account}:root`;
      expect(verdictFor(denyAllBut(user.arn), user).deny).toBe(true);
      expect(verdictFor(denyAllBut(user.arn, rootArn), user).deny).toBe(false);
      expect(verdictFor(denyAllBut(user.arn, rootArn), bob).deny).toBe(true);
      expect(verdictFor(denyAllBut(session.arn, roleArn, rootArn), session).deny).toBe(false);
      expect(verdictFor(denyAllBut(roleArn, rootArn), otherSession).deny).toBe(false);
      expect(verdictFor(denyAllBut(session.arn, rootArn), session).deny).toBe(true);
      expect(verdictFor(denyAllBut(rootArn), root).deny).toBe(false);
    });

    it("applies kms-warden's own deny statement to the suspect's sessions only", () => {
      const deny: Statement = {
        Sid: 'KmsWardenDeny',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        NotAction: 'kms:DescribeKey',
        Resource: '*',
        Condition: {
          ArnLike: {
            'aws:PrincipalArn': [`arn:aws:iam::${account}:role/deployer`, `arn:aws:iam::${account}:role/*/deployer`],
          },
        },
      };
      expect(evaluateResourcePolicy(policy(deny), request(session))).toEqual({
        deny: true,
        allowDirect: false,
        allowAccount: false,
        matched: ['KmsWardenDeny'],
      });
      expect(evaluateResourcePolicy(policy(deny), request(session, { action: 'kms:DescribeKey' })).deny).toBe(false);
      expect(evaluateResourcePolicy(policy(deny), request(user)).deny).toBe(false);
    });
  });

  describe('authorizeKms', () => {
    const rootStatement: Statement = {
      Sid: 'EnableIamPolicies',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${account}:root` },
      Action: 'kms:*',
      Resource: '*',
    };
    const keyPolicy = policy(rootStatement);
    const iamAllowsKey = policy({ Sid: 'UseKey', Effect: 'Allow', Action: 'kms:Decrypt', Resource: key });

    it('needs an identity-based allow when the key policy only delegates to the account', () => {
      expect(evaluateResourcePolicy(keyPolicy, request(session))).toEqual({
        deny: false,
        allowDirect: false,
        allowAccount: true,
        matched: ['EnableIamPolicies'],
      });
      expect(authorizeKms(keyPolicy, [], request(session))).toEqual({
        allowed: false,
        reason: 'no identity-based policy allows the kms:Decrypt action',
      });
      expect(authorizeKms(keyPolicy, [iamAllowsKey], request(session))).toEqual({
        allowed: true,
        reason: "the key policy allows the caller's account and an identity-based policy allows the caller",
      });
      expect(
        authorizeKms(
          keyPolicy,
          [policy({ Effect: 'Allow', Action: 'kms:Decrypt', Resource: otherKey })],
          request(session),
        ).allowed,
      ).toBe(false);
    });

    it('allows a caller the key policy names, without any identity-based policy', () => {
      const named = policy({ Effect: 'Allow', Principal: { AWS: roleArn }, Action: 'kms:Decrypt', Resource: '*' });
      expect(authorizeKms(named, [], request(session))).toEqual({
        allowed: true,
        reason: 'the key policy allows the caller',
      });
      expect(authorizeKms(named, [], request(session, { action: 'kms:Encrypt' }))).toEqual({
        allowed: false,
        reason: 'no resource-based policy allows the kms:Encrypt action',
      });
    });

    it('lets an explicit deny in an identity-based policy beat the key policy allow', () => {
      const named = policy({ Effect: 'Allow', Principal: { AWS: roleArn }, Action: 'kms:*', Resource: '*' });
      const quarantine = policy({ Sid: 'KmsWardenDenyKms', Effect: 'Deny', Action: 'kms:*', Resource: '*' });
      expect(authorizeKms(named, [quarantine], request(session))).toEqual({
        allowed: false,
        reason: 'with an explicit deny in an identity-based policy (KmsWardenDenyKms)',
      });
    });

    it('lets an explicit deny in the key policy beat allows in both', () => {
      const denying = policy(rootStatement, {
        Sid: 'NoDecrypt',
        Effect: 'Deny',
        Principal: '*',
        Action: 'kms:Decrypt',
        Resource: '*',
      });
      expect(authorizeKms(denying, [iamAllowsKey], request(session))).toEqual({
        allowed: false,
        reason: 'with an explicit deny in a resource-based policy (EnableIamPolicies, NoDecrypt)',
      });
    });

    it("refuses a caller the key policy does not name at all, whatever IAM allows, with KMS's own words", () => {
      const theirs = policy({
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${stranger}:root` },
        Action: 'kms:*',
        Resource: '*',
      });
      expect(authorizeKms(theirs, [iamAllowsKey], request(session))).toEqual({
        allowed: false,
        reason: 'no resource-based policy allows the kms:Decrypt action',
      });
    });

    it('lets another account in through its own IAM policies when the key policy names that account', () => {
      const shared = policy(rootStatement, {
        Effect: 'Allow',
        Principal: { AWS: stranger },
        Action: 'kms:Decrypt',
        Resource: '*',
      });
      expect(authorizeKms(shared, [iamAllowsKey], request(outsider)).allowed).toBe(true);
      expect(authorizeKms(shared, [], request(outsider)).allowed).toBe(false);
      expect(authorizeKms(keyPolicy, [iamAllowsKey], request(outsider)).allowed).toBe(false);
    });

    it('lets the root user in through the default key policy, which names its account', () => {
      expect(authorizeKms(keyPolicy, [], request(root, { action: 'kms:PutKeyPolicy' }))).toEqual({
        allowed: true,
        reason: 'the key policy allows the caller',
      });
    });

    it("cuts off a quarantined role's older sessions while newer ones keep the key", () => {
      const revoke = policy({
        Sid: 'KmsWardenRevokeOlderSessions',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-28T12:00:00Z' } },
      });
      expect(authorizeKms(keyPolicy, [iamAllowsKey, revoke], request(session))).toEqual({
        allowed: false,
        reason: 'with an explicit deny in an identity-based policy (KmsWardenRevokeOlderSessions)',
      });
      expect(
        authorizeKms(keyPolicy, [iamAllowsKey, revoke], request({ ...session, tokenIssueTime: '2026-11-28T12:30:00Z' }))
          .allowed,
      ).toBe(true);
    });
  });
});
