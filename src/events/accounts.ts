/** Account ids named by the principal strings that appear in key policies, grants and CloudTrail. */

const accountId = /^\d{12}$/;
const iamOrStsArn = /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/;
const kmsArn = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:(\d{12}):/;
/** EC2's grantee form for EBS: "111122223333:aws:ec2-infrastructure:i-81e2f56c". */
const ec2Infrastructure = /^(\d{12}):aws:ec2-infrastructure:/;

/** The account a principal belongs to; undefined for AWS service principals and for unrecognised strings. */
export const accountOfPrincipal = (principal: string): string | undefined => {
  if (accountId.test(principal)) return principal;
  return iamOrStsArn.exec(principal)?.[1] ?? ec2Infrastructure.exec(principal)?.[1];
};

export const accountOfKey = (keyArn: string): string | undefined => kmsArn.exec(keyArn)?.[1];

export const isAwsServicePrincipal = (principal: string): boolean => /\.amazonaws\.com(\.cn)?$/.test(principal);

/** External: an account other than the key's own and not trusted. */
export const isExternalAccount = (
  account: string | undefined,
  ownAccount: string | undefined,
  trusted: readonly string[],
) => account !== undefined && ownAccount !== undefined && account !== ownAccount && !trusted.includes(account);

/**
 * The partition a Region belongs to: ARNs kms-warden builds (a key from a bare id, a principal GuardDuty names by
 * name) must be in it. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
 */
export const partitionOf = (region: string | undefined): string => {
  if (!region) return 'aws';
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  return 'aws';
};
