/** Each view's "what am I looking at" paragraph (shown by App above the view, components/Intro.tsx). */
import type { ReactNode } from 'react';
import { Term } from './components/Term.tsx';
import type { ViewId } from './viewRegistry.ts';

/** The order a newcomer meets the views in; Engine is for the curious, off the path. */
export const SUGGESTED_PATH: readonly ViewId[] = ['demo', 'sample', 'train', 'distill', 'evaluate'];

export const INTROS: Record<ViewId, ReactNode> = {
  demo: (
    <p>
      Two models start from the same random noise. The <Term k="FMLM" /> writes its text in <Term k="one-step">one step</Term>;
      its teacher, the <Term k="FLM" />, takes many <Term k="Euler steps" /> to get there. The marked characters are where the two
      samples disagree, and the table says what each side cost in network evaluations and milliseconds. Press Generate for new
      noise, and move the slider to give the FLM more or fewer steps.
    </p>
  ),
  sample: (
    <p>
      One model samples here, frame by frame: each position of the text starts as noise over the whole vocabulary and moves towards
      one token. An <Term k="FLM" /> takes one frame per <Term k="Euler steps">Euler step</Term>; an <Term k="FMLM" /> jumps in{' '}
      <Term k="one-step">one step</Term>. The cells show each position&apos;s candidate tokens, the heatmap how unsure it still is
      (<Term k="entropy" />). Sampling uses the <Term k="EMA" /> weights.
    </p>
  ),
  train: (
    <p>
      Train an <Term k="FLM" /> from scratch on the bundled corpus or your own text. The chart shows the training loss and the{' '}
      <Term k="validation CE" /> in <Term k="nats" /> per token, with the text&apos;s unigram <Term k="entropy" /> as the line to beat;
      the previews show what the model writes as it learns. Checkpoints, with their <Term k="EMA" /> weights, are kept in this browser
      and open in the Sample, Distill and Evaluate views.
    </p>
  ),
  distill: (
    <p>
      Distillation turns a trained <Term k="FLM" /> into a <Term k="one-step">one-step</Term> model in two stages. Stage 1 learns
      a <Term k="flow map" /> from the frozen FLM; stage 2 learns the <Term k="FMLM" /> from the FLM and that flow map. The loss
      chart shows each stage learning; the result samples in the Sample view and the Demo.
    </p>
  ),
  evaluate: (
    <p>
      How good the samples are against how many steps they took. A separate judge model scores each row&apos;s samples
      (generative <Term k="perplexity" />: lower reads more like the corpus), and each row&apos;s <Term k="entropy" /> is
      compared with real text&apos;s, so a sampler that repeats itself cannot look good. One <Term k="FMLM" /> step should
      score close to many <Term k="FLM" /> <Term k="Euler steps" />.
    </p>
  ),
  engine: (
    <p>
      What computes in this browser: WebGPU on a GPU, WebAssembly SIMD on the CPU, or the plain TypeScript reference. The
      self-test runs the kernels against the official model&apos;s outputs, so you can trust what the other views show.
    </p>
  ),
};
