import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { killMarked, markedEnv, markedPids, newMark, releaseStdioOnExit } from './marked.ts';
import { waitFor } from './helpers.ts';

/** A server CLI whose children must die with it: its bin and the flags that select the family. */
export interface ParentKillFamily {
  name: string;
  bin: string;
  args: string[];
}

/** Trials per family: `SOCKETLAB_KILL_TRIALS` (the stress mode sets 50), else a few for every run. */
export const KILL_TRIALS = Number(process.env.SOCKETLAB_KILL_TRIALS ?? 4);
/** Latest moment of the SIGKILL after spawn, in ms: start-up, listening, cluster's handshake, the first clients. */
const KILL_WITHIN_MS = 500;
/** How long a child may outlive its parent (the bound), in ms. */
const GRACE_MS = 2000;
/** Trials run this many at a time. */
const CONCURRENCY = 3;

interface Trial {
  delayMs: number;
  listening: boolean;
  survivors: string[];
}

function describePid(pid: number): string {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').slice(0, 160);
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
    return `${pid} (ppid ${ppid}): ${cmd}`;
  } catch {
    return `${pid} (gone)`;
  }
}

/**
 * One trial: start the server, connect clients as soon as it listens (so that per-connection children
 * are starting), SIGKILL the server at a random moment of the KILL_WITHIN_MS after its spawn (or after
 * its listening line, `afterListening`), then every process
 * that carries the trial's mark must be gone within GRACE_MS. Survivors are described, then killed.
 */
async function trial(family: ParentKillFamily, afterListening: boolean): Promise<Trial> {
  const mark = newMark();
  const delayMs = Math.floor(Math.random() * KILL_WITHIN_MS);
  const proc = spawn(process.execPath, [family.bin, ...family.args, '--port', '0', '--quiet', '--log', 'json'], { stdio: ['ignore', 'pipe', 'pipe'], env: markedEnv(mark) });
  releaseStdioOnExit(proc, 0);
  proc.stderr!.resume();
  const clients: net.Socket[] = [];
  let listening = false;
  let buf = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const m = /"event":"listening".*?"port":(\d+)/.exec(buf);
    if (!m || listening) return;
    listening = true;
    onListening();
    for (let i = 0; i < 3; i++) {
      const c = net.connect({ host: '127.0.0.1', port: Number(m[1]) }, () => c.write('SLEEP 1000\n'));
      c.on('error', () => {});
      clients.push(c);
    }
  });
  let onListening = (): void => {};
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  // Half the trials count the delay from the listening line (the first clients' children starting),
  // half from the spawn (start-up, listen, node:cluster's handshake).
  if (afterListening) await Promise.race([new Promise<void>((r) => (onListening = r)), exited]);
  await new Promise((r) => setTimeout(r, delayMs));
  proc.kill('SIGKILL');
  await exited;
  await waitFor(() => markedPids(mark).length === 0, GRACE_MS);
  const survivors = markedPids(mark).map(describePid);
  killMarked(mark);
  for (const c of clients) c.destroy();
  return { delayMs, listening, survivors };
}

/**
 * For each family: KILL_TRIALS trials (see trial), CONCURRENCY at a time. Fails with every survivor's
 * pid, parent and command line, and the moment its parent was killed.
 */
export function runParentKillSuite(families: ParentKillFamily[]): void {
  describe(`no child outlives its parent: SIGKILL at a random moment of the first ${KILL_WITHIN_MS} ms after spawn or after listening`, () => {
    for (const family of families) {
      it(`${family.name}: ${KILL_TRIALS} trials, no survivor ${GRACE_MS} ms after the parent's death`, { timeout: 60_000 + KILL_TRIALS * 3_000 }, async (t) => {
        const results: Trial[] = [];
        let next = 0;
        await Promise.all(
          Array.from({ length: Math.min(CONCURRENCY, KILL_TRIALS) }, async () => {
            while (next < KILL_TRIALS) {
              results.push(await trial(family, next++ % 2 === 1));
            }
          }),
        );
        // A family whose server never starts (a wrong flag) would pass every trial: it must listen at least once.
        assert.ok(results.some((r) => r.listening), `${family.name}: the server never printed its listening line (check the family's flags)`);
        const bad = results.filter((r) => r.survivors.length > 0);
        t.diagnostic(`${family.name}: ${results.length} trials (${results.filter((r) => r.listening).length} killed after the listening line), ${bad.length} with survivors`);
        assert.deepEqual(bad.map((r) => `killed at ${r.delayMs} ms${r.listening ? ' (listening)' : ''}: ${r.survivors.join('; ')}`), []);
      });
    }
  });
}
