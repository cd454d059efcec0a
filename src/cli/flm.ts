/**
 * The `flm` command: FLM Studio's core in Node, on the same engine as the
 * browser. `npm run flm -- <command> [options]`.
 */
import { parityCommand } from './parity.ts';
import { InspectError, inspectFile } from './inspect.ts';
import { sampleCommand } from './sample.ts';
import { distillCommand } from './distill.ts';
import { trainCommand } from './train.ts';
import { trainJudgeCommand } from './trainJudge.ts';
import { evalCommand } from './evaluate.ts';
import { bundleCommand } from './bundle.ts';
import { convertCommand } from './convert.ts';
import { exportOnnxCommand } from './exportOnnx.ts';
import { ModelFileError } from './modelFile.ts';
import { CorpusError } from '../data/corpus.ts';
import { parseCommandLine, UsageError } from './args.ts';
import { RefusedError } from './files.ts';
import { InterruptedError } from './interrupt.ts';

const USAGE = `usage: npm run flm -- <command> [options]

backends (--backend, every command): auto (the default) is WebGPU on a real GPU and the
WebAssembly backend (wasm) where WebGPU is missing or emulated on the CPU (SwiftShader,
lavapipe); cpu is the TypeScript reference. --threads n: wasm's threads (default one per
core, at most 8); any count gives the same bits.

commands:
  parity <dir> [--backend …] [--threads n]
                                         compare the engine with golden fixtures in <dir>
                                         (dit_*.safetensors, time_map.json, X.ckpt with
                                         X.expected.safetensors, …); prints a table and,
                                         last, one JSON line; exits 1 if a tolerance is exceeded
  train --corpus <brown|file> --preset <micro|small|base> [--tokenizer char|bpe|bpe-4096|<tokenizer.json>] --steps N --out <file.safetensors>
        [--resume <file>] [--seed S] [--backend auto|wasm|webgpu|cpu] [--threads n] [--batch B] [--lr x] [--warmup n]
        [--eval-every n] [--save-every n] [--dropout p]
                                         train an FLM headless; last line: one JSON object
                                         {"steps","first_loss","last_loss","val_ce","tokens_per_s",…}
  sample --checkpoint <file.safetensors|file.ckpt> --steps N [--seed S] [--count n] [--backend auto|wasm|webgpu|cpu] [--threads n]
         [--trajectory <out.json>] [--k K] [--teacher <flm.safetensors>] [--runtime studio|onnx] [--onnx <file.onnx>]
                                         sampling with the EMA weights (FLM: Euler; FMLM: the one-network
                                         flow map, --steps 1 = one-step; a stage-1 flow map: two-network
                                         with --teacher); prints the texts, then
                                         one JSON line with the tokens; --trajectory writes every
                                         frame's top-K candidates, entropy and argmax (as the studio);
                                         --runtime onnx: the network runs as the exported ONNX model (or
                                         --onnx <file>) on onnxruntime-node, the rest as the studio does
  distill --stage 1|2 --teacher <flm.safetensors> [--teacher-g <g.safetensors>] --steps N --out <file>
          [--resume <file>] [--corpus <brown|file>] [--seed S] [--backend auto|wasm|webgpu|cpu] [--threads n] [--batch B] [--lr x]
          [--warmup n] [--eval-every n] [--save-every n]
                                         flow-map distillation: stage 1 trains the flow map g from the
                                         FLM, stage 2 the one-step FMLM from the FLM and g; last line:
                                         {"stage","steps","first_loss","last_loss","val_error",…}
  train-judge --corpus <brown|file> --preset <micro|small|base> --steps N --out <file.safetensors>
              [--like <flm.safetensors>] [--resume <file>] [--seed S] [--backend auto|wasm|webgpu|cpu] [--threads n] [--batch B] [--lr x]
              [--warmup n] [--eval-every n] [--save-every n] [--eval-batches n]
                                         train the autoregressive judge (causal DiT, t = 0, next-token CE)
                                         with the tokenizer of --like; last line: one JSON object
                                         {"steps","val_ce","val_ppl","val_ce_ema","val_ppl_ema",…}
  eval --models <files…> --judge <file> --samples n [--steps-flm 1,2,…,1024] [--steps-fmlm 1,2,4,8]
       [--seed S] [--batch b] [--backend auto|wasm|webgpu|cpu] [--threads n] [--corpus <brown|file>] [--out dir] [--no-cache]
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
  bundle <checkpoint> <out.safetensors> [--dtype f16|bf16|f32]
                                         the sampling (EMA) weights only, as float16 (default), bfloat16 or
                                         float32, with the config, tokenizer and loss history: a model to bundle
                                         or share (every loader widens it); last line: one JSON object
  export-onnx <checkpoint> <out.onnx> [--f16] [--weights sampling|raw]
                                         the checkpoint's DiT (.safetensors or .ckpt) as an ONNX model, opset 17:
                                         xt [batch, L, V], t [batch] (and t_prime) → logits [batch, L, V]; the
                                         sampling (EMA) weights in float32, or float16 with --f16; metadata: config,
                                         tokenizer, time map (docs/onnx.md); last line: one JSON object

training commands (train, train-judge, distill) hold <out>.lock while they run (a second writer is
refused), never write over a teacher, and on SIGINT/SIGTERM stop after the current step and save.
exit codes: 0 done; 1 failed while working (diverged; a save refused for non-finite weights; parity
out of tolerance); 2 refused before any work (options, unusable files or models, impossible settings);
130/143 stopped by SIGINT/SIGTERM after saving
`;

