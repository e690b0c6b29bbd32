import { userInfo } from 'node:os';

/** Where a command writes: stdout for results, stderr for progress and errors. Tests pass their own. */
export interface CommandIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** A status line redrawn in place; present only when stderr is a terminal. An empty line clears it. */
  progress?: (line: string) => void;
}

export const processIo: CommandIo = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
  ...(process.stderr.isTTY
    ? {
        progress: (line: string) =>
          void process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns || 100) - 1)}`),
      }
    : {}),
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
