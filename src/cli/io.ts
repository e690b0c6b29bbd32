import { userInfo } from 'node:os';

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
