import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../src/local/stack-definition';

/**
 * The stage the tests package the template for: roles live under /kms-warden/test/, functions are kms-warden-test-*.
 */
export const testStage = 'test';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation JSON, read field by field
export type Json = any;
export interface CfnTemplate {
  Parameters?: Record<string, { Type: string; Default?: string }>;
  Conditions?: Record<string, Json>;
  Resources: Record<string, { Type: string; Properties: Record<string, Json>; Condition?: string }>;
}

/** What the packaged template is made from: a change to any of them packages it again. */
const inputs = () => [
  join(projectRoot, 'serverless.yml'),
  join(projectRoot, 'src', 'rekey', 'rekey-workflow.asl.json'),
  ...readdirSync(join(projectRoot, 'rules')).map((file) => join(projectRoot, 'rules', file)),
];

const cacheRoot = join(projectRoot, 'node_modules', '.cache', 'kms-warden-template');

/**
 * `serverless package` into `dir`, for the test stage with `params` (`name=value`), and the template it wrote. osls
 * packages offline: no AWS account or credentials are needed, and none from the environment is used.
 */
export const packageOffline = (dir: string, params: readonly string[] = []): CfnTemplate => {
  execFileSync(
    'npx',
    ['serverless', 'package', '--stage', testStage, '--package', dir, ...params.map((param) => `--param=${param}`)],
    {
      cwd: projectRoot,
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_SESSION_TOKEN: '',
        AWS_PROFILE: 'kms-warden-no-such-profile',
        AWS_ENDPOINT_URL: '',
      },
      stdio: 'pipe',
    },
  );
  return JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as CfnTemplate;
};

/**
 * The CloudFormation template `serverless package` makes, as CloudFormation would deploy it with the parameters'
 * defaults (the settings it was packaged with): every role, policy and environment variable the functions deploy
 * with, conditions decided (withConditionsDecided). Packaged once per change of its inputs (about 4 s) and kept under
 * node_modules/.cache; test files running at the same time may both package it, and the last rename wins with the
 * same content. `params`: serverless params (`name=value`) it is packaged with, organization mode's for one.
 */
