// The activity rules' events go to a Kinesis stream, not straight to a function: Lambda reads it in batches, one
// write of detection memory per entry a batch touches rather than one per event (issue 16). A principal's events must
// stay in order on one shard, so the stream's partition key is the principal. EventBridge takes it from a JSON path
// into the event (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_KinesisParameters.html), which
// must be there: each rule below matches only events that have its path, and together they match every event the
// pattern in kms-key-activity.json does, once.
//
// Unique ids, not ARNs: a role's ARN grows with its path (512 characters) past Kinesis's 256-character partition key
// (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecord.html), and an event that cannot be put is
// lost to detection. A role's id (AROA...) stays 21 characters, whatever its sessions; a user's (AIDA...) too.
//
// serverless.yml reads these with ${file(rules/activity-stream.cjs):NAME}; the local demo and the tests require it.
const activity = require('./kms-key-activity.json');

const withIdentity = (pattern, userIdentity) => ({
  ...pattern,
  detail: { ...pattern.detail, userIdentity: { ...pattern.detail.userIdentity, ...userIdentity } },
});

const issuer = { sessionContext: { sessionIssuer: { principalId: [{ exists: true }] } } };
const noIssuer = { sessionContext: { sessionIssuer: { principalId: [{ exists: false }] } } };

/** The partitions of kms-key-activity.json's events: name, pattern, and the path of the partition key (or none). */
const activityPartitions = [
  {
    name: 'by-role',
    // Roles' sessions (and federation tokens): the role (or user) that issued them.
    pattern: withIdentity(activity, issuer),
    partitionKeyPath: '$.detail.userIdentity.sessionContext.sessionIssuer.principalId',
  },
  {
    name: 'by-principal',
    // IAM users, the root user, and principals of other accounts.
    pattern: withIdentity(activity, { ...noIssuer, principalId: [{ exists: true }] }),
    partitionKeyPath: '$.detail.userIdentity.principalId',
  },
  {
    name: 'unnamed',
    // Anything naming no principal (an AWS service calling as itself): spread by event id, EventBridge's default.
    pattern: withIdentity(activity, { ...noIssuer, principalId: [{ exists: false }] }),
  },
];

module.exports = {
  activityPartitions,
  activityByRole: activityPartitions[0].pattern,
  activityByRoleKey: activityPartitions[0].partitionKeyPath,
  activityByPrincipal: activityPartitions[1].pattern,
  activityByPrincipalKey: activityPartitions[1].partitionKeyPath,
  activityUnnamed: activityPartitions[2].pattern,
};
