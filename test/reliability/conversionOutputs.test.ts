import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { flm, tinySetup } from './cli.ts';

/**
 * `flm convert` and `flm export-onnx` write their output as the training
 * commands do: whole or not at all (a temporary file renamed into place),
 * never over a folder, a FIFO or a device, and never over their input.
 */
describe('conversion outputs', () => {
  it('refuses outputs that are no regular file, and the input itself; writes a whole file otherwise', async () => {
    const { p, model, dir } = await tinySetup('convert-outputs');
    const before = readFileSync(model);
    mkdirSync(p('folder'));
    const outs: [string, string][] = [['a folder', p('folder')]];
    if (spawnSync('mkfifo', [p('fifo')]).status === 0) outs.push(['a FIFO', p('fifo')]);
    const tried: string[] = [];
    for (const command of ['convert', 'export-onnx']) {
      for (const [what, out] of outs) {
        const r = flm([command, model, out]);
        expect(r.status, `${command} to ${what}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(/is a (folder|FIFO|directory)|not replaced by a file/);
        tried.push(`${command} → ${what}`);
      }
      symlinkSync(model, p(`${command}-link.safetensors`));
      for (const self of [model, `${dir}/./flm.safetensors`, p(`${command}-link.safetensors`)]) {
        const r = flm([command, model, self]);
        expect(r.status, `${command} onto its input (${self}): ${r.stderr}`).toBe(2);
        expect(r.stderr).toContain('is the input itself');
        tried.push(`${command} → its input`);
      }
    }
    expect(statSync(p('folder')).isDirectory()).toBe(true);
    if (outs.length > 1) expect(statSync(p('fifo')).isFIFO()).toBe(true);
    expect(readFileSync(model).equals(before)).toBe(true);

    // The ordinary case: the file is there, whole, and no temporary file is left.
    const ok = flm(['export-onnx', model, p('m.onnx')]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(statSync(p('m.onnx')).size).toBe(JSON.parse(ok.stdout.trim().split('\n').pop()!).bytes);
    const conv = flm(['convert', model, p('copy.safetensors')]);
    expect(conv.status, conv.stderr).toBe(0);
    expect(readdirSync(dir).filter((f) => /\.tmp-|\.partial-/.test(f))).toEqual([]);
    console.log(`conversion outputs: ${tried.length} refused cases (${[...new Set(tried)].join(', ')})`);
  });
});
