import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface MotoServer {
  endpoint: string;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export const motoInstallHint = "moto_server was not found on PATH. Install it with: pip install 'moto[server]'";

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const launch = async (command: string, port: number, readyWithinMs: number): Promise<ChildProcess> => {
  // AWS managed policies (AWSDenyAll, which quarantine may attach) exist in every account; moto makes them on request.
  const child = spawn(command, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<Error>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code === 'ENOENT' ? new Error(motoInstallHint, { cause: error }) : error),
    );
    child.once('exit', (code) => resolve(new Error(`moto_server exited with code ${code}: ${stderr.trim()}`)));
  });
  const deadline = Date.now() + readyWithinMs;
  for (;;) {
    const failure = await Promise.race([exited, sleep(100).then(() => undefined)]);
    if (failure) throw failure;
    try {
      const response = await fetch(`http://127.0.0.1:${port}/moto-api/`);
      if (response.ok) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer on port ${port} within ${readyWithinMs} ms: ${stderr.trim()}`);
    }
  }
};

/**
 * Starts moto_server on a free loopback port and waits until it answers. Fails with the install command when
 * moto is missing: integration tests never skip silently.
 */
export const startMotoServer = async (
  options: { command?: string; readyWithinMs?: number } = {},
): Promise<MotoServer> => {
  const command = options.command ?? process.env.MOTO_SERVER_COMMAND ?? 'moto_server';
  let lastError: unknown;
  // Another process may take the port between choosing and binding it: try a few.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    try {
      const child = await launch(command, port, options.readyWithinMs ?? 30_000);
      const endpoint = `http://127.0.0.1:${port}`;
      return {
        endpoint,
        reset: async () => {
          await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
        },
        stop: () =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      };
    } catch (error) {
      if (error instanceof Error && error.message === motoInstallHint) throw error;
      lastError = error;
    }
  }
  throw lastError;
};
