import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { memberTemplate } from '../organization/member-template';
import { memberRekeyStatements } from '../organization/rekey-statements';
import { ruleTargets } from './rule-targets';
import { loadServerlessDefinition, projectRoot } from './stack-definition';

/** The central re-key role's statements, as serverless.yml writes them. */
export const centralRekeyStatements = (): Array<Record<string, unknown>> => {
  const role = loadServerlessDefinition().resources.Resources.RekeyRole;
  const policies = (role?.Properties?.Policies ?? []) as Array<{ PolicyDocument: { Statement: unknown } }>;
  return policies.flatMap(({ PolicyDocument }) => [PolicyDocument.Statement].flat() as Array<Record<string, unknown>>);
};

/**
 * The member template made from this checkout: the rule files of rules/ with their central states, and the central
 * re-key role's permissions (serverless.yml).
 */
export const memberTemplateOfRepository = () =>
  memberTemplate(
    ruleTargets.map(({ file, state }) => ({
      file,
      state,
      pattern: JSON.parse(readFileSync(join(projectRoot, 'rules', file), 'utf8')) as Record<string, unknown>,
    })),
    memberRekeyStatements(centralRekeyStatements()),
  );
