import { parseArgs } from 'node:util';
import { accountSetup, cliRegion, organizationSetup, type ExpectedRule, type SetupCheck } from '../composition/cli';
import { loadServerlessDefinition, type ServerlessDefinition } from '../local/stack-definition';
import type { CommandIo } from './io';

export const doctorUsage = `Usage: kms-warden doctor [--stage STAGE] [--region R] [--json]
       kms-warden doctor --organization [--stage STAGE] [--region R] [--regions R1,R2] [--stack-set NAME]
                         [--call-as DELEGATED_ADMIN] [--json]

Checks that the account and Region are set up for kms-warden's detection, and prints how to fix what is not:
  cloudtrail    a logging trail (multi-Region, or based in the Region) recording management events, read-only
                and write, without excluding kms.amazonaws.com
  eventbridge   each of kms-warden's rules for the stage exists in the state it needs (names and states from serverless.yml)
  key-rotation  every enabled customer-managed symmetric key has automatic rotation on
It only reads: cloudtrail:DescribeTrails, GetTrailStatus and GetEventSelectors, events:DescribeRule, kms:ListKeys,
DescribeKey and GetKeyRotationStatus. A call it may not make fails its check, naming the permission.

With --organization, from the central account (the management account or a delegated administrator):
  organization      the organization's accounts can be listed (organizations:DescribeOrganization, ListAccounts)
  member-stackset   the member StackSet deploys itself to accounts that join, and every active account but the
                    management one has a current, successful member stack in every Region of --regions (its
                    forwarding rules there, and in the central Region its member role)
  service-control-policy  a service control policy from kms-warden organization scp is attached somewhere
  organization-bus  the central organization bus admits the organization (aws:PrincipalOrgID)
  organization-trail a multi-Region organization trail logs every account's management events
It only reads: cloudformation:DescribeStackSet and ListStackInstances, events:DescribeEventBus,
cloudtrail:DescribeTrails, and organizations:DescribeOrganization, ListAccounts, ListPolicies, DescribePolicy and
ListTargetsForPolicy.

Options:
  --stage STAGE   the deployed stage (default: serverless.yml's, dev)
  --organization  check the organization instead of this account (see above)
  --regions LIST  with --organization: the Regions the member StackSet must reach (default: --region's)
  --stack-set N   with --organization: the member StackSet's name (default: kms-warden-member-STAGE)
  --call-as WHO   with --organization: DELEGATED_ADMIN when a StackSets delegated administrator runs it
  --region R      the Region to check (default: the profile's)
  --json          one JSON object per check and line: {"check", "ok", "detail", "fix"}

Exit codes: 0 everything is set up, 1 something needs fixing, 2 bad usage.`;

type EventBridgeEvent = { name?: unknown; pattern?: unknown; eventBus?: unknown };
type FunctionDefinition = { events?: Array<{ eventBridge?: EventBridgeEvent }> };

const fileReference = /^\$\{file\(\.?\/?([^)]+)\)\}$/;
const patternFileOf = (pattern: unknown) =>
  typeof pattern === 'string' ? fileReference.exec(pattern)?.[1] : undefined;

/** The stage serverless.yml deploys to without --stage (provider.stage: ${opt:stage, 'dev'}). */
export const defaultStage = (definition: ServerlessDefinition): string => {
  const stage = (definition.provider as { stage?: unknown } | undefined)?.stage;
  if (typeof stage !== 'string') return 'dev';
  return /^\$\{opt:stage,\s*'([^']+)'\}$/.exec(stage)?.[1] ?? stage;
};

/**
 * kms-warden's EventBridge rules as deployed for a stage, from serverless.yml: the functions' eventBridge events
 * (the framework creates them ENABLED) and the AWS::Events::Rule resources with their own State.
 */
