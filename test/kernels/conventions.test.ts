/**
 * The shader conventions (docs/engine.md, "Kernels"), checked on the source
 * text: one entry point naming scheme shared by the WGSL and the wrappers,
 * one workgroup size, and the shared preludes of shaders/lib/ instead of
 * per-shader copies of the grid index, the row reductions and tanh/sech².
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WORKGROUP_SIZE } from '../../src/engine/kernels/kernel.ts';

const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');
const withoutComments = (src: string): string => src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

const shaders = readdirSync(new URL('shaders/', root)).filter((f) => f.endsWith('.wgsl')).map((f) => f.slice(0, -5));
const libs = readdirSync(new URL('shaders/lib/', root)).filter((f) => f.endsWith('.wgsl')).map((f) => f.slice(0, -5));
const shaderCode = new Map(shaders.map((s) => [s, withoutComments(read(`shaders/${s}.wgsl`))]));
const libCode = new Map(libs.map((s) => [s, withoutComments(read(`shaders/lib/${s}.wgsl`))]));
const wrappers = readdirSync(new URL('src/engine/kernels/', root)).filter((f) => f.endsWith('.ts'));
const wrapperCode = new Map(wrappers.map((w) => [w, withoutComments(read(`src/engine/kernels/${w}`))]));

function entryPoints(code: string): string[] {
  return [...code.matchAll(/@compute\s+@workgroup_size\([^)]*\)\s*fn\s+(\w+)/g)].map((m) => m[1]);
}

describe('shader conventions', () => {
  it('entry points are named <shader>_<what>, in snake case', () => {
    for (const [name, code] of shaderCode) {
      const entries = entryPoints(code);
      expect(entries.length, name).toBeGreaterThan(0);
      for (const e of entries) expect(e, `${name}.wgsl`).toMatch(new RegExp(`^${name}_[a-z0-9]+(_[a-z0-9]+)*$`));
    }
  });

  it('the wrappers use exactly the entry points the shaders declare, under the same names', () => {
    const declared = new Set([...shaderCode.values()].flatMap(entryPoints));
    const defs = [...wrapperCode.values()].flatMap((code) => [...code.matchAll(/const (\w+) = [^;]*?\.entry\('(\w+)'/g)]);
    expect(defs.map((m) => m[2]).sort()).toEqual([...declared].sort());
    for (const [, constant, entry] of defs) expect(constant).toBe(entry.toUpperCase());
  });

  it('the workgroup size is declared once, in kernel.ts, and injected into the WGSL', () => {
    expect(WORKGROUP_SIZE & (WORKGROUP_SIZE - 1)).toBe(0);
    for (const [name, code] of [...shaderCode, ...libCode]) {
      // No numeric workgroup sizes, no per-shader WG constants, no literal 256.
      expect(code, name).not.toMatch(/@workgroup_size\(\s*\d/);
      expect(code, name).not.toMatch(/\b(const|override)\s+(WG|WORKGROUP_SIZE)\b/);
      expect(code, name).not.toMatch(/\b256u?\b/);
    }
    for (const [name, code] of wrapperCode) {
      if (name === 'kernel.ts') continue;
      expect(code, name).not.toMatch(/\bWG\b|WORKGROUP_SIZE\s*=|\/\s*256\b|grid\(Math\.ceil/);
    }
  });

  it('the grid index, the row reductions and tanh/sech² live only in shaders/lib', () => {
    for (const [name, code] of shaderCode) {
      expect(code, name).not.toMatch(/nwg\.x/); // flat_workgroup / flat_index / flat_row
      expect(code, name).not.toMatch(/>>=\s*1u/); // the tree loops of lib/reduce.wgsl
      expect(code, name).not.toMatch(/17\.0 \/ 315\.0|fn\s+(tanh|sech2?)(_acc)?\s*\(/); // tanh's Taylor polynomial: lib/math.wgsl
    }
    expect(libCode.get('grid')).toMatch(/fn flat_workgroup/);
    expect(libCode.get('reduce')).toMatch(/fn row_sum/);
    expect(libCode.get('math')).toMatch(/fn tanh_acc[\s\S]*fn sech2_acc/);
  });
});
