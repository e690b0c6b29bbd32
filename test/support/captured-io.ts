import type { CommandIo } from '../../src/cli/io';

/** A command's stdout and stderr, kept line by line, for tests that run the CLI through its entry point. */
export const captured = (): { out: string[]; err: string[]; io: CommandIo } => {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (line: string) => void out.push(line), err: (line: string) => void err.push(line) } };
};
