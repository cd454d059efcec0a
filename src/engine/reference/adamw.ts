/**
 * CPU reference of the AdamW step with global-norm gradient clipping, in the
 * form of PyTorch's `clip_grad_norm_` followed by `torch.optim.AdamW`
 * (non-amsgrad). Arithmetic in f64, storage in f32.
 */
import type { AdamWParams, AdamWTensors } from '../backend.ts';
import { scalar } from '../backend.ts';


/** Per-step host-side coefficients shared by the reference and the WGSL kernel. */
export interface AdamWCoefficients {
  /** 1 − lr·wd: the decoupled weight decay factor. */
  decay: number;
  /** lr / (1 − β1^step). */
  stepSize: number;
  /** √(1 − β2^step). */
  bc2Sqrt: number;
}

export function adamwCoefficients(hp: AdamWParams): AdamWCoefficients {
  const lr = scalar(hp.lr), step = scalar(hp.step);
  if (!(step >= 1)) throw new RangeError(`adamw: step must be ≥ 1 (1-based), got ${step}`);
  return {
    decay: 1 - lr * hp.weightDecay,
    stepSize: lr / (1 - Math.pow(hp.beta1, step)),
    bc2Sqrt: Math.sqrt(1 - Math.pow(hp.beta2, step)),
  };
}

/** The clipping factor applied to every gradient (1 without clipping). */
export function clipCoefficient(normSq: number, maxGradNorm: number): number {
  return maxGradNorm > 0 ? Math.min(1, maxGradNorm / (Math.sqrt(normSq) + 1e-6)) : 1;
}

/**
 * One AdamW step over n elements, in place on params, m and v. normSq[0] is
 * Σ grads² (see globalNormSq); when it is not finite nothing is changed.
 */
export function adamw({ params, grads, m, v, normSq }: AdamWTensors<Float32Array>, n: number, hp: AdamWParams): void {
  const { decay, stepSize, bc2Sqrt } = adamwCoefficients(hp);
  const nsq = normSq[0];
  if (!Number.isFinite(nsq)) return;
  const coef = clipCoefficient(nsq, hp.maxGradNorm);
  const { beta1, beta2, eps } = hp;
  for (let i = 0; i < n; i++) {
    const g = grads[i] * coef;
    const mi = beta1 * m[i] + (1 - beta1) * g;
    const vi = beta2 * v[i] + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    params[i] = params[i] * decay - stepSize * mi / (Math.sqrt(vi) / bc2Sqrt + eps);
  }
}
