import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, type ParseOptions, type SchemaOptions, type YAMLMap, type YAMLSeq } from 'yaml';

/** serverless.yml, read as data: the local emulator gets the same resources the stack deploys. */

const intrinsics: Record<string, string> = {
  Ref: 'Ref',
  GetAtt: 'Fn::GetAtt',
  Sub: 'Fn::Sub',
  Join: 'Fn::Join',
  Select: 'Fn::Select',
  Split: 'Fn::Split',
  If: 'Fn::If',
  Equals: 'Fn::Equals',
  Not: 'Fn::Not',
  And: 'Fn::And',
  Or: 'Fn::Or',
  FindInMap: 'Fn::FindInMap',
  ImportValue: 'Fn::ImportValue',
  GetAZs: 'Fn::GetAZs',
  Base64: 'Fn::Base64',
  Condition: 'Condition',
};

const customTags: SchemaOptions['customTags'] = Object.entries(intrinsics).flatMap(([name, fn]) => [
  { tag: `!${name}`, resolve: (value: string) => ({ [fn]: value }) },
  { tag: `!${name}`, collection: 'seq' as const, resolve: (seq: YAMLMap | YAMLSeq) => ({ [fn]: seq.toJSON() }) },
  { tag: `!${name}`, collection: 'map' as const, resolve: (map: YAMLMap | YAMLSeq) => ({ [fn]: map.toJSON() }) },
]);

/**
 * The repository's root: the nearest folder up with serverless.yml (from src/local, or from the built CLI's folder).
 */
const findProjectRoot = (from: string): string => {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'serverless.yml'))) return dir;
    if (dirname(dir) === dir) return join(from, '..', '..');
  }
};

export const projectRoot = findProjectRoot(__dirname);

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  /** The stack condition it is made under (OrganizationMode), if any. */
  Condition?: string;
}

export interface ServerlessDefinition {
  service: string;
  resources: { Resources: Record<string, CfnResource> };
  [key: string]: unknown;
}

export const loadServerlessDefinition = (file = join(projectRoot, 'serverless.yml')): ServerlessDefinition =>
  parse(readFileSync(file, 'utf8'), { customTags } satisfies ParseOptions & SchemaOptions) as ServerlessDefinition;

export const resourceProperties = <T = Record<string, unknown>>(
  definition: ServerlessDefinition,
  logicalId: string,
): T => {
  const resource = definition.resources.Resources[logicalId];
  if (!resource) throw new Error(`serverless.yml has no resource ${logicalId}`);
  return (resource.Properties ?? {}) as T;
};
