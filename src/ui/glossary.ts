/** The studio's technical terms in a sentence each, for the glossary tooltips (components/Term.tsx). */
export const GLOSSARY = {
  FLM: 'Flow-based language model: a network that moves every position of a sequence from Gaussian noise towards a one-hot token, a little at each of many steps.',
  FMLM: 'Flow-map language model: an FLM distilled so that it jumps from noise to text in one step (one network evaluation) instead of many.',
  'flow map': 'A network that predicts where the FLM\'s many small steps end up between two times, so that one jump replaces them. Stage 1 of distillation learns it; stage 2 turns it into the one-step FMLM.',
  EMA: 'Exponential moving average of the weights during training: a smoothed copy that usually samples better than the latest weights. Sampling uses it.',
  nats: 'The unit of information with natural logarithms (1 nat ≈ 1.44 bits). Losses and entropies are given in nats per token.',
  'validation CE': 'Cross-entropy on held-out text the model never trains on, in nats per token: lower is better; a rise while the training loss falls means overfitting.',
  perplexity: 'Generative perplexity: how surprised a separate judge model is by the samples, exp of its mean loss per token. Lower reads more like the corpus, but only if the entropy stays near real text\'s.',
  entropy: 'How varied the tokens of a sample are (unigram entropy, in nats). A sampler that repeats itself has a low entropy and can fake a good perplexity.',
  'one-step': 'Generation with a single network evaluation: the FMLM maps noise straight to text.',
  'Euler steps': 'The number of small steps the FLM takes from noise (t = 0) to text (t = 1); each step is one network evaluation. More steps, better text, more time.',
} as const;

export type GlossaryTerm = keyof typeof GLOSSARY;
