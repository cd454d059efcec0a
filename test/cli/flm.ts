/** How the CLI tests run the `flm` command: Node with tsx and the WGSL loader, from the repository root. */
import { spawn } from 'node:child_process';

export const root = new URL('../../', import.meta.url).pathname;

export interface Run { status: number | null; stdout: string; stderr: string }

/** Spawn `flm args…` (asynchronously, so that a test can run several at once): its exit status and output. */
export function flm(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn('node', ['--import', 'tsx', '--import', './scripts/wgsl-loader.mjs', 'src/cli/flm.ts', ...args], { cwd: root });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The JSON object on the last line of a run's stdout (the summary `flm` prints there). */
export const lastJson = (r: Run) => JSON.parse(r.stdout.trim().split('\n').pop()!);
