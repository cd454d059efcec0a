/**
 * Inference memory at the paper's sizes, measured by building the samplers
 * on the recording backend (samplingPlan): nothing for gradients or backward
 * scratch, one set of block activations shared by all blocks, and the
 * bindings that decide how many sequences fit a device. No device needed.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/model/config.ts';
import { samplingPlan } from '../../src/sampling/session.ts';

const OWT = defaultConfig({ vocab: 50258, length: 1024, hidden: 768, heads: 12, blocks: 12, cond: 128, twoTime: true });
const LM1B = { ...OWT, vocab: 30522, length: 128 };
const MiB = 2 ** 20;

describe('inference-only memory plans at the paper sizes', () => {
  it('OWT: no gradients or backward scratch, block activations once, four [L, V] buffers', () => {
    const plan = samplingPlan(OWT, 1);
    expect(plan.parameters).toBe(169_676_626);
    const labels = plan.tensors.map((t) => t.label);
    // Gradients, their seeds and the backward scratch are a single 1-float placeholder (dce [L], which the
    // weighted loss writes in every mode, is the only other d-tensor).
    const grads = plan.tensors.filter((t) => /grad|^d[A-Za-z]|^dlogits|^dx$|^dw$/.test(t.label) && t.label !== 'dce');
    expect(grads.map((t) => `${t.label}:${t.bytes}`)).toEqual(['no gradients (inference only):16']);
    expect(labels.filter((l) => /^blocks\.\d/.test(l))).toEqual([]);
    const blocks = plan.tensors.filter((t) => t.label.startsWith('blocks.*'));
    expect(blocks.length).toBe(18);
    const perBlock = blocks.reduce((a, t) => a + t.bytes, 0);
    expect(perBlock / 1e6).toBeCloseTo(113.2, 0);
    const LV = OWT.length * OWT.vocab * 4;
    expect(plan.tensors.filter((t) => t.bytes === LV).map((t) => t.label).sort()).toEqual(['logits', 'sample.p', 'sample.tmp', 'x']);
    // what bench:paper-size measured as the peak on the device, less the weights (and the small summary buffer)
    expect(plan.workBytes).toBe(946_181_184);
    expect(plan.largest).toEqual({ label: 'x', bytes: LV });
  });

  it('the ops without a chunked path decide the batch a 128 MiB binding limit allows', () => {
    const over = (count: number, cfg = OWT) => samplingPlan(cfg, count).bindings.filter((b) => b.bytes > 128 * MiB);
    expect(over(1)).toEqual([]);
    expect(over(2)).toEqual([]);
    // three sequences' attention probabilities [3, 12, 1024, 1024] are 151 MB in one binding
    expect(new Set(over(3).map((b) => `${b.op}:${b.label}`))).toEqual(new Set(['attention:blocks.*.att']));
    expect(over(64, LM1B)).toEqual([]);
    const lm1b = samplingPlan(LM1B, 1);
    expect(lm1b.workBytes! / 1e6).toBeCloseTo(72.1, 0);
  });
});
