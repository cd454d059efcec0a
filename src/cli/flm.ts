/**
 * The `flm` command: FLM Studio's core in Node, on the same engine as the
 * browser. `npm run flm -- <command> [options]`.
 */
import { parseArgs } from 'node:util';
import { parityCommand } from './parity.ts';
import { InspectError, inspectFile } from './inspect.ts';
import { sampleCommand } from './sample.ts';
import { distillCommand } from './distill.ts';
import { trainCommand } from './train.ts';
import { trainJudgeCommand } from './trainJudge.ts';
import { evalCommand } from './evaluate.ts';
import { convertCommand } from './convert.ts';
import { exportOnnxCommand } from './exportOnnx.ts';
import { ModelFileError } from './modelFile.ts';
import type { PresetName } from '../train/presets.ts';
import { BACKEND_NAMES, isBackendName } from './backend.ts';

const USAGE = `usage: npm run flm -- <command> [options]

commands:
  parity <dir> [--backend cpu|webgpu|wasm]   compare the engine with golden fixtures in <dir>
                                         (dit_*.safetensors, time_map.json, X.ckpt with
                                         X.expected.safetensors, …); prints a table and,
                                         last, one JSON line; exits 1 if a tolerance is exceeded
  train --corpus <brown|file> --preset <micro|small> [--tokenizer char|bpe] --steps N --out <file.safetensors>
        [--resume <file>] [--seed S] [--backend webgpu|cpu|wasm] [--batch B] [--lr x] [--warmup n]
        [--eval-every n] [--save-every n] [--dropout p]
                                         train an FLM headless; last line: one JSON object
                                         {"steps","first_loss","last_loss","val_ce","tokens_per_s",…}
  sample --checkpoint <file.safetensors|file.ckpt> --steps N [--seed S] [--count n] [--backend webgpu|cpu|wasm]
         [--trajectory <out.json>] [--k K] [--teacher <flm.safetensors>] [--runtime studio|onnx] [--onnx <file.onnx>]
                                         sampling with the EMA weights (FLM: Euler; FMLM: the one-network
                                         flow map, --steps 1 = one-step; a stage-1 flow map: two-network
                                         with --teacher); prints the texts, then
                                         one JSON line with the tokens; --trajectory writes every
                                         frame's top-K candidates, entropy and argmax (as the studio);
                                         --runtime onnx: the network runs as the exported ONNX model (or
                                         --onnx <file>) on onnxruntime-node, the rest as the studio does
  distill --stage 1|2 --teacher <flm.safetensors> [--teacher-g <g.safetensors>] --steps N --out <file>
          [--resume <file>] [--corpus <brown|file>] [--seed S] [--backend webgpu|cpu|wasm] [--batch B] [--lr x]
          [--warmup n] [--eval-every n] [--save-every n]
                                         flow-map distillation: stage 1 trains the flow map g from the
                                         FLM, stage 2 the one-step FMLM from the FLM and g; last line:
                                         {"stage","steps","first_loss","last_loss","val_error",…}
  train-judge --corpus <brown|file> --preset <micro|small> --steps N --out <file.safetensors>
              [--like <flm.safetensors>] [--resume <file>] [--seed S] [--backend webgpu|cpu|wasm] [--batch B] [--lr x]
              [--warmup n] [--eval-every n] [--save-every n] [--eval-batches n]
                                         train the autoregressive judge (causal DiT, t = 0, next-token CE)
                                         with the tokenizer of --like; last line: one JSON object
                                         {"steps","val_ce","val_ppl","val_ce_ema","val_ppl_ema",…}
  eval --models <files…> --judge <file> --samples n [--steps-flm 1,2,…,1024] [--steps-fmlm 1,2,4,8]
       [--seed S] [--batch b] [--backend webgpu|cpu|wasm] [--corpus <brown|file>] [--out dir] [--no-cache]
       [--teacher <flm>]
                                         step sweep scored by the judge: generative perplexity, entropy and
                                         ms per sample per row, plus the held-out text ("data") row; a stage-1
                                         flow map samples with its FLM teacher (--teacher, or the FLM among
                                         --models it was distilled from) at the --steps-fmlm counts; writes
                                         <out>/eval.md and <out>/eval.json; last line: the JSON file's path
  inspect <file>                         summary of a checkpoint (.safetensors or an official Lightning .ckpt)
                                         or any safetensors file; for an unreadable one, the reason on one
                                         line and exit code 2
  convert <in.ckpt> <out.safetensors>    an official PyTorch Lightning checkpoint as a studio checkpoint
                                         (weights, EMA, config); last line: one JSON object; a damaged
                                         file: the reason on one line and exit code 2
  export-onnx <checkpoint> <out.onnx> [--f16] [--weights sampling|raw]
                                         the checkpoint's DiT (.safetensors or .ckpt) as an ONNX model, opset 17:
                                         xt [batch, L, V], t [batch] (and t_prime) → logits [batch, L, V]; the
                                         sampling (EMA) weights in float32, or float16 with --f16; metadata: config,
                                         tokenizer, time map (docs/onnx.md); last line: one JSON object
`;

