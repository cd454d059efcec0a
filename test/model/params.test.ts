/**
 * The typed parameter structure and the adaLN chunk declaration: the
 * structure covers the flat layout exactly (every spec once, in buffer
 * order), its views sit at the layout's offsets over any flat buffer, and the
 * modulation layers are as wide as the chunks they are split into.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/cpu/cpuBackend.ts';
import { BLOCK_CHUNKS, FINAL_CHUNKS, blockAdaLn, finalAdaLn } from '../../src/model/adaln.ts';
import { defaultConfig, type DiTConfig } from '../../src/model/config.ts';
import { DiT } from '../../src/model/dit.ts';
import { paramLayout, type ParamSpec } from '../../src/model/layout.ts';
import { forEachShared, hostViews, mapParams, tensorViews } from '../../src/model/params.ts';

const configs: DiTConfig[] = [
  defaultConfig({ vocab: 11, hidden: 16, heads: 2, blocks: 2, cond: 8 }),
  defaultConfig({ vocab: 7, hidden: 8, heads: 2, blocks: 3, cond: 12, twoTime: true, lossWeighting: true, mlpRatio: 3 }),
];

/** Every field of the structure, in the order mapParams visits them. */
function leaves(cfg: DiTConfig): ParamSpec[] {
  const out: ParamSpec[] = [];
  mapParams(paramLayout(cfg).params, (s) => { out.push(s); return s; });
  return out;
}

describe('typed parameters', () => {
  it('cover every spec of the flat layout once, in buffer order', () => {
    for (const cfg of configs) {
      const layout = paramLayout(cfg);
      expect(leaves(cfg)).toEqual(layout.specs);
      expect(new Set(leaves(cfg)).size).toBe(layout.specs.length);
    }
  });

  it('name the official tensors and their shapes', () => {
    const cfg = configs[1], { hidden: D, cond: C, vocab: V } = cfg, p = paramLayout(cfg).params;
    expect(p.vocabEmbed).toMatchObject({ name: 'vocab_embed.embedding', shape: [V, D] });
    expect(p.blocks[2].attnQkv.weight).toMatchObject({ name: 'blocks.2.attn_qkv.weight', shape: [3 * D, D] });
    expect(p.blocks[2].attnQkv.bias).toBeNull();
    expect(p.blocks[1].mlp2).toMatchObject({ inFeatures: 3 * D, outFeatures: D });
    expect(p.blocks[0].adaLN.weight).toMatchObject({ name: 'blocks.0.adaLN_modulation.weight', shape: [6 * D, C] });
    expect(p.finalLayer.adaLN.bias).toMatchObject({ name: 'output_layer.adaLN_modulation.bias', shape: [2 * D] });
    expect(p.sigmaMapPrime?.mlp2.weight.name).toBe('sigma_map_prime.mlp.2.weight');
    expect(p.lossWeighting?.mlp2.weight).toMatchObject({ name: 'learnable_loss_weighting.mlp.2.weight', shape: [1, 128] });
    expect(paramLayout(configs[0]).params.sigmaMapPrime).toBeNull();
    expect(paramLayout(configs[0]).params.lossWeighting).toBeNull();
  });

  it('view any flat buffer at the layout offsets (host and device)', async () => {
    const cfg = configs[1], layout = paramLayout(cfg);
    const flat = Float32Array.from({ length: layout.total }, (_, i) => i);
    const host = hostViews(flat, layout);
    const qkv = layout.params.blocks[1].attnQkv.weight;
    expect(host.blocks[1].attnQkv.weight.length).toBe(qkv.size);
    expect(host.blocks[1].attnQkv.weight[0]).toBe(qkv.offset);
    host.finalLayer.linear.weight.fill(-1);
    const lin = layout.params.finalLayer.linear.weight;
    expect(flat[lin.offset]).toBe(-1);
    expect(() => hostViews(new Float32Array(3), layout)).toThrow(RangeError);
    const cpu = new CpuBackend();
    const t = cpu.tensor(layout.total, 'moments');
    cpu.write(t, flat);
    const dev = tensorViews(cpu, t, layout, 'm.');
    expect(dev.blocks[1].attnQkv.weight.label).toBe('m.blocks.1.attn_qkv.weight');
    expect(Array.from(await cpu.read(dev.blocks[1].attnQkv.weight))).toEqual(Array.from(host.blocks[1].attnQkv.weight));
  });

  it('pair a student with its teacher on the parts both have', () => {
    const teacher = paramLayout(configs[0]).params;
    const student = paramLayout({ ...configs[0], twoTime: true, lossWeighting: true }).params;
    const pairs: [string, string][] = [];
    forEachShared(student, teacher, (a, b) => pairs.push([a.name, b.name]));
    expect(pairs.length).toBe(paramLayout(configs[0]).specs.length);
    for (const [a, b] of pairs) expect(a).toBe(b);
  });

  it('a DiT exposes typed views of its parameters and gradients', () => {
    const m = new DiT(new CpuBackend(), configs[0], 1);
    expect(m.p.blocks[1].norm2.label).toBe('blocks.1.norm2.weight');
    expect(m.g?.finalLayer.normFinal.label).toBe('grad.output_layer.norm_final.weight');
    expect(new DiT(new CpuBackend(), configs[0], 1, { inference: true }).g).toBeNull();
  });
});

describe('adaLN chunks', () => {
  it('follow the official order, D columns each', () => {
    const D = 16;
    const block = blockAdaLn(D), final = finalAdaLn(D);
    expect(block.stride).toBe(BLOCK_CHUNKS.length * D);
    expect(block.offset).toEqual({ shiftMsa: 0, scaleMsa: D, gateMsa: 2 * D, shiftMlp: 3 * D, scaleMlp: 4 * D, gateMlp: 5 * D });
    expect(final.stride).toBe(FINAL_CHUNKS.length * D);
    expect(final.offset).toEqual({ shift: 0, scale: D });
  });

  it('size the modulation layers', () => {
    for (const cfg of configs) {
      const p = paramLayout(cfg).params;
      for (const b of p.blocks) expect(b.adaLN.outFeatures).toBe(blockAdaLn(cfg.hidden).stride);
      expect(p.finalLayer.adaLN.outFeatures).toBe(finalAdaLn(cfg.hidden).stride);
    }
  });
});
