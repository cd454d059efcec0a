/**
 * The `flm` command line, parsed and checked once: every option's value is
 * validated here (numbers, ranges, names), before any file is opened or any
 * work starts, and a bad one is a UsageError with a clear message (exit 2).
 * What depends on a model (the batch a memory budget allows, --k against a
 * vocabulary) is checked where the model is known.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isBundledBpe } from '../data/tokenizer.ts';
import { PRESETS, type PresetName } from '../train/presets.ts';
import { BACKEND_CHOICES, isBackendChoice, type BackendChoice } from './backend.ts';
import { OPTION_LIMITS } from './limits.ts';
import type { DistillOptions } from './distill.ts';
import type { EvalOptions } from './evaluate.ts';
import type { SampleOptions } from './sample.ts';
import type { TrainOptions } from './train.ts';
import type { TrainJudgeOptions } from './trainJudge.ts';

/** A command line that cannot be run: `flm` prints the message and the usage, and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Decimal numbers, optionally signed, with an optional exponent: no hex, no blanks, no "Infinity". */
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function parseNumber(v: string, name: string): number {
  const n = NUMBER.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, not "${v}"`);
  return n;
}

/** An integer option in [min, max]. */
export function intOption(v: string | undefined, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = parseNumber(v, name);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}, not ${v}`);
  }
  return n;
}

/** A comma-separated list of step counts (`--steps-flm 1,2,4`), each a whole number from 1 to OPTION_LIMITS.evalSteps. */
export function stepsOption(v: string, name: string): number[] {
  return v.split(',').map((x) => intOption(x.trim(), name, 1, OPTION_LIMITS.evalSteps)!);
}

/** A real option: `min` inclusive, `max` exclusive (as a probability), or above 0 when `positive`. */
export function realOption(v: string | undefined, name: string, range: { positive?: boolean; min?: number; below?: number }): number | undefined {
  if (v === undefined) return undefined;
  const n = parseNumber(v, name);
  if (range.positive && !(n > 0)) throw new UsageError(`--${name} must be a number above 0, not ${v}`);
  if (range.min !== undefined && range.below !== undefined && !(n >= range.min && n < range.below)) {
    throw new UsageError(`--${name} must be at least ${range.min} and below ${range.below}, not ${v}`);
  }
  return n;
}

const need = <T>(v: T | undefined, message: string): T => {
  if (v === undefined) throw new UsageError(message);
  return v;
};

function backendOption(v: string | undefined): BackendChoice {
  if (!isBackendChoice(v)) throw new UsageError(`--backend must be ${BACKEND_CHOICES.join(' or ')}, not ${v}`);
  return v;
}

/** --backend and --threads (the WebAssembly backend's threads; the bits are the same for any count). */
const BACKEND_OPTIONS = { backend: { type: 'string', default: 'auto' }, threads: { type: 'string' } } as const satisfies Options;

function backendOptions(v: { backend?: string; threads?: string }): { backend: BackendChoice; threads: number | undefined } {
  const backend = backendOption(v.backend);
  const threads = intOption(v.threads, 'threads', 1, OPTION_LIMITS.threads);
  if (threads !== undefined && backend !== 'wasm' && backend !== 'auto') throw new UsageError(`--threads goes with --backend wasm or auto, not ${backend}`);
  return { backend, threads };
}