const num = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, not ${v}`);
  return n;
};

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
    const backend = values.backend;
    if (!isBackendName(backend)) throw new UsageError(`--backend must be ${BACKEND_NAMES.join(' or ')}, not ${backend}`);
    const summary = await parityCommand(dir, backend, (s) => console.log(s));
    console.log(JSON.stringify(summary));
    return summary.pass ? 0 : 1;
  }
  if (command === 'train') {
    const { values } = parseArgs({
      args: rest,
      options: {
        corpus: { type: 'string', default: 'brown' }, preset: { type: 'string', default: 'micro' },
        tokenizer: { type: 'string', default: 'char' },
        steps: { type: 'string' }, out: { type: 'string' }, resume: { type: 'string' }, seed: { type: 'string' },
        backend: { type: 'string', default: 'webgpu' }, batch: { type: 'string' }, lr: { type: 'string' },
        warmup: { type: 'string' }, 'eval-every': { type: 'string' }, 'save-every': { type: 'string' }, dropout: { type: 'string' },
      },
    });
    const steps = num(values.steps, 'steps');
    if (!steps || steps < 1) throw new UsageError('train needs --steps N (N ≥ 1)');
    if (!values.out) throw new UsageError('train needs --out <file.safetensors>');
    const backend = values.backend;
    if (!isBackendName(backend)) throw new UsageError(`--backend must be ${BACKEND_NAMES.join(' or ')}, not ${backend}`);
    if (values.tokenizer !== 'char' && values.tokenizer !== 'bpe') throw new UsageError(`--tokenizer must be char or bpe, not ${values.tokenizer}`);
    const summary = await trainCommand({
      corpus: values.corpus!, preset: values.preset as PresetName, tokenizer: values.tokenizer, steps, out: values.out, resume: values.resume,
      seed: num(values.seed, 'seed'), backend, batch: num(values.batch, 'batch'), lr: num(values.lr, 'lr'),
      warmup: num(values.warmup, 'warmup'), dropout: num(values.dropout, 'dropout'), evalEvery: num(values['eval-every'], 'eval-every'), saveEvery: num(values['save-every'], 'save-every'),
    }, (s) => console.error(s));
    console.log(JSON.stringify(summary));
    return 0;
  }
  if (command === 'train-judge') {
    const { values } = parseArgs({
      args: rest,
      options: {
        corpus: { type: 'string', default: 'brown' }, preset: { type: 'string', default: 'micro' }, like: { type: 'string' },
        steps: { type: 'string' }, out: { type: 'string' }, resume: { type: 'string' }, seed: { type: 'string' },
        backend: { type: 'string', default: 'webgpu' }, batch: { type: 'string' }, lr: { type: 'string' },
        warmup: { type: 'string' }, 'eval-every': { type: 'string' }, 'save-every': { type: 'string' }, 'eval-batches': { type: 'string' },
      },
    });
    const steps = num(values.steps, 'steps');
    if (!steps || steps < 1 || !Number.isInteger(steps)) throw new UsageError('train-judge needs --steps N (an integer ≥ 1)');
    if (!values.out) throw new UsageError('train-judge needs --out <file.safetensors>');
    const backend = values.backend;
    if (!isBackendName(backend)) throw new UsageError(`--backend must be ${BACKEND_NAMES.join(' or ')}, not ${backend}`);
    const summary = await trainJudgeCommand({
      corpus: values.corpus!, preset: values.preset as PresetName, like: values.like, steps, out: values.out, resume: values.resume,
      seed: num(values.seed, 'seed'), backend, batch: num(values.batch, 'batch'), lr: num(values.lr, 'lr'), warmup: num(values.warmup, 'warmup'),
      evalEvery: num(values['eval-every'], 'eval-every'), saveEvery: num(values['save-every'], 'save-every'), evalBatches: num(values['eval-batches'], 'eval-batches'),
    }, (s) => console.error(s));
    console.log(JSON.stringify(summary));
    return 0;
  }
  if (command === 'eval') {
    const { values, positionals } = parseArgs({
      args: rest, allowPositionals: true,
      options: {
        models: { type: 'string', multiple: true }, judge: { type: 'string' }, samples: { type: 'string', default: '64' },
        'steps-flm': { type: 'string' }, 'steps-fmlm': { type: 'string' }, seed: { type: 'string', default: '0' },
        batch: { type: 'string' }, backend: { type: 'string', default: 'webgpu' }, corpus: { type: 'string' },
        out: { type: 'string', default: 'eval' }, 'no-cache': { type: 'boolean', default: false }, teacher: { type: 'string' },
      },
    });
    // `--models a b c`: the files after --models that parseArgs leaves as positionals belong to it.
    const models = [...(values.models ?? []), ...positionals];
    if (!models.length) throw new UsageError('eval needs --models <file…>');
    if (!values.judge) throw new UsageError('eval needs --judge <file>');
    const samples = num(values.samples, 'samples')!;
    if (!(samples >= 1) || !Number.isInteger(samples)) throw new UsageError('--samples must be an integer ≥ 1');
    const list = (v: string | undefined, name: string): number[] | undefined => {
      if (v === undefined) return undefined;
      const xs = v.split(',').map((x) => Number(x.trim()));
      if (!xs.length || xs.some((x) => !Number.isInteger(x) || x < 1 || x > 1024)) throw new UsageError(`--${name} must be a comma-separated list of integers from 1 to 1024`);
      return xs;
    };
    const batch = num(values.batch, 'batch');
    if (batch !== undefined && (!Number.isInteger(batch) || batch < 1 || batch > 64)) throw new UsageError('--batch must be an integer from 1 to 64');
    const seed = num(values.seed, 'seed')!;
    if (!(seed >= 0 && seed < 2 ** 32 - 1024) || !Number.isInteger(seed)) throw new UsageError('--seed must be a non-negative integer');
    const backend = values.backend;
    if (!isBackendName(backend)) throw new UsageError(`--backend must be ${BACKEND_NAMES.join(' or ')}, not ${backend}`);
    const path = await evalCommand({
      models, judge: values.judge, samples, stepsFlm: list(values['steps-flm'], 'steps-flm'), stepsFmlm: list(values['steps-fmlm'], 'steps-fmlm'),
      seed, batch, backend, corpus: values.corpus, out: values.out!, cache: !values['no-cache'], teacher: values.teacher,
    }, (s) => console.error(s));
    console.log(path);
    return 0;
  }
  if (command === 'distill') {
    const { values } = parseArgs({
      args: rest,
      options: {
        stage: { type: 'string' }, teacher: { type: 'string' }, 'teacher-g': { type: 'string' },
        steps: { type: 'string' }, out: { type: 'string' }, resume: { type: 'string' }, corpus: { type: 'string' }, seed: { type: 'string' },
        backend: { type: 'string', default: 'webgpu' }, batch: { type: 'string' }, lr: { type: 'string' },
        warmup: { type: 'string' }, 'eval-every': { type: 'string' }, 'save-every': { type: 'string' },
      },
    });
    const stage = num(values.stage, 'stage');
    if (stage !== 1 && stage !== 2) throw new UsageError('distill needs --stage 1 or --stage 2');
    if (!values.teacher) throw new UsageError('distill needs --teacher <FLM checkpoint>');
    if (stage === 2 && !values['teacher-g']) throw new UsageError('distill --stage 2 needs --teacher-g <stage-1 checkpoint>');
    const steps = num(values.steps, 'steps');
    if (!steps || steps < 1 || !Number.isInteger(steps)) throw new UsageError('distill needs --steps N (an integer ≥ 1)');
    if (!values.out) throw new UsageError('distill needs --out <file.safetensors>');
    const backend = values.backend;
    if (!isBackendName(backend)) throw new UsageError(`--backend must be ${BACKEND_NAMES.join(' or ')}, not ${backend}`);
    const summary = await distillCommand({
      stage, teacher: values.teacher, teacherG: values['teacher-g'], steps, out: values.out, resume: values.resume, corpus: values.corpus,
      seed: num(values.seed, 'seed'), backend, batch: num(values.batch, 'batch'), lr: num(values.lr, 'lr'), warmup: num(values.warmup, 'warmup'),
      evalEvery: num(values['eval-every'], 'eval-every'), saveEvery: num(values['save-every'], 'save-every'),
    }, (s) => console.error(s));
    console.log(JSON.stringify(summary));
    return 0;
  }
  if (command === 'inspect') {
    const file = rest[0];
    if (!file) throw new UsageError('inspect needs a file');
    try {
      for (const line of inspectFile(file)) console.log(line);
      return 0;
    } catch (e) {
      if (!(e instanceof InspectError)) throw e;
      console.log(e.message.replace(/\s+/g, ' '));
      return 2;
    }
  }
  if (command === 'convert') {
    const [input, output, ...more] = rest;
    if (!input || !output || more.length) throw new UsageError('convert needs <in.ckpt> <out.safetensors>');
    console.log(JSON.stringify(convertCommand(input, output)));
    return 0;
  }
  if (command === 'export-onnx') {
    const { values, positionals } = parseArgs({
      args: rest, allowPositionals: true,
      options: { f16: { type: 'boolean', default: false }, weights: { type: 'string', default: 'sampling' } },
    });
    const [input, output, ...more] = positionals;
    if (!input || !output || more.length) throw new UsageError('export-onnx needs <checkpoint> <out.onnx>');
    if (values.weights !== 'sampling' && values.weights !== 'raw') throw new UsageError(`--weights must be sampling or raw, not ${values.weights}`);
    console.log(JSON.stringify(exportOnnxCommand(input, output, { f16: values.f16, weights: values.weights })));
    return 0;
  }
  if (command === 'sample') {
    const { values } = parseArgs({
      args: rest,
      options: {
        checkpoint: { type: 'string' }, steps: { type: 'string' }, seed: { type: 'string', default: '0' },
        count: { type: 'string', default: '1' }, backend: { type: 'string', default: 'webgpu' },
        trajectory: { type: 'string' }, k: { type: 'string', default: '8' }, teacher: { type: 'string' },
        runtime: { type: 'string', default: 'studio' }, onnx: { type: 'string' },
      },
    });
    if (!values.checkpoint) throw new UsageError('sample needs --checkpoint <file>');
    const runtime = values.runtime;
    if (runtime !== 'studio' && runtime !== 'onnx') throw new UsageError(`--runtime must be studio or onnx, not ${runtime}`);
    if (values.onnx && runtime !== 'onnx') throw new UsageError('--onnx <file> goes with --runtime onnx');
    const steps = num(values.steps, 'steps');
    if (!steps || steps < 1 || !Number.isInteger(steps)) throw new UsageError('sample needs --steps N (an integer ≥ 1)');
    const count = num(values.count, 'count')!;
    if (!(count >= 1) || !Number.isInteger(count)) throw new UsageError('--count must be an integer ≥ 1');
    const backend = values.backend;
    if (!isBackendName(backend)) throw new UsageError(`--backend must be ${BACKEND_NAMES.join(' or ')}, not ${backend}`);
    const k = num(values.k, 'k')!;
    if (!(k >= 1) || !Number.isInteger(k)) throw new UsageError('--k must be an integer ≥ 1');
    const seed = num(values.seed, 'seed')!;
    if (!(seed >= 0 && seed < 2 ** 32) || !Number.isInteger(seed)) throw new UsageError('--seed must be an integer from 0 to 4294967295');
    const summary = await sampleCommand({ checkpoint: values.checkpoint, steps, seed, count, backend, trajectory: values.trajectory, k, teacher: values.teacher, runtime, onnx: values.onnx }, (s) => console.log(s));
    console.log(JSON.stringify(summary));
    return 0;
  }
  throw new UsageError(`unknown command "${command}"`);
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ModelFileError) {
      // A model file that cannot be opened: its reason on one line.
      console.error(`flm: ${err.message}`);
      process.exit(2);
    }
    if (err instanceof UsageError) {
      console.error(`flm: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(`flm: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
