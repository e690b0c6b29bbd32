/**
 * The member template: what every account and Region of an organization gets, as a service-managed StackSet, so that
 * the central stack (serverless.yml with organization=true) detects and acts there. Made from the same rule table
 * (src/local/rule-targets.ts, given by the caller) and the same actions the central functions deploy with, so the two
 * cannot drift (test/unit/organization keeps them in step). Pure: `kms-warden organization member-template` prints it.
 *
 * In every Region:
 * - a rule per rule file on the default bus, forwarding matched events to the central organization bus (cross-account,
 *   and cross-Region to the central Region). A rule that targets a bus in another account, when that bus admits the
 *   organization, must name a role allowed events:PutEvents on it
 *   (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html), made here per Region (IAM names
 *   are global, the stack is per Region).
 * - in the central account's own Region nothing is forwarded: the central stack's own rules see those events.
 * In the central Region only (IAM is global), and not in the central account (kms-warden acts there as itself): the
 * member role the central functions assume to act in the account.
 */
import { actions, type ActionType } from '../actions';

type Json = Record<string, unknown>;

/**
 * The central functions that act in member accounts: the member role trusts their roles and no other. The re-key
 * step re-keys a member account's key in it.
 */
export const actingFunctionRoles = [
  'on-kms-api-call',
  'on-kms-activity',
  'on-security-finding',
  'decision-executor',
  'rekey',
];

/** What the responders read besides what their actions declare: a key's tags (its mode) and aliases (for people). */
export const responderReads = ['kms:DescribeKey', 'kms:ListResourceTags', 'kms:ListAliases'];

/** The actions the acting functions run in a member account: every containment action. */
export const memberActions = Object.keys(actions) as ActionType[];

/** The IAM actions the member role holds: what the actions declare, and the responders' reads. */
export const memberIamActions = (): string[] =>
  [...new Set([...memberActions.flatMap((type) => actions[type].iamActions), ...responderReads])].sort();

const sub = (text: string) => ({ 'Fn::Sub': text });
const ref = (name: string) => ({ Ref: name });

const keys = sub('arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*');
const roles = sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*');
const users = sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*');

/**
 * The statement an IAM action belongs in, scoped as narrowly as the action allows. An action no statement takes
 * throws: a new action's permissions must be placed here by a person, not granted on "*".
 */
const statementOf = (action: string): string => {
  if (action === 'kms:ListAliases') return 'KeyAliases';
  if (action === 'kms:TagResource' || action === 'kms:UntagResource') return 'ContainmentTags';
  if (action.startsWith('kms:')) return 'ContainKeys';
  if (action === 'iam:AttachUserPolicy' || action === 'iam:DetachUserPolicy') return 'QuarantineUsersWithDenyAll';
  if (/^iam:\w*Role/.test(action)) return 'QuarantineRoles';
  if (/^iam:\w*(User|AccessKey)/.test(action)) return 'QuarantineUsers';
  throw new Error(`the member role has no statement for ${action}: add one to src/organization/member-template.ts`);
};

const statementShapes: Record<string, Json> = {
  ContainKeys: { Resource: keys },
  // kms-warden's own tags only (a key administrator's settings put back): aws:TagKeys names every tag the call touches.
  ContainmentTags: { Resource: keys, Condition: { 'ForAllValues:StringLike': { 'aws:TagKeys': 'kms-warden:*' } } },
  // ListAliases names no key in IAM: Resource "*" (AWS KMS developer guide, "Specifying KMS keys in IAM policy
  // statements").
  KeyAliases: { Resource: '*' },
  QuarantineRoles: { Resource: roles },
  QuarantineUsers: { Resource: users },
  QuarantineUsersWithDenyAll: {
    Resource: users,
    Condition: { ArnEquals: { 'iam:PolicyARN': sub('arn:${AWS::Partition}:iam::aws:policy/AWSDenyAll') } },
  },
};

const actStatements = (): Json[] => {
  const grouped = new Map<string, string[]>();
  for (const action of memberIamActions()) {
    const sid = statementOf(action);
    grouped.set(sid, [...(grouped.get(sid) ?? []), action]);
  }
  return Object.keys(statementShapes)
    .filter((sid) => grouped.has(sid))
    .map((sid) => ({ Sid: sid, Effect: 'Allow', Action: grouped.get(sid), ...statementShapes[sid] }));
};

const memberRoleName = sub('kms-warden-member-${Stage}');
const forwarderRoleName = sub('kms-warden-${Stage}-forwarder-${AWS::Region}');

