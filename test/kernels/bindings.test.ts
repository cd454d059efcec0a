/**
 * Kernels bind their tensors by WGSL name: `Shader` reads each module's
 * @group(0) bindings from the source, `Shader.entry` lists the storage
 * variables an entry point binds by name, and `ctx.dispatch` takes the
 * tensors as a record keyed by those names. Everything here runs without a
 * GPU: the source parsing, every kernel's definition checked against its
 * WGSL, and the errors for a wrong name, a missing or an extra tensor and an
 * unknown entry point (dispatch raises them before it touches the device).
 * test/kernels/bindingsGpu.test.ts binds by name on a real device.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// Loads every kernel wrapper, and so builds every Shader.
import '../../src/engine/kernels/index.ts';
import { parseBindings, Shader, shaders } from '../../src/engine/kernels/kernel.ts';
import { checkEntryPoint, checkTensorNames, GpuContext, stripWgslComments, type KernelDef } from '../../src/engine/webgpu/context.ts';
import type { Tensor } from '../../src/engine/backend.ts';

const root = new URL('../../', import.meta.url);
const shaderFiles = readdirSync(new URL('shaders/', root)).filter((f) => f.endsWith('.wgsl')).map((f) => f.slice(0, -5)).sort();
const kernelShaders = (): Shader[] => shaders().filter((s) => shaderFiles.includes(s.name));

/**
 * The module-scope variables an entry point uses: the identifiers of its
 * body and, transitively, of the module's functions it calls, less member
 * names (after a '.') and each function's parameters and local declarations
 * (which shadow a global of the same name: the preludes' helpers take an `x`).
 */
function usedGlobals(source: string, entry: string, globals: ReadonlySet<string>): Set<string> {
  const code = stripWgslComments(source);
  const fns = new Map<string, { text: string; locals: Set<string> }>();
  for (const m of code.matchAll(/\bfn\s+([A-Za-z_]\w*)\s*\(/g)) {
    let i = code.indexOf('{', m.index);
    const open = i;
    let depth = 0;
    for (; i < code.length; i++) {
      if (code[i] === '{') depth++;
      else if (code[i] === '}' && --depth === 0) break;
    }
    const params = code.slice(m.index + m[0].length, open);
    const text = code.slice(open, i + 1);
    const locals = new Set([
      ...[...params.matchAll(/([A-Za-z_]\w*)\s*:/g)].map((p) => p[1]),
      ...[...text.matchAll(/\b(?:let|var|const)\s+([A-Za-z_]\w*)/g)].map((d) => d[1]),
    ]);
    fns.set(m[1], { text, locals });
  }
  expect(fns.has(entry), `fn ${entry}`).toBe(true);
  const used = new Set<string>();
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const fn = fns.get(name)!;
    for (const m of fn.text.matchAll(/(\.\s*)?\b([A-Za-z_]\w*)\b/g)) {
      const id = m[2];
      if (m[1] || fn.locals.has(id)) continue;
      if (globals.has(id)) used.add(id);
      else if (fns.has(id)) visit(id);
    }
  };
  visit(entry);
  return used;
}

