/**
 * The UI's folder rules, checked on its source: views import shared
 * components from src/ui/components/ (never from another view), the
 * denoising visualizer belongs to the Sample view, stores are read through
 * selectors, and nothing branches on display strings. (The layer rule, no
 * value imports of core modules, is dependency-cruiser's: npm run lint:layers.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ui = new URL('../../src/ui/', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
}

const sources = files(ui).map((path) => ({ path: relative(ui, path), text: readFileSync(path, 'utf8') }));

/** The src/ui-relative paths a file imports (relative imports only). */
const importsOf = (f: { path: string; text: string }) =>
  [...f.text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm)].map((m) => relative(ui, resolve(ui, dirname(f.path), m[1])));

const folder = (p: string) => p.split('/')[0];

describe('the UI source', () => {
  it('has views that import no other view and no other view\'s parts', () => {
    const bad = sources.filter((f) => folder(f.path) === 'views').flatMap((f) => importsOf(f)
      .filter((to) => folder(to) === 'views' || (folder(to) === 'visualizer' && f.path !== 'views/SampleView.tsx'))
      .map((to) => `${f.path} → ${to}`));
    expect(bad).toEqual([]);
  });

  it('has shared components and the visualizer that import no view', () => {
    const bad = sources.filter((f) => ['components', 'visualizer'].includes(folder(f.path))).flatMap((f) => importsOf(f)
      .filter((to) => folder(to) === 'views' || (folder(f.path) === 'components' && folder(to) === 'visualizer'))
      .map((to) => `${f.path} → ${to}`));
    expect(bad).toEqual([]);
  });

  it('has reducers that import only types (they run in Node) and no store', () => {
    const bad = sources.filter((f) => folder(f.path) === 'reducers').flatMap((f) =>
      [...f.text.matchAll(/^import (?!type )[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1])
        .filter((spec) => !/^\.\/|^\.\.\/labels\.ts$/.test(spec))
        .map((spec) => `${f.path} → ${spec}`));
    expect(bad).toEqual([]);
  });

  it('reads stores through selectors, never the whole store', () => {
    const whole = sources.flatMap((f) => [...f.text.matchAll(/\buse(Train|Sample|Demo|Eval|Engine|ModelList)\(\)/g)].map((m) => `${f.path}: ${m[0]}`));
    expect(whole).toEqual([]);
  });

  it('branches on typed kinds, not on display strings', () => {
    const bad = sources.flatMap((f) => [...f.text.matchAll(/\.(?:sampler|name)\??\.startsWith\(|startsWith\('FMLM'\)/g)].map((m) => `${f.path}: ${m[0]}`));
    expect(bad).toEqual([]);
  });
});
