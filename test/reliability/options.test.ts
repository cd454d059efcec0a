import { describe, expect, it } from 'vitest';
import { parseCommandLine, UsageError } from '../../src/cli/args.ts';
import { flm } from './cli.ts';

/**
 * Issue 20, defect 8: every option is checked once, when the command line is
 * parsed, with a message that names it: `--steps 1.5` trained and then
 * failed, `--preset __proto__` trained a default model, `--dropout 2` and
 * fractional seeds were accepted, `--lr -1` got Node's "argument is ambiguous".
 */
const RUN = ['--out', 'x.safetensors', '--backend', 'cpu'];
const BAD: [string[], RegExp][] = [
  [['train', '--steps', '1.5', ...RUN], /--steps must be a whole number/],
  [['train', '--steps', '0', ...RUN], /--steps must be a whole number from 1/],
  [['train', '--steps', '-1', ...RUN], /--steps must be a whole number from 1/],
  [['train', '--steps', 'abc', ...RUN], /--steps must be a number, not "abc"/],
  [['train', '--steps', '0x10', ...RUN], /--steps must be a number/],
  [['train', '--steps', '1e400', ...RUN], /--steps must be a number/],
  [['train', '--steps', '', ...RUN], /--steps must be a number/],
  [['train', '--steps', '2', '--preset', '__proto__', ...RUN], /--preset must be micro or small or base, not __proto__/],
  [['train', '--steps', '2', '--preset', 'toString', ...RUN], /--preset must be micro or small/],
  [['train', '--steps', '2', '--preset', 'constructor', ...RUN], /--preset must be micro or small/],
  [['train', '--steps', '2', '--dropout', '1', ...RUN], /--dropout must be at least 0 and below 1, not 1/],
  [['train', '--steps', '2', '--dropout', '2', ...RUN], /--dropout must be at least 0 and below 1/],
  [['train', '--steps', '2', '--dropout', '37', ...RUN], /--dropout must be at least 0 and below 1/],
  [['train', '--steps', '2', '--dropout', '-0.1', ...RUN], /--dropout must be at least 0 and below 1, not -0.1/],
  [['train', '--steps', '2', '--seed', '1.5', ...RUN], /--seed must be a whole number/],
  [['train', '--steps', '2', '--seed', '-1', ...RUN], /--seed must be a whole number from 0/],
  [['train', '--steps', '2', '--seed', '4294967296', ...RUN], /--seed must be a whole number from 0 to 4,294,967,295/],
  [['train', '--steps', '2', '--lr', '-1', ...RUN], /--lr must be a number above 0, not -1/],
  [['train', '--steps', '2', '--lr', '0', ...RUN], /--lr must be a number above 0/],
  [['train', '--steps', '2', '--lr', 'NaN', ...RUN], /--lr must be a number, not "NaN"/],
  [['train', '--steps', '2', '--lr', '-Infinity', ...RUN], /--lr must be a number/],
  [['train', '--steps', '2', '--batch', '0', ...RUN], /--batch must be a whole number from 1/],
  [['train', '--steps', '2', '--batch', '1e7', ...RUN], /--batch must be a whole number from 1 to 1,000,000/],
  [['train', '--steps', '2', '--batch', '2.5', ...RUN], /--batch must be a whole number/],
  [['train', '--steps', '2', '--batch', '-3', ...RUN], /--batch must be a whole number from 1/],
  [['train', '--steps', '2', '--warmup', '-1', ...RUN], /--warmup must be a whole number from 0/],
  [['train', '--steps', '2', '--warmup', '1.5', ...RUN], /--warmup must be a whole number/],
  [['train', '--steps', '2', '--eval-every', '-5', ...RUN], /--eval-every must be a whole number from 0/],
  [['train', '--steps', '2', '--save-every', '0.5', ...RUN], /--save-every must be a whole number/],
  [['train', '--steps', '2', '--tokenizer', 'words', ...RUN], /--tokenizer must be char, bpe, bpe-4096 or a tokenizer.json file/],
  [['train', '--steps', '2', '--backend', 'tpu', '--out', 'x'], /--backend must be auto or webgpu or wasm or cpu/],
  [['train', '--steps', '2', '--stesp', '5', ...RUN], /Unknown option '--stesp'/],
  [['train', '--steps', '2'], /train needs --out/],
  [['train', '--steps', '2', '--out', '', '--backend', 'cpu'], /train needs --out/],
  [['train', ...RUN], /train needs --steps/],
  [['distill', '--stage', '1.5', '--teacher', 't', '--steps', '1', ...RUN], /distill needs --stage 1 or --stage 2, not 1.5/],
  [['distill', '--stage', '3', '--teacher', 't', '--steps', '1', ...RUN], /distill needs --stage 1 or --stage 2, not 3/],
  [['distill', '--stage', '1', '--teacher', 't', '--steps', '1.5', ...RUN], /--steps must be a whole number/],
  [['distill', '--stage', '1', '--teacher', 't', '--steps', '1', '--lr', '-1', ...RUN], /--lr must be a number above 0, not -1/],
  [['distill', '--stage', '1', '--teacher', 't', '--steps', '1', '--seed', '2.5', ...RUN], /--seed must be a whole number/],
  [['distill', '--stage', '2', '--teacher', 't', '--steps', '1', ...RUN], /--teacher-g/],
  [['train-judge', '--steps', '1.5', ...RUN], /--steps must be a whole number/],
  [['train-judge', '--steps', '1', '--preset', '__proto__', ...RUN], /--preset must be micro or small/],
  [['train-judge', '--steps', '1', '--eval-batches', '0', ...RUN], /--eval-batches must be a whole number from 1/],
  [['train-judge', '--steps', '1', '--seed', '-1', ...RUN], /--seed must be a whole number from 0/],
  [['sample', '--checkpoint', 'c', '--steps', '1.5'], /--steps must be a whole number/],
  [['sample', '--checkpoint', 'c', '--steps', '-1'], /--steps must be a whole number from 1/],
  [['sample', '--checkpoint', 'c', '--steps', '1', '--count', '1.5'], /--count must be a whole number/],
  [['sample', '--checkpoint', 'c', '--steps', '1', '--count', '100000'], /--count must be a whole number from 1 to 4,096/],
  [['sample', '--checkpoint', 'c', '--steps', '1', '--seed', '-1'], /--seed must be a whole number from 0/],
  [['sample', '--checkpoint', 'c', '--steps', '1', '--k', '0'], /--k must be a whole number from 1/],
  [['eval', '--models', 'a', '--judge', 'j', '--samples', '0'], /--samples must be a whole number from 1/],
  [['eval', '--models', 'a', '--judge', 'j', '--seed', '1.5'], /--seed must be a whole number/],
  [['eval', '--models', 'a', '--judge', 'j', '--batch', '65'], /--batch must be a whole number from 1 to 64/],
  [['eval', '--models', 'a', '--judge', 'j', '--steps-flm', '1,2.5'], /--steps-flm must be a whole number from 1 to 1,024/],
  [['eval', '--models', 'a', '--judge', 'j', '--steps-fmlm', '1,,2'], /--steps-fmlm must be a number/],
  [['inspect'], /inspect needs one file/],
  [['convert', 'a'], /convert needs/],
  [['frobnicate'], /unknown command "frobnicate"/],
];