export const packagedTemplate = (params: readonly string[] = []): CfnTemplate => {
  const hash = createHash('sha256');
  for (const file of inputs()) hash.update(file).update(readFileSync(file));
  for (const param of params) hash.update(param);
  const dir = join(cacheRoot, hash.digest('hex').slice(0, 16));
  const file = join(dir, 'cloudformation-template-update-stack.json');
  if (!existsSync(file)) {
    mkdirSync(cacheRoot, { recursive: true });
    const work = mkdtempSync(join(cacheRoot, 'packaging-'));
    try {
      packageOffline(work, params);
      for (const entry of readdirSync(work)) if (entry.endsWith('.zip')) rmSync(join(work, entry));
      try {
        renameSync(work, dir);
      } catch (error) {
        if (!existsSync(file)) throw error;
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  return withConditionsDecided(JSON.parse(readFileSync(file, 'utf8')) as CfnTemplate);
};

const noValue = Symbol('AWS::NoValue');

/**
 * What CloudFormation makes of a template's parameters and conditions at deploy: each parameter takes its default
 * (a CommaDelimitedList is split on commas), each condition is decided, Fn::If keeps the branch its condition chose,
 * AWS::NoValue removes the property or list item, and a resource whose Condition is false is not created
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-conditions.html).
 * A condition function this does not know throws, naming it.
 */
export const withConditionsDecided = (template: CfnTemplate): CfnTemplate => {
  const parameters = Object.fromEntries(
    Object.entries(template.Parameters ?? {}).map(([name, { Type, Default }]) => [
      name,
      Type === 'CommaDelimitedList' ? (Default ?? '').split(',') : Default,
    ]),
  );
  const valueOf = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(valueOf);
    if (!node || typeof node !== 'object') return node;
    if ('Ref' in node && node.Ref in parameters) return parameters[node.Ref];
    if ('Fn::Join' in node) {
      const [delimiter, items] = node['Fn::Join'] as [string, Json];
      return [valueOf(items)].flat(2).join(delimiter);
    }
    throw new Error(`cannot decide ${JSON.stringify(node)} in a condition: add it to withConditionsDecided`);
  };
  const decided: Record<string, boolean> = {};
  const holds = (node: Json): boolean => {
    if ('Condition' in node) return conditionNamed(node.Condition);
    if ('Fn::Equals' in node) {
      const [left, right] = (node['Fn::Equals'] as Json[]).map(valueOf);
      return JSON.stringify(left) === JSON.stringify(right);
    }
    if ('Fn::Not' in node) return !holds(node['Fn::Not'][0]);
    if ('Fn::And' in node) return (node['Fn::And'] as Json[]).every(holds);
    if ('Fn::Or' in node) return (node['Fn::Or'] as Json[]).some(holds);
    throw new Error(`cannot decide the condition ${JSON.stringify(node)}: add it to withConditionsDecided`);
  };
  const conditionNamed = (name: string): boolean => {
    const condition = template.Conditions?.[name];
    if (condition === undefined) throw new Error(`the template has no condition ${name}`);
    return (decided[name] ??= holds(condition));
  };
  const decide = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(decide).filter((item) => item !== noValue);
    if (!node || typeof node !== 'object') return node;
    const keys = Object.keys(node);
    if (keys.length === 1 && keys[0] === 'Ref' && node.Ref === 'AWS::NoValue') return noValue;
    if (keys.length === 1 && keys[0] === 'Ref' && node.Ref in parameters) return parameters[node.Ref];
    if (keys.length === 1 && keys[0] === 'Fn::If') {
      const [name, whenTrue, whenFalse] = node['Fn::If'] as [string, Json, Json];
      return decide(conditionNamed(name) ? whenTrue : whenFalse);
    }
    return Object.fromEntries(
      Object.entries(node)
        .map(([key, inner]) => [key, decide(inner)] as const)
        .filter(([, inner]) => inner !== noValue),
    );
  };
  const resources = Object.entries(template.Resources)
    .filter(([, resource]) => resource.Condition === undefined || conditionNamed(resource.Condition))
    .map(([id, resource]) => [id, decide(resource)] as const);
  return { ...template, Resources: Object.fromEntries(resources) };
};

/** What CloudFormation would give for a Ref or Fn::GetAtt of a logical id, in the emulated account. */
export type Refs = (logicalId: string, attribute?: string) => string | undefined;

export interface Pseudo {
  partition: string;
  region: string;
  account: string;
}

/**
 * Resolves the intrinsic functions a role or an environment uses: Ref, Fn::GetAtt, Fn::Sub (with ${Logical.Attr}),
 * Fn::Join. A reference the emulated stack does not hold throws, naming it: a permission on a resource the tests cannot
 * resolve must be seen, never silently dropped.
 */
export const resolveIntrinsics = (value: Json, refs: Refs, pseudo: Pseudo): Json => {
  const pseudoParams: Record<string, string> = {
    'AWS::Partition': pseudo.partition,
    'AWS::Region': pseudo.region,
    'AWS::AccountId': pseudo.account,
    'AWS::URLSuffix': pseudo.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com',
  };
  const ref = (name: string, attribute?: string) => {
    if (!attribute && pseudoParams[name]) return pseudoParams[name]!;
    const resolved = refs(name, attribute);
    if (resolved === undefined)
      throw new Error(
        `the emulated stack has no ${attribute ? `${name}.${attribute}` : name}: add it to the test stack`,
      );
    return resolved;
  };
  const resolve = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(resolve);
    if (!node || typeof node !== 'object') return node;
    const keys = Object.keys(node);
    if (keys.length === 1) {
      const [fn] = keys as [string];
      const arg = node[fn];
      if (fn === 'Ref') return ref(arg);
      if (fn === 'Fn::GetAtt') return ref(arg[0], arg[1]);
      if (fn === 'Fn::Join') return (resolve(arg[1]) as string[]).join(arg[0]);
      if (fn === 'Fn::Sub') {
        const [text, vars] =
          typeof arg === 'string' ? [arg, {}] : [arg[0] as string, resolve(arg[1]) as Record<string, string>];
        return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          if (vars[name] !== undefined) return vars[name]!;
          const [logical, attribute] = name.split('.') as [string, string | undefined];
          return ref(logical, attribute);
        });
      }
    }
    return Object.fromEntries(Object.entries(node).map(([key, inner]) => [key, resolve(inner)]));
  };
  return resolve(value);
};
