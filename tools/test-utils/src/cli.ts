import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { markedEnv, releaseStdioOnExit } from './marked.ts';

export interface SpawnedServer {
  proc: ChildProcess;
  port: number;
  /** Every stdout line so far. */
  lines: string[];
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  /** Waits until a stdout line matches. */
  waitForLine(re: RegExp, ms?: number): Promise<string>;
}

/** Starts a server CLI (`node <bin> ...args`) and waits for its "Server is running on HOST:PORT..." line. */
export async function spawnServerCli(bin: string, args: string[], ms = 15000, options: { detached?: boolean; mark?: string } = {}): Promise<SpawnedServer> {
  // detached: a process group of its own, so a test can signal the whole group as a terminal does.
  // Marked (see marked.ts): whatever it leaves behind is found, and killed when this file's process exits.
  const proc = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached ?? false, env: markedEnv(options.mark) });
  releaseStdioOnExit(proc);
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  let buf = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) if (w.re.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = once(proc, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  const waitForLine = (re: RegExp, timeout = 10000) =>
    new Promise<string>((resolve, reject) => {
      const found = lines.find((l) => re.test(l));
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeout} ms; stdout: ${lines.join('\n')}; stderr: ${stderr}`)), timeout);
      waiters.push({ re, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      void exited.then(() => setTimeout(() => reject(new Error(`exited before a line matching ${re}; stderr: ${stderr}`)), 50));
    });
  const listening = await Promise.race([
    waitForLine(/Server is running on|"event":"listening"/, ms),
    exited.then((code) => Promise.reject(new Error(`server exited (${code}) before listening: ${stderr}`))),
  ]);
  const m = /:(\d+)\.\.\.|"port":(\d+)/.exec(listening);
  const port = Number(m?.[1] ?? m?.[2]);
  return { proc, port, lines, exited, waitForLine };
}

/** Runs a CLI to completion: exit code and output. */
export async function runCli(bin: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: markedEnv() });
  releaseStdioOnExit(proc);
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code] = await once(proc, 'exit');
  // The last bytes may still be in the pipes: wait for them, but not for a stray process that holds them.
  if (proc.stdout.readable || proc.stderr.readable) await Promise.race([once(proc, 'close'), new Promise((r) => setTimeout(r, 500).unref())]);
  return { code: code as number | null, stdout, stderr };
}
