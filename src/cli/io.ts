import { userInfo } from 'node:os';
import { KMSClient } from '@aws-sdk/client-kms';
import { ConfigError } from '../errors';

/** Where a command writes: stdout for results, stderr for progress and errors. Tests pass their own. */
export interface CommandIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const processIo: CommandIo = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

/** Who is at the terminal, as decisions and operator incidents record it (`--by` overrides it). */
export const operatorName = (): string => `cli:${process.env.USER ?? userInfo().username}`;

/**
 * How a command reports a result: the readable lines, or with --json the same result as one JSON object on one line.
 * Errors stay one readable line on stderr either way.
 */
export const reporter =
  (io: CommandIo, json: boolean | undefined) =>
  (text: string | string[], data: Record<string, unknown>): void => {
    if (json) io.out(JSON.stringify(data));
    else for (const line of [text].flat()) io.out(line);
  };

/**
 * The Region a command works in: --region (main puts it in AWS_REGION), else the profile's, as the SDK resolves it.
 * No silent default: a key looked for in the wrong Region is "not found", which says nothing about the mistake.
 */
export const cliRegion = async (): Promise<string> => {
  try {
    return await new KMSClient({}).config.region();
  } catch {
    const profile = process.env.AWS_PROFILE;
    throw new ConfigError('AWS_REGION', `is not set, and no Region comes from ${profile ? `profile ${profile} (does it exist?)` : 'the default profile'}`);
  }
};