/**
 * Exit codes: 0 done; 1 a failure while working (training diverged, a save
 * refused for non-finite values, a tolerance exceeded in `parity`); 2 refused
 * before any work (a bad option, a file that cannot be used, a wrong model,
 * an output in use or not writable, impossible settings); 130/143 stopped by
 * SIGINT/SIGTERM after saving.
 */
async function main(argv: string[]): Promise<number> {
  const c = parseCommandLine(argv);
  switch (c.command) {
    case 'help':
      process.stdout.write(USAGE);
      return c.code;
    case 'parity': {
      const summary = await parityCommand(c.dir, c.backend, (s) => console.log(s), c.threads);
      console.log(JSON.stringify(summary));
      return summary.pass ? 0 : 1;
    }
    case 'train':
      console.log(JSON.stringify(await trainCommand(c.options, (s) => console.error(s))));
      return 0;
    case 'train-judge':
      console.log(JSON.stringify(await trainJudgeCommand(c.options, (s) => console.error(s))));
      return 0;
    case 'distill':
      console.log(JSON.stringify(await distillCommand(c.options, (s) => console.error(s))));
      return 0;
    case 'eval':
      console.log(await evalCommand(c.options, (s) => console.error(s)));
      return 0;
    case 'inspect':
      try {
        for (const line of inspectFile(c.file)) console.log(line);
        return 0;
      } catch (e) {
        if (!(e instanceof InspectError)) throw e;
        console.log(e.message.replace(/\s+/g, ' '));
        return 2;
      }
    case 'convert':
      console.log(JSON.stringify(convertCommand(c.input, c.output)));
      return 0;
    case 'bundle':
      console.log(JSON.stringify(bundleCommand(c.input, c.output, c.dtype)));
      return 0;
    case 'export-onnx':
      console.log(JSON.stringify(exportOnnxCommand(c.input, c.output, { f16: c.f16, weights: c.weights })));
      return 0;
    case 'sample':
      console.log(JSON.stringify(await sampleCommand(c.options, (s) => console.log(s))));
      return 0;
  }
}

/** An error refused before any work: a file, a model or settings that cannot be used (exit 2, one line). */
const refused = (e: unknown) => e instanceof ModelFileError || e instanceof RefusedError || e instanceof CorpusError;

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`flm: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    if (err instanceof InterruptedError) {
      console.error(`flm: ${err.message}`);
      process.exit(err.exitCode);
    }
    console.error(`flm: ${(err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ')}`);
    process.exit(refused(err) ? 2 : 1);
  },
);