describe('options are checked at parse time', () => {
  it(`${BAD.length} bad command lines are each refused with a message naming the option`, () => {
    const accepted: string[] = [];
    for (const [argv, message] of BAD) {
      try {
        parseCommandLine(argv);
        accepted.push(argv.join(' '));
      } catch (e) {
        expect(e, argv.join(' ')).toBeInstanceOf(UsageError);
        expect((e as Error).message, argv.join(' ')).toMatch(message);
      }
    }
    expect(accepted).toEqual([]);
  });

  it('good values pass through, typed', () => {
    const t = parseCommandLine(['train', '--steps', '1e3', '--lr', '3e-4', '--dropout', '0', '--seed', '4294967295', '--preset', 'small', ...RUN]);
    expect(t).toMatchObject({ command: 'train', options: { steps: 1000, lr: 3e-4, dropout: 0, seed: 4294967295, preset: 'small', out: 'x.safetensors', backend: 'cpu' } });
    const s = parseCommandLine(['sample', '--checkpoint', 'c', '--steps', '4']);
    expect(s).toMatchObject({ command: 'sample', options: { steps: 4, seed: 0, count: 1, k: 8 } });
  });

  it('at the command line: exit 2 with the message, before anything runs', () => {
    for (const [argv, message] of [
      [['train', '--steps', '1.5', '--out', '/nonexistent/x', '--backend', 'cpu'], /--steps must be a whole number/],
      [['train', '--steps', '1', '--lr', '-1', '--out', '/nonexistent/x', '--backend', 'cpu'], /--lr must be a number above 0, not -1/],
      [['train', '--steps', '1', '--preset', '__proto__', '--out', '/nonexistent/x', '--backend', 'cpu'], /--preset must be micro or small/],
      [['train', '--steps', '1', '--dropout', '1', '--out', '/nonexistent/x', '--backend', 'cpu'], /--dropout must be at least 0 and below 1/],
    ] as [string[], RegExp][]) {
      const r = flm(argv);
      expect(r.status, `${argv.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.split('\n')[0]).toMatch(message);
    }
  });
});
