import { type ChildProcess, spawn } from 'node:child_process';
import readline from 'node:readline';

/**
 * Runs the product's processes in the foreground with prefixed output, and stops them all
 * together: on Ctrl-C, or when any one of them dies.
 */
export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

export class Supervisor {
  private children = new Map<string, ChildProcess>();
  private stopping = false;
  onUnexpectedExit: (name: string, code: number | null) => void = () => undefined;

  start(spec: ChildSpec): ChildProcess {
    const child = spawn(spec.command, spec.args, { env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => console.log(`[${spec.name}] ${line}`));
    }
    this.children.set(spec.name, child);
    child.once('exit', (code) => {
      this.children.delete(spec.name);
      if (!this.stopping) this.onUnexpectedExit(spec.name, code);
    });
    return child;
  }

  async stopAll(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    const waits = [...this.children.entries()].map(
      ([, child]) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    );
    await Promise.all(waits);
  }
}