describe('WGSL bindings by name', () => {
  it('every shader in shaders/ parses, with one uniform and its storage bindings in @group(0)', () => {
    for (const name of shaderFiles) {
      const declared = parseBindings(name, readFileSync(new URL(`shaders/${name}.wgsl`, root), 'utf8'));
      const kinds = [...declared.values()].map((b) => b.kind);
      expect(kinds.filter((k) => k === 'uniform'), name).toHaveLength(1);
      expect(kinds.filter((k) => k !== 'uniform').length, name).toBeGreaterThan(0);
    }
    // The modules as assembled (preludes first) declare the same bindings.
    for (const s of kernelShaders()) {
      expect([...s.declared.keys()].sort(), s.name).toEqual(
        [...parseBindings(s.name, readFileSync(new URL(`shaders/${s.name}.wgsl`, root), 'utf8')).keys()].sort());
    }
  });

  it('reads names, indices and kinds from the declarations, ignoring comments and other variables', () => {
    const declared = parseBindings('sample', `
      struct Params { n: u32 }
      // @group(0) @binding(9) var<storage, read> commented: array<f32>;
      /* @group(0) @binding(8) var<storage, read> blocked: array<f32>; /* nested */ still a comment */
      @binding(2) @group(0) var<storage, read_write> out: array<f32>;
      @group(0)
        @binding(0)
        var<uniform> p: Params;
      @group(0) @binding(1) var<storage> x: array<f32>;
      @group(0) @binding(3) var<storage, read> y: array<vec4<f32>>;
      var<workgroup> tile: array<f32, 64>;
      var<private> seed: u32;
      @compute @workgroup_size(64) fn sample_main(@builtin(global_invocation_id) id: vec3<u32>) {
        var acc = 0.0;
        out[id.x] = x[id.x] + y[0].x + acc + f32(p.n) + tile[0] + f32(seed);
      }`);
    expect([...declared.values()]).toEqual([
      { name: 'out', binding: 2, kind: 'rw' },
      { name: 'p', binding: 0, kind: 'uniform' },
      { name: 'x', binding: 1, kind: 'read' },
      { name: 'y', binding: 3, kind: 'read' },
    ]);
  });

  it('refuses a name declared twice, another group, two uniforms, a missing @binding and a storage access mode other than read or read_write', () => {
    const u = '@group(0) @binding(0) var<uniform> p: P;\n';
    const twice = `${u}@group(0) @binding(1) var<storage, read> x: array<f32>;\n@group(0) @binding(2) var<storage, read> x: array<f32>;`;
    expect(() => parseBindings('twice', twice))
      .toThrow('twice.wgsl: x is declared twice');
    expect(() => parseBindings('grouped', `${u}@group(1) @binding(0) var<storage, read> x: array<f32>;`))
      .toThrow('grouped.wgsl: x is in @group(1); the kernels bind only @group(0)');
    expect(() => parseBindings('uniforms', `${u}@group(0) @binding(1) var<uniform> q: P;`))
      .toThrow('uniforms.wgsl: more than one var<uniform> (p and q); a module has at most one');
    expect(() => parseBindings('unbound', `${u}@group(0) var<storage, read> x: array<f32>;`))
      .toThrow('unbound.wgsl: x (var<storage, read>) needs both @group(0) and @binding(i)');
    expect(() => parseBindings('writeonly', `${u}@group(0) @binding(1) var<storage, write> x: array<f32>;`))
      .toThrow("writeonly.wgsl: x has the storage access mode 'write' (read or read_write expected)");
    expect(() => parseBindings('texture', `${u}@group(0) @binding(1) var tex: texture_2d<f32>;`))
      .toThrow('texture.wgsl: tex is a binding of an unsupported kind');
    // A Shader parses its module when it is built.
    expect(() => new Shader('ctor', `${u}@group(0) @binding(1) var<uniform> q: P;`)).toThrow('ctor.wgsl: more than one var<uniform>');
  });

  it('every kernel is defined from its module: each shader in shaders/ has a Shader, each entry point exists and binds what it uses', () => {
    expect(kernelShaders().map((s) => s.name).sort()).toEqual(shaderFiles);
    const defs: KernelDef[] = kernelShaders().flatMap((s) => s.entries);
    expect(defs.length).toBeGreaterThanOrEqual(41);
    for (const s of kernelShaders()) {
      expect(s.entries.length, s.name).toBeGreaterThan(0);
      const globals = new Set(s.declared.keys());
      for (const def of s.entries) {
        const what = `${s.name}:${def.entry}`;
        expect(() => checkEntryPoint(def), what).not.toThrow();
        // The module's uniform first, then the named storage bindings, as declared, on distinct indices.
        expect(def.bindings[0], what).toEqual(s.uniform);
        for (const b of def.bindings) expect(s.declared.get(b.name), what).toEqual(b);
        expect(new Set(def.bindings.map((b) => b.binding)).size, what).toBe(def.bindings.length);
        // Exactly the module-scope bindings the entry point uses (a missing one would fail on the device).
        expect([...usedGlobals(def.source, def.entry, globals)].sort(), what).toEqual(def.bindings.map((b) => b.name).sort());
      }
    }
    // Only the matmul's weights operand takes float16, and only where the WGSL reads it as u32 words.
    const half = defs.filter((d) => d.half).map((d) => `${d.entry}:${d.half!.join(',')}`);
    expect(half.sort()).toEqual(['matmul_forward:B', 'matmul_register_forward:B']);
  });

  it('Shader.entry refuses an undeclared name, the uniform, two names on one index, a stray half name, a name twice and a wrong prefix', () => {
    const s = new Shader('probe', `
      struct P { n: u32 }
      @group(0) @binding(0) var<uniform> p: P;
      @group(0) @binding(1) var<storage, read> x: array<f32>;
      @group(0) @binding(2) var<storage, read_write> out: array<f32>;
      @group(0) @binding(1) var<storage, read_write> dst: array<f32>;
      @compute @workgroup_size(1) fn probe_copy() { out[0] = x[0] + f32(p.n); }
      @compute @workgroup_size(1) fn probe_fill() { dst[0] = f32(p.n); }`);
    expect(() => s.entry('probe_copy', ['x', 'outt'])).toThrow(
      "probe.wgsl, entry point probe_copy: binding 'outt' is not declared; the module declares storage bindings x, out, dst");
    expect(() => s.entry('probe_copy', ['p', 'x', 'out'])).toThrow(
      "probe.wgsl, entry point probe_copy: binding 'p' is the module's uniform (bound for every entry point), not a storage binding");
    expect(() => s.entry('probe_copy', ['x', 'dst'])).toThrow(
      "probe.wgsl, entry point probe_copy: 'dst' and 'x' are both @binding(1); an entry point binds each index once");
    expect(() => s.entry('probe_copy', ['x', 'out'], { half: ['y'] })).toThrow(
      "probe.wgsl, entry point probe_copy: half-float binding 'y' is not one of the entry's bindings (x, out)");
    expect(() => s.entry('probe_copy', ['x', 'out', 'x'])).toThrow("probe.wgsl, entry point probe_copy: binding 'x' is listed twice");
    expect(() => s.entry('copy', ['x', 'out'])).toThrow('entry point copy of probe.wgsl must be named probe_<what>');
    // The same module binds x@1 in one entry and dst@1 in the other.
    expect(s.entry('probe_copy', ['out', 'x']).bindings).toEqual([
      { name: 'p', binding: 0, kind: 'uniform' }, { name: 'out', binding: 2, kind: 'rw' }, { name: 'x', binding: 1, kind: 'read' },
    ]);
    expect(s.entry('probe_fill', ['dst']).bindings.map((b) => b.name)).toEqual(['p', 'dst']);
  });

  it('an entry point must exist in the source and be marked @compute', () => {
    const src = `
      @group(0) @binding(0) var<storage, read_write> out: array<f32>;
      fn helper() -> f32 { return 1.0; }
      // @compute @workgroup_size(1) fn gone_commented() {}
      @workgroup_size(1)
      @compute
      fn probe2_main() { out[0] = helper(); }`;
    const s = new Shader('probe2', src);
    expect(() => checkEntryPoint(s.entry('probe2_main', ['out']))).not.toThrow();
    expect(() => checkEntryPoint(s.entry('probe2_mian', ['out']))).toThrow(
      'probe2.wgsl has no compute entry point probe2_mian; its entry points are probe2_main');
    const helper: KernelDef = { ...s.entry('probe2_main', ['out']), entry: 'helper' };
    expect(() => checkEntryPoint(helper)).toThrow('probe2.wgsl has no compute entry point helper (fn helper is not marked @compute)');
    expect(() => checkEntryPoint({ ...helper, entry: 'gone_commented' })).toThrow('no compute entry point gone_commented');
  });

  describe('dispatch matches tensors by name', () => {
    const s = new Shader('probe3', `
      struct P { n: u32 }
      @group(0) @binding(0) var<uniform> p: P;
      @group(0) @binding(1) var<storage, read> x: array<f32>;
      @group(0) @binding(2) var<storage, read_write> out: array<f32>;
      @compute @workgroup_size(1) fn probe3_copy() { out[0] = x[0] + f32(p.n); }`);
    const COPY = s.entry('probe3_copy', ['x', 'out']);
    const t = {} as Tensor;

    it('checkTensorNames names the missing and the extra tensors', () => {
      expect(() => checkTensorNames(COPY, { out: t, x: t })).not.toThrow();
      expect(() => checkTensorNames(COPY, { x: t })).toThrow('probe3.wgsl, entry point probe3_copy: no tensor for out (it binds x, out)');
      expect(() => checkTensorNames(COPY, { x: t, out: t, y: t })).toThrow(
        'probe3.wgsl, entry point probe3_copy: tensors for y, which it does not bind (it binds x, out)');
      expect(() => checkTensorNames(COPY, { x: t, outt: t })).toThrow(
        'probe3.wgsl, entry point probe3_copy: no tensor for out; tensors for outt, which it does not bind (it binds x, out)');
      expect(() => checkTensorNames(COPY, { x: t, out: undefined as unknown as Tensor })).toThrow('no tensor for out');
    });

    // A context on a device that only reports being alive: dispatch must refuse before it uses the device.
    const device = { lost: new Promise(() => undefined), addEventListener: () => undefined } as unknown as GPUDevice;
    const ctx = new GpuContext(device);

    it('ctx.dispatch refuses a missing or extra tensor and an unknown entry point before using the device', () => {
      expect(() => ctx.dispatch(COPY, {}, { x: t }, null, [1, 1, 1])).toThrow('probe3.wgsl, entry point probe3_copy: no tensor for out');
      expect(() => ctx.dispatch(COPY, {}, { x: t, out: t, bias: t }, null, [1, 1, 1])).toThrow('tensors for bias, which it does not bind');
      const unknown = s.entry('probe3_paste', ['x', 'out']);
      expect(() => ctx.dispatch(unknown, {}, { x: t, out: t }, null, [1, 1, 1])).toThrow(
        'probe3.wgsl has no compute entry point probe3_paste; its entry points are probe3_copy');
      expect(ctx.pipelineCount).toBe(0);
    });
  });
});
