/**
 * The central re-key role's permissions, as the member role holds them: re-keying a member account's key runs the same
 * steps through the member role, so it needs exactly what the central role has on its own account, less what belongs
 * to the central stack alone. Pure: the caller reads the central role's statements from serverless.yml.
 */

type Json = Record<string, unknown>;

/**
 * Statements of the central re-key role that act on the central stack only: its logs, resuming its own state machine,
 * and S3 Batch Operations jobs (they run as RekeyS3BatchRole, which exists in the central account only: a member
 * account's buckets are copied object by object).
 */
export const centralOnlyRekeySids = ['Logs', 'ResumeOwnWait', 'S3BatchCopyJobs', 'FollowS3BatchJobs'] as const;

/** A statement that names a resource of the central stack (a Ref or GetAtt of its own): meaningless in a member. */
const namesStackResource = (node: unknown): boolean => {
  if (Array.isArray(node)) return node.some(namesStackResource);
  if (!node || typeof node !== 'object') return false;
  const entries = Object.entries(node as Json);
  if (entries.some(([key, value]) => key === 'Ref' && typeof value === 'string' && !value.startsWith('AWS::')))
    return true;
  if (entries.some(([key]) => key === 'Fn::GetAtt')) return true;
  return entries.some(([, value]) => namesStackResource(value));
};

/** serverless.yml's ${sls:stage} is the member template's Stage parameter. */
const withMemberStage = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(withMemberStage);
  if (typeof node === 'string')
    return node.includes('${sls:stage}') ? { 'Fn::Sub': node.replaceAll('${sls:stage}', '${Stage}') } : node;
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node as Json).map(([key, value]) =>
      key === 'Fn::Sub' && typeof value === 'string'
        ? [key, value.replaceAll('${sls:stage}', '${Stage}')]
        : [key, withMemberStage(value)],
    ),
  );
};

/** The member role's re-key statements, from the central re-key role's. */
export const memberRekeyStatements = (centralStatements: readonly Json[]): Json[] =>
  centralStatements
    .filter(
      (statement) =>
        // A statement under a condition of the central stack (organization mode's own, break-glass) is the stack's.
        !('Fn::If' in statement) &&
        !(centralOnlyRekeySids as readonly unknown[]).includes(statement.Sid) &&
        !namesStackResource(statement),
    )
    .map((statement) => ({ ...(withMemberStage(statement) as Json), Sid: `Rekey${String(statement.Sid)}` }));
