/**
 * The layer rules (.dependency-cruiser.cjs) are enforced by `npm run
 * lint:layers` in `npm test`. These tests prove the checker bites: on a
 * fixture tree with deliberately wrong imports it must fail and name them,
 * and on the project's own tree it must pass.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function depcruise(...paths: string[]): { status: number | null; out: string } {
  const r = spawnSync('npx', ['depcruise', ...paths, '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('layer rules', () => {
  it('fail on a model module importing the training layer, and on the UI importing compute by value', () => {
    const r = depcruise('test/layers/fixture/src');
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/layer-model: test\/layers\/fixture\/src\/model\/wrongImport\.ts → test\/layers\/fixture\/src\/train\/schedule\.ts/);
    expect(r.out).toMatch(/ui-through-workers: test\/layers\/fixture\/src\/ui\/view\.ts → test\/layers\/fixture\/src\/engine\/matmul\.ts/);
    // A type-only import of a core module is allowed in the UI (it is erased from the bundle).
    expect(r.out).not.toMatch(/view\.ts → test\/layers\/fixture\/src\/model/);
  });

  it('pass on the project tree', () => {
    const r = depcruise('src', 'workers');
    expect(r.out).toMatch(/no dependency violations found/);
    expect(r.status).toBe(0);
  }, 60_000);
});
