/**
 * The `flm` command: FLM Studio's core in Node, on the same engine as the
 * browser. `npm run flm -- <command> [options]`.
 */
import { parseArgs } from 'node:util';
import { parityCommand } from './parity.ts';
import type { BackendName } from './backend.ts';

const USAGE = `usage: npm run flm -- <command> [options]

commands:
  parity <dir> [--backend cpu|webgpu]   compare the engine with golden fixtures in <dir>
                                         (dit_*.safetensors, time_map.json); prints a table and,
                                         last, one JSON line; exits 1 if a tolerance is exceeded
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  if (command === 'parity') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { backend: { type: 'string', default: 'cpu' } } });
    const dir = positionals[0];
    if (!dir) throw new UsageError('parity needs a fixture folder');
    const backend = values.backend as BackendName;
    if (backend !== 'cpu' && backend !== 'webgpu') throw new UsageError(`--backend must be cpu or webgpu, not ${backend}`);
    const summary = await parityCommand(dir, backend, (s) => console.log(s));
    console.log(JSON.stringify(summary));
    return summary.pass ? 0 : 1;
  }
  throw new UsageError(`unknown command "${command}"`);
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`flm: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(`flm: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