/** A preset by its own name only: `__proto__`, `toString` and the like are no presets. */
function presetOption(v: string | undefined): PresetName {
  if (v === undefined || !Object.hasOwn(PRESETS, v)) throw new UsageError(`--preset must be ${Object.keys(PRESETS).join(' or ')}, not ${v}`);
  return v as PresetName;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Node's parseArgs, its errors as UsageErrors. A negative number after an
 * option that takes a value (`--lr -1`) is that option's value, so that the
 * range check can say what is wrong with it (parseArgs would call it ambiguous).
 */
function parse<O extends Options>(args: string[], options: O, allowPositionals = false) {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i], next = args[i + 1];
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    if (name && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d|Infinity|inf|NaN)/i.test(next)) {
      joined.push(`${a}=${next}`);
      i++;
    } else joined.push(a);
  }
  try {
    return parseArgs({ args: joined, options, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

const RUN_OPTIONS = {
  steps: { type: 'string' }, out: { type: 'string' }, resume: { type: 'string' }, seed: { type: 'string' },
  ...BACKEND_OPTIONS, batch: { type: 'string' }, lr: { type: 'string' },
  warmup: { type: 'string' }, 'eval-every': { type: 'string' }, 'save-every': { type: 'string' },
} as const satisfies Options;

/** What every training command takes (train, train-judge, distill), checked. */
function runOptions(v: { [K in keyof typeof RUN_OPTIONS]?: string }, command: string) {
  const L = OPTION_LIMITS;
  return {
    steps: need(intOption(v.steps, 'steps', 1, L.steps), `${command} needs --steps N (a whole number ≥ 1)`),
    out: need(v.out || undefined, `${command} needs --out <file.safetensors>`),
    resume: v.resume,
    seed: intOption(v.seed, 'seed', 0, L.seed),
    ...backendOptions(v),
    batch: intOption(v.batch, 'batch', 1, L.batch),
    lr: realOption(v.lr, 'lr', { positive: true }),
    warmup: intOption(v.warmup, 'warmup', 0, L.warmup),
    evalEvery: intOption(v['eval-every'], 'eval-every', 0, L.every),
    saveEvery: intOption(v['save-every'], 'save-every', 0, L.every),
  };
}

export type Command =
  | { command: 'help'; code: number }
  | { command: 'parity'; dir: string; backend: BackendChoice; threads: number | undefined }
  | { command: 'train'; options: TrainOptions }
  | { command: 'train-judge'; options: TrainJudgeOptions }
  | { command: 'distill'; options: DistillOptions }
  | { command: 'eval'; options: EvalOptions }
  | { command: 'sample'; options: SampleOptions }
  | { command: 'inspect'; file: string }
  | { command: 'convert'; input: string; output: string }
  | { command: 'bundle'; input: string; output: string; dtype: 'F32' | 'F16' | 'BF16' }
  | { command: 'export-onnx'; input: string; output: string; f16: boolean; weights: 'sampling' | 'raw' };

const isJsonPath = (s: string): s is `${string}.json` => s.endsWith('.json');

/** The command line `argv` (without node and the script), parsed and checked; throws UsageError. */
export function parseCommandLine(argv: string[]): Command {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h') return { command: 'help', code: command ? 0 : 2 };
  if (command === 'parity') {
    const { values, positionals } = parse(rest, BACKEND_OPTIONS, true);
    const dir = need(positionals[0], 'parity needs a fixture folder');
    if (positionals.length > 1) throw new UsageError('parity takes one fixture folder');
    return { command, dir, ...backendOptions(values) };
  }
  if (command === 'train') {
    const { values } = parse(rest, {
      ...RUN_OPTIONS, corpus: { type: 'string', default: 'brown' }, preset: { type: 'string', default: 'micro' },
      tokenizer: { type: 'string', default: 'char' }, dropout: { type: 'string' },
    });
    const tokenizer = values.tokenizer!;
    if (tokenizer !== 'char' && !isBundledBpe(tokenizer) && !isJsonPath(tokenizer)) {
      throw new UsageError(`--tokenizer must be char, bpe, bpe-4096 or a tokenizer.json file, not ${tokenizer}`);
    }
    return {
      command,
      options: {
        ...runOptions(values, 'train'), corpus: values.corpus!, preset: presetOption(values.preset), tokenizer,
        dropout: realOption(values.dropout, 'dropout', { min: 0, below: 1 }),
      },
    };
  }
  if (command === 'train-judge') {
    const { values } = parse(rest, {
      ...RUN_OPTIONS, corpus: { type: 'string', default: 'brown' }, preset: { type: 'string', default: 'micro' },
      like: { type: 'string' }, 'eval-batches': { type: 'string' },
    });
    return {
      command,
      options: {
        ...runOptions(values, 'train-judge'), corpus: values.corpus!, preset: presetOption(values.preset), like: values.like,
        evalBatches: intOption(values['eval-batches'], 'eval-batches', 1, OPTION_LIMITS.evalBatches),
      },
    };
  }
  if (command === 'distill') {
    const { values } = parse(rest, { ...RUN_OPTIONS, stage: { type: 'string' }, teacher: { type: 'string' }, 'teacher-g': { type: 'string' }, corpus: { type: 'string' } });
    const stage = values.stage === '1' ? 1 : values.stage === '2' ? 2 : undefined;
    if (stage === undefined) throw new UsageError(`distill needs --stage 1 or --stage 2${values.stage === undefined ? '' : `, not ${values.stage}`}`);
    const teacher = need(values.teacher, 'distill needs --teacher <FLM checkpoint>');
    if (stage === 2 && !values['teacher-g']) throw new UsageError('distill --stage 2 needs --teacher-g <stage-1 checkpoint>');
    return { command, options: { ...runOptions(values, 'distill'), stage, teacher, teacherG: values['teacher-g'], corpus: values.corpus } };
  }
  if (command === 'eval') {
    const { values, positionals } = parse(rest, {
      models: { type: 'string', multiple: true }, judge: { type: 'string' }, samples: { type: 'string', default: '64' },
      'steps-flm': { type: 'string' }, 'steps-fmlm': { type: 'string' }, seed: { type: 'string', default: '0' },
      batch: { type: 'string' }, ...BACKEND_OPTIONS, corpus: { type: 'string' },
      out: { type: 'string', default: 'eval' }, 'no-cache': { type: 'boolean', default: false }, teacher: { type: 'string' },
    }, true);
    // `--models a b c`: the files after --models that parseArgs leaves as positionals belong to it.
    const models = [...(values.models ?? []), ...positionals];
    if (!models.length) throw new UsageError('eval needs --models <file…>');
    const judge = need(values.judge, 'eval needs --judge <file>');
    const L = OPTION_LIMITS;
    const list = (v: string | undefined, name: string): number[] | undefined => (v === undefined ? undefined : stepsOption(v, name));
    return {
      command,
      options: {
        models, judge, samples: intOption(values.samples, 'samples', 1, L.samples)!,
        stepsFlm: list(values['steps-flm'], 'steps-flm'), stepsFmlm: list(values['steps-fmlm'], 'steps-fmlm'),
        // batch j samples with seed + j
        seed: intOption(values.seed, 'seed', 0, L.seed - 1024)!, batch: intOption(values.batch, 'batch', 1, L.evalBatch),
        ...backendOptions(values), corpus: values.corpus, out: values.out!, cache: !values['no-cache'], teacher: values.teacher,
      },
    };
  }
  if (command === 'sample') {
    const { values } = parse(rest, {
      checkpoint: { type: 'string' }, steps: { type: 'string' }, seed: { type: 'string', default: '0' },
      count: { type: 'string', default: '1' }, ...BACKEND_OPTIONS,
      trajectory: { type: 'string' }, k: { type: 'string', default: '8' }, teacher: { type: 'string' },
      runtime: { type: 'string', default: 'studio' }, onnx: { type: 'string' },
    });
    const runtime = values.runtime;
    if (runtime !== 'studio' && runtime !== 'onnx') throw new UsageError(`--runtime must be studio or onnx, not ${runtime}`);
    if (values.onnx && runtime !== 'onnx') throw new UsageError('--onnx <file> goes with --runtime onnx');
    const L = OPTION_LIMITS;
    return {
      command,
      options: {
        checkpoint: need(values.checkpoint, 'sample needs --checkpoint <file>'),
        steps: need(intOption(values.steps, 'steps', 1, L.sampleSteps), 'sample needs --steps N (a whole number ≥ 1)'),
        seed: intOption(values.seed, 'seed', 0, L.seed)!, count: intOption(values.count, 'count', 1, L.count)!,
        ...backendOptions(values), trajectory: values.trajectory, k: intOption(values.k, 'k', 1, L.k)!, teacher: values.teacher,
        runtime, onnx: values.onnx,
      },
    };
  }
  if (command === 'inspect') {
    const { positionals } = parse(rest, {}, true);
    if (positionals.length !== 1) throw new UsageError('inspect needs one file');
    return { command, file: positionals[0] };
  }
  if (command === 'convert') {
    const { positionals } = parse(rest, {}, true);
    const [input, output, ...more] = positionals;
    if (!input || !output || more.length) throw new UsageError('convert needs <in.ckpt> <out.safetensors>');
    return { command, input, output };
  }
  if (command === 'bundle') {
    const { values, positionals } = parse(rest, { dtype: { type: 'string', default: 'f16' } }, true);
    const [input, output, ...more] = positionals;
    if (!input || !output || more.length) throw new UsageError('bundle needs <checkpoint> <out.safetensors>');
    const dtype = ({ f16: 'F16', bf16: 'BF16', f32: 'F32' } as const)[values.dtype as 'f16' | 'bf16' | 'f32'];
    if (!dtype) throw new UsageError(`--dtype must be f16, bf16 or f32, not ${values.dtype}`);
    return { command, input, output, dtype };
  }
  if (command === 'export-onnx') {
    const { values, positionals } = parse(rest, { f16: { type: 'boolean', default: false }, weights: { type: 'string', default: 'sampling' } }, true);
    const [input, output, ...more] = positionals;
    if (!input || !output || more.length) throw new UsageError('export-onnx needs <checkpoint> <out.onnx>');
    if (values.weights !== 'sampling' && values.weights !== 'raw') throw new UsageError(`--weights must be sampling or raw, not ${values.weights}`);
    return { command, input, output, f16: !!values.f16, weights: values.weights };
  }
  throw new UsageError(`unknown command "${command}"`);
}