export const detectionRules = (definition: ServerlessDefinition, stage: string): ExpectedRule[] => {
  const resolve = (text: unknown, where: string): string => {
    if (typeof text !== 'string')
      throw new Error(`serverless.yml: ${where} has no name; kms-warden doctor finds rules by name`);
    const resolved = text
      .replaceAll('${sls:stage}', stage)
      .replaceAll('${self:provider.stage}', stage)
      .replace(/\$\{opt:stage(,\s*'[^']*')?\}/g, stage)
      .replaceAll('${self:service}', definition.service);
    if (resolved.includes('${')) throw new Error(`serverless.yml: cannot resolve "${text}" (${where})`);
    return resolved;
  };
  const functions = (definition.functions ?? {}) as Record<string, FunctionDefinition>;
  const fromFunctions = Object.entries(functions).flatMap(([fn, { events = [] }]) =>
    events.flatMap(({ eventBridge }, i): ExpectedRule[] => {
      if (!eventBridge) return [];
      const patternFile = patternFileOf(eventBridge.pattern);
      return [
        {
          name: resolve(eventBridge.name, `functions.${fn}.events[${i}].eventBridge`),
          state: 'ENABLED',
          ...(typeof eventBridge.eventBus === 'string'
            ? { eventBus: resolve(eventBridge.eventBus, `functions.${fn}.events[${i}].eventBridge.eventBus`) }
            : {}),
          ...(patternFile ? { patternFile } : {}),
        },
      ];
    }),
  );
  // Organization mode's rules are on the organization bus, deployed only with organization=true (checked apart).
  const fromResources = Object.entries(definition.resources.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Events::Rule' && resource.Condition !== 'OrganizationMode')
    .map(([logicalId, { Properties = {} }]): ExpectedRule => {
      const patternFile = patternFileOf(Properties.EventPattern);
      return {
        name: resolve(Properties.Name, `resources.${logicalId}`),
        state: typeof Properties.State === 'string' ? Properties.State : 'ENABLED',
        ...(typeof Properties.EventBusName === 'string'
          ? { eventBus: resolve(Properties.EventBusName, `resources.${logicalId}.EventBusName`) }
          : {}),
        ...(patternFile ? { patternFile } : {}),
        ...(typeof Properties.Description === 'string' ? { description: Properties.Description } : {}),
      };
    });
  return [...fromFunctions, ...fromResources];
};

const textLines = (result: SetupCheck): string[] =>
  result.ok
    ? [`ok   ${result.check}: ${result.detail}`]
    : [`FIX  ${result.check}: ${result.detail}`, ...(result.fix ? [`     ${result.fix}`] : [])];

const jsonLine = (result: SetupCheck) =>
  JSON.stringify({
    check: result.check,
    ok: result.ok,
    detail: result.detail,
    ...(result.fix ? { fix: result.fix } : {}),
  });

const usageError = (io: CommandIo, problem: string): number => {
  io.err(`kms-warden doctor: ${problem}. See kms-warden doctor --help.`);
  return 2;
};

export const doctorCommand = async (argv: string[], io: CommandIo): Promise<number> => {
  let values: {
    stage?: string;
    json?: boolean;
    help?: boolean;
    organization?: boolean;
    regions?: string;
    'stack-set'?: string;
    'call-as'?: string;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        stage: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        organization: { type: 'boolean' },
        regions: { type: 'string' },
        'stack-set': { type: 'string' },
        'call-as': { type: 'string' },
      },
    }));
  } catch (error) {
    return usageError(io, (error as Error).message);
  }
  if (values.help) {
    io.out(doctorUsage);
    return 0;
  }
  if (values.stage !== undefined && !/^[A-Za-z0-9-]+$/.test(values.stage))
    return usageError(io, `--stage takes letters, digits and hyphens, not "${values.stage}"`);

  const organizationOnly = ['regions', 'stack-set', 'call-as'] as const;
  if (!values.organization && organizationOnly.some((flag) => values[flag] !== undefined))
    return usageError(io, `--${organizationOnly.find((flag) => values[flag] !== undefined)} goes with --organization`);
  if (values['call-as'] !== undefined && !['SELF', 'DELEGATED_ADMIN'].includes(values['call-as']))
    return usageError(io, `--call-as takes SELF or DELEGATED_ADMIN, not "${values['call-as']}"`);
  const regions = values.regions
    ?.split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const badRegion = regions?.find((r) => !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(r));
  if (badRegion !== undefined)
    return usageError(io, `--regions takes Region names such as eu-west-1, not "${badRegion}"`);
  if (values['stack-set'] !== undefined && !/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(values['stack-set']))
    return usageError(io, `--stack-set takes a StackSet name, not "${values['stack-set']}"`);

  const definition = loadServerlessDefinition();
  const stage = values.stage ?? defaultStage(definition);
  const region = await cliRegion();
  const results = values.organization
    ? await (
        await organizationSetup(region, {
          stage,
          regions: regions && regions.length > 0 ? regions : [region],
          stackSetName: values['stack-set'] ?? `kms-warden-member-${stage}`,
          callAs: (values['call-as'] as 'SELF' | 'DELEGATED_ADMIN' | undefined) ?? 'SELF',
        })
      ).all()
    : await accountSetup(region).all(detectionRules(definition, stage), stage);
  for (const result of results) for (const line of values.json ? [jsonLine(result)] : textLines(result)) io.out(line);
  const toFix = results.filter((r) => !r.ok).length;
  io.err(`kms-warden doctor: ${results.length - toFix} ok, ${toFix} to fix (stage ${stage}, ${region})`);
  return toFix === 0 ? 0 : 1;
};
