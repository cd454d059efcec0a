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
  async function models(tag: string) {
    const { p, model, corpus } = await tinySetup(tag);
    const file = (kind: ModelKind) => {
      const path = p(`${kind}.safetensors`);
      writeFileSync(path, encodeCheckpoint(tinyCheckpoint(kind, { meta: distill(kind) })));
      return path;
    };
    return { p, corpus, models: { judge: file('judge'), fmlm: file('fmlm'), flowmap: file('flowmap'), flm: model } };
  }

  function refuse(cases: [string, string[], RegExp][], out: string): void {
    for (const [what, args, message] of cases) {
      const r = flm([...args, '--out', out, ...QUICK, '--steps', '1']);
      expect(r.status, `${what}: ${r.stderr}`).toBe(2);
      expect(r.stderr, what).toMatch(message);
      expect(existsSync(out), what).toBe(false);
    }
  }

  it('judge, FMLM and flow map as train --resume or distill --teacher', async () => {
    const { p, corpus, models: m } = await models('wrong-kind');
    const cases: [string, string[], RegExp][] = [];
    for (const kind of ['judge', 'fmlm', 'flowmap'] as const) {
      cases.push([`${kind} as train --resume`, ['train', '--corpus', corpus, '--resume', m[kind]], new RegExp(`is a ${kind} checkpoint, not an FLM`)]);
      cases.push([`${kind} as distill --teacher`, ['distill', '--stage', '1', '--teacher', m[kind], '--corpus', corpus], new RegExp(`is a ${kind} checkpoint, not an FLM`)]);
    }
    refuse(cases, p('out.safetensors'));
  });

  it('non-flow-maps as --teacher-g; the wrong kind as a distill or train-judge --resume', async () => {
    const { p, corpus, models: m } = await models('wrong-kind-2');
    const cases: [string, string[], RegExp][] = [];
    for (const kind of ['flm', 'judge', 'fmlm'] as const) {
      cases.push([`${kind} as --teacher-g`, ['distill', '--stage', '2', '--teacher', m.flm, '--teacher-g', m[kind], '--corpus', corpus], new RegExp(`is a ${kind} checkpoint, not a stage-1 flow map`)]);
    }
    cases.push(['an FLM as a stage-1 distill --resume', ['distill', '--stage', '1', '--teacher', m.flm, '--resume', m.flm, '--corpus', corpus], /is a flm checkpoint, not a flow map/]);
    cases.push(['a flow map as a stage-2 distill --resume', ['distill', '--stage', '2', '--teacher', m.flm, '--teacher-g', m.flowmap, '--resume', m.flowmap, '--corpus', corpus], /is a flowmap checkpoint, not an FMLM/]);
    cases.push(['an FLM as train-judge --resume', ['train-judge', '--corpus', corpus, '--resume', m.flm], /is a flm checkpoint, not a judge/]);
    refuse(cases, p('out.safetensors'));
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