/** The central function roles, as serverless.yml names them: the only principals the member role trusts. */
const trustedRoles = actingFunctionRoles.map((role) =>
  sub(
    `arn:\${AWS::Partition}:iam::\${CentralAccountId}:role/kms-warden/\${Stage}/kms-warden-\${Stage}-\${CentralRegion}-${role}`,
  ),
);

const centralBus = sub(
  'arn:${AWS::Partition}:events:${CentralRegion}:${CentralAccountId}:event-bus/kms-warden-${Stage}-organization',
);

/** The rule files' logical ids: kms-key-lifecycle.json is ForwardKmsKeyLifecycle. */
const logicalIdOf = (file: string) =>
  `Forward${file
    .replace('.json', '')
    .split('-')
    .map((word) => `${word[0]!.toUpperCase()}${word.slice(1)}`)
    .join('')}`;

/** A rule file of rules/, the state its central rule is deployed in, and its pattern (src/local/rule-targets.ts). */
export interface ForwardedRule {
  file: string;
  state: string;
  pattern: Json;
}

/**
 * `rules`: the rule files and their central rules' states. `rekeyStatements`: the member role's re-key permissions
 * (src/organization/rekey-statements.ts, from the central re-key role's).
 */
export const memberTemplate = (rules: readonly ForwardedRule[], rekeyStatements: readonly Json[]): Json => ({
  AWSTemplateFormatVersion: '2010-09-09',
  Description:
    'kms-warden member: forwards KMS, GuardDuty and Config events to the central kms-warden, and the role it contains incidents with',
  Parameters: {
    Stage: { Type: 'String', Default: 'prod', AllowedPattern: '^[a-z0-9-]{1,16}$', Description: 'The central stage' },
    CentralAccountId: {
      Type: 'String',
      AllowedPattern: '^\\d{12}$',
      Description: 'The account the central kms-warden stack runs in',
    },
    CentralRegion: {
      Type: 'String',
      AllowedPattern: '^[a-z]{2}(-[a-z]+)+-\\d+$',
      Description: 'The Region the central kms-warden stack runs in',
    },
    OrganizationId: {
      Type: 'String',
      AllowedPattern: '^o-[a-z0-9]{10,32}$',
      Description: 'The organization: the member role trusts only its principals',
    },
    ExternalId: {
      Type: 'String',
      AllowedPattern: '^[\\w+=,.@:/-]{2,1224}$',
      Description: 'The external id the central stack was given (memberExternalId)',
    },
    OperatorRoleArns: {
      Type: 'CommaDelimitedList',
      Default: '',
      Description:
        'Role ARNs of the central account whose sessions may act here too: the people who run kms-warden decisions and contain from the CLI',
    },
    BreakGlassPrincipals: {
      Type: 'CommaDelimitedList',
      Default: '',
      Description: 'Role and user ARNs of this account, path included, that kms-warden may never change',
    },
  },
  Conditions: {
    IsCentralRegion: { 'Fn::Equals': [ref('AWS::Region'), ref('CentralRegion')] },
    IsCentralAccount: { 'Fn::Equals': [ref('AWS::AccountId'), ref('CentralAccountId')] },
    // The central stack's own rules see its own account and Region: forwarding them too would deliver twice.
    Forwards: { 'Fn::Not': [{ 'Fn::And': [{ Condition: 'IsCentralRegion' }, { Condition: 'IsCentralAccount' }] }] },
    // kms-warden acts in its own account with its own roles: no member role there.
    MakesMemberRole: {
      'Fn::And': [{ Condition: 'IsCentralRegion' }, { 'Fn::Not': [{ Condition: 'IsCentralAccount' }] }],
    },
    HasOperatorRoles: { 'Fn::Not': [{ 'Fn::Equals': [{ 'Fn::Join': [',', ref('OperatorRoleArns')] }, ''] }] },
    HasBreakGlassPrincipals: {
      'Fn::Not': [{ 'Fn::Equals': [{ 'Fn::Join': [',', ref('BreakGlassPrincipals')] }, ''] }],
    },
  },
  Resources: {
    ForwarderRole: {
      Type: 'AWS::IAM::Role',
      Condition: 'Forwards',
      Properties: {
        RoleName: forwarderRoleName,
        Path: '/kms-warden/',
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sts:AssumeRole',
              // Only this account's rules may use it (the confused-deputy guard).
              Condition: { StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') } },
            },
          ],
        },
        Policies: [
          {
            PolicyName: 'forward-to-kms-warden',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                { Sid: 'PutOnCentralBus', Effect: 'Allow', Action: 'events:PutEvents', Resource: centralBus },
              ],
            },
          },
        ],
      },
    },
    ...Object.fromEntries(
      rules.map(({ file, state, pattern }) => [
        logicalIdOf(file),
        {
          Type: 'AWS::Events::Rule',
          Condition: 'Forwards',
          Properties: {
            Name: sub(`kms-warden-\${Stage}-forward-${file.replace('.json', '')}`),
            Description: `kms-warden: rules/${file}, forwarded to the central kms-warden`,
            // Read-only management events reach only rules in this state (the activity rule's Decrypt, DescribeKey...).
            State: state,
            EventPattern: pattern,
            Targets: [
              { Id: 'kms-warden-central', Arn: centralBus, RoleArn: { 'Fn::GetAtt': ['ForwarderRole', 'Arn'] } },
            ],
          },
        },
      ]),
    ),
    MemberRole: {
      Type: 'AWS::IAM::Role',
      Condition: 'MakesMemberRole',
      Properties: {
        RoleName: memberRoleName,
        Path: '/kms-warden/',
        // A session from a Lambda role is role chaining: an hour at most, whatever this says.
        MaxSessionDuration: 3600,
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'CentralKmsWardenOnly',
              Effect: 'Allow',
              Principal: { AWS: trustedRoles },
              Action: 'sts:AssumeRole',
              Condition: {
                StringEquals: { 'sts:ExternalId': ref('ExternalId'), 'aws:PrincipalOrgID': ref('OrganizationId') },
              },
            },
            // The CLI's decisions and `contain` act with the operator's own identity, here through this role.
            {
              'Fn::If': [
                'HasOperatorRoles',
                {
                  Sid: 'KmsWardenOperators',
                  Effect: 'Allow',
                  Principal: { AWS: ref('OperatorRoleArns') },
                  Action: 'sts:AssumeRole',
                  Condition: {
                    StringEquals: { 'sts:ExternalId': ref('ExternalId'), 'aws:PrincipalOrgID': ref('OrganizationId') },
                  },
                },
                ref('AWS::NoValue'),
              ],
            },
          ],
        },
        Policies: [
          {
            PolicyName: 'contain-kms-incidents',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                ...actStatements(),
                ...rekeyStatements,
                // Belt and braces to the code's own refusal: never itself, never what forwards events, never roles AWS
                // manages, the StackSet's own execution role, or the organization's way back in.
                {
                  Sid: 'NeverQuarantineOwnOrAwsManagedRoles',
                  Effect: 'Deny',
                  Action: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
                  Resource: [
                    sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/kms-warden/*'),
                    sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/*'),
                    sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-reserved/*'),
                    sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/stacksets-exec-*'),
                    sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/AWSCloudFormationStackSetExecutionRole'),
                    // How the organization's administrators get back into the account.
                    sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/OrganizationAccountAccessRole'),
                    sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/AWSControlTowerExecution'),
                  ],
                },
                // kms-warden never bypasses KMS's lockout safety check: a key policy it puts always leaves the account
                // able to manage the key (https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html).
                {
                  Sid: 'NeverBypassLockoutSafetyCheck',
                  Effect: 'Deny',
                  Action: 'kms:PutKeyPolicy',
                  Resource: '*',
                  Condition: { Bool: { 'kms:BypassPolicyLockoutSafetyCheck': 'true' } },
                },
                {
                  'Fn::If': [
                    'HasBreakGlassPrincipals',
                    {
                      Sid: 'NeverChangeBreakGlassPrincipals',
                      Effect: 'Deny',
                      Action: [
                        'iam:AttachRolePolicy',
                        'iam:AttachUserPolicy',
                        'iam:DeleteRolePolicy',
                        'iam:DeleteUserPolicy',
                        'iam:DetachRolePolicy',
                        'iam:DetachUserPolicy',
                        'iam:PutRolePolicy',
                        'iam:PutUserPolicy',
                        'iam:UpdateAccessKey',
                      ],
                      Resource: ref('BreakGlassPrincipals'),
                    },
                    ref('AWS::NoValue'),
                  ],
                },
              ],
            },
          },
        ],
      },
    },
  },
  Outputs: {
    MemberRoleArn: { Condition: 'MakesMemberRole', Value: { 'Fn::GetAtt': ['MemberRole', 'Arn'] } },
  },
});
