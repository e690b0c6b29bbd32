import { jsonAnswer, withJson, type StrictRule } from './rule';

type AutoDeployment = { Enabled: boolean; RetainStacksOnAccountRemoval?: boolean };

/** The request's AutoDeployment, whichever protocol carried it (query's flattened keys, or JSON). */
const autoDeploymentOf = (params: Record<string, unknown>): AutoDeployment | undefined => {
  const json = params.AutoDeployment as { Enabled?: unknown; RetainStacksOnAccountRemoval?: unknown } | undefined;
  const enabled = json?.Enabled ?? params['AutoDeployment.Enabled'];
  const retain = json?.RetainStacksOnAccountRemoval ?? params['AutoDeployment.RetainStacksOnAccountRemoval'];
  if (enabled === undefined && retain === undefined) return undefined;
  return {
    Enabled: String(enabled) === 'true',
    ...(retain !== undefined ? { RetainStacksOnAccountRemoval: String(retain) === 'true' } : {}),
  };
};

const remembered = new WeakMap<object, Map<string, AutoDeployment>>();

/**
 * A service-managed StackSet keeps its AutoDeployment (deploy to accounts that join an OU, and what to do when they
 * leave) and DescribeStackSet shows it; AutoDeployment is only for the SERVICE_MANAGED permission model, and
 * RetainStacksOnAccountRemoval only with Enabled true
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_AutoDeployment.html). moto stores neither.
 */
export const cloudFormationStackSetAutoDeployment: StrictRule = {
  id: 'cloudformation-stackset-auto-deployment',
  says: 'a service-managed StackSet keeps its AutoDeployment and DescribeStackSet shows it; AutoDeployment only with SERVICE_MANAGED, RetainStacksOnAccountRemoval only when Enabled (ValidationError)',
  docs: [
    'https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_AutoDeployment.html',
    'https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStackSet.html',
  ],
  operations: ['cloudformation:CreateStackSet', 'cloudformation:UpdateStackSet', 'cloudformation:DescribeStackSet'],
  refuse: async ({ call }) => {
    if (call.action === 'DescribeStackSet') return undefined;
    const auto = autoDeploymentOf(call.params);
    if (!auto) return undefined;
    if (call.action === 'CreateStackSet' && call.params.PermissionModel !== 'SERVICE_MANAGED')
      return {
        code: 'ValidationError',
        message: 'AutoDeployment is only supported for StackSets with the SERVICE_MANAGED permission model',
      };
    if (!auto.Enabled && auto.RetainStacksOnAccountRemoval !== undefined)
      return {
        code: 'ValidationError',
        message: 'RetainStacksOnAccountRemoval can only be specified when AutoDeployment is enabled',
      };
    return undefined;
  },
  answer: async ({ call, overlay }, answer) => {
    let stackSets = remembered.get(overlay);
    if (!stackSets) remembered.set(overlay, (stackSets = new Map()));
    const name = String(call.params.StackSetName ?? '');
    if (answer.status !== 200) return answer;
    if (call.action !== 'DescribeStackSet') {
      const auto = autoDeploymentOf(call.params);
      if (auto) stackSets.set(name, auto);
      return answer;
    }
    const auto = stackSets.get(name);
    if (!auto) return answer;
    const json = jsonAnswer(answer) as { StackSet?: Record<string, unknown> } | undefined;
    if (json?.StackSet) return withJson(answer, { ...json, StackSet: { ...json.StackSet, AutoDeployment: auto } });
    const xml = `<AutoDeployment><Enabled>${auto.Enabled}</Enabled>${auto.RetainStacksOnAccountRemoval === undefined ? '' : `<RetainStacksOnAccountRemoval>${auto.RetainStacksOnAccountRemoval}</RetainStacksOnAccountRemoval>`}</AutoDeployment>`;
    return { ...answer, body: Buffer.from(answer.body.toString('utf8').replace('</StackSet>', `${xml}</StackSet>`)) };
  },
};
