import { existsSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CharTokenizer } from '../../src/data/charTokenizer.ts';
import { encodeCheckpoint } from '../../src/io/checkpoint.ts';
import type { ModelKind } from '../../src/io/meta.ts';
import { flm, QUICK, tinyCheckpoint, tinySetup } from './cli.ts';

/**
 * Issue 20, defect 5: a judge, an FMLM or a flow map given where an FLM is
 * needed (`train --resume`, `distill --teacher`) trained silently and was
 * relabelled; a tokenizer of another size than the model's vocabulary trained
 * and wrote files that `sample` refused. Both are refused before any work.
 */
const fingerprint = { name: 'tiny flm', step: 0, fingerprint: 'x' };
const distill = (kind: ModelKind) => (kind === 'flowmap' ? { distill: { stage: 1 as const, teacherF: fingerprint } }
  : kind === 'fmlm' ? { distill: { stage: 2 as const, teacherF: fingerprint, teacherG: fingerprint } } : {});

describe('the wrong model is refused', () => {
  it('judge, FMLM and flow map as train --resume or distill --teacher; non-flow-maps as --teacher-g; the wrong kind as a distill --resume', async () => {
    const { p, model, corpus } = await tinySetup('wrong-kind');
    const file = (kind: ModelKind) => {
      const path = p(`${kind}.safetensors`);
      writeFileSync(path, encodeCheckpoint(tinyCheckpoint(kind, { meta: distill(kind) })));
      return path;
    };
    const models = { judge: file('judge'), fmlm: file('fmlm'), flowmap: file('flowmap'), flm: model };
    const out = p('out.safetensors');
    const cases: [string, string[], RegExp][] = [];
    for (const kind of ['judge', 'fmlm', 'flowmap'] as const) {
      cases.push([`${kind} as train --resume`, ['train', '--corpus', corpus, '--resume', models[kind]], new RegExp(`is a ${kind} checkpoint, not an FLM`)]);
      cases.push([`${kind} as distill --teacher`, ['distill', '--stage', '1', '--teacher', models[kind], '--corpus', corpus], new RegExp(`is a ${kind} checkpoint, not an FLM`)]);
    }
    for (const kind of ['flm', 'judge', 'fmlm'] as const) {
      cases.push([`${kind} as --teacher-g`, ['distill', '--stage', '2', '--teacher', model, '--teacher-g', models[kind], '--corpus', corpus], new RegExp(`is a ${kind} checkpoint, not a stage-1 flow map`)]);
    }
    cases.push(['an FLM as a stage-1 distill --resume', ['distill', '--stage', '1', '--teacher', model, '--resume', model, '--corpus', corpus], /is a flm checkpoint, not a flow map/]);
    cases.push(['a flow map as a stage-2 distill --resume', ['distill', '--stage', '2', '--teacher', model, '--teacher-g', models.flowmap, '--resume', models.flowmap, '--corpus', corpus], /is a flowmap checkpoint, not an FMLM/]);
    cases.push(['an FLM as train-judge --resume', ['train-judge', '--corpus', corpus, '--resume', model], /is a flm checkpoint, not a judge/]);
    for (const [what, args, message] of cases) {
      const r = flm([...args, '--out', out, ...QUICK, '--steps', '1']);
      expect(r.status, `${what}: ${r.stderr}`).toBe(2);
      expect(r.stderr, what).toMatch(message);
      expect(existsSync(out), what).toBe(false);
    }
  });

  it('a tokenizer whose size is not the model vocabulary is refused (resume, teacher, --like)', async () => {
    const { p, corpus } = await tinySetup('wrong-tokenizer');
    const other = CharTokenizer.fromText('abcdefghijklmnopqrstuvwxyz .\n');
    const path = p('mismatch.safetensors');
    writeFileSync(path, encodeCheckpoint(tinyCheckpoint('flm', { meta: { tokenizer: other.toJSON() } })));
    const out = p('out.safetensors');
    for (const args of [
      ['train', '--corpus', corpus, '--resume', path],
      ['distill', '--stage', '1', '--teacher', path, '--corpus', corpus],
      ['train-judge', '--corpus', corpus, '--like', path],
    ]) {
      const r = flm([...args, '--out', out, ...QUICK, '--steps', '1']);
      expect(r.status, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`tokenizer has ${other.vocabSize} tokens but the model's vocabulary is \\d+`));
      expect(existsSync(out)).toBe(false);
    }
  });
});
