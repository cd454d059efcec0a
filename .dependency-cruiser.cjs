/**
 * The layer rules (docs/architecture.md), checked in `npm test` by
 * `npm run lint:layers`. Each layer may import only the layers listed for it;
 * a wrong import fails the build. Patterns match `src/<layer>/` anywhere in a
 * path, so test/layers/fixture/ can prove that a wrong import is caught.
 */
const CORE = 'engine|model|flm|train|distill|ar|eval|sampling|io|data|run|parity|util';

/** layer → the layers it may use (besides itself). */
const ALLOWED = {
  engine: [],
  data: [],
  util: [],
  model: ['engine'],
  flm: ['model', 'engine'],
  train: ['flm', 'model', 'engine', 'data', 'io'],
  distill: ['train', 'flm', 'model', 'engine', 'data', 'io'],
  ar: ['train', 'flm', 'model', 'engine', 'data', 'io'],
  io: ['model', 'engine', 'data'],
  sampling: ['flm', 'model', 'engine', 'data', 'io'],
  eval: ['sampling', 'ar', 'flm', 'model', 'engine', 'data', 'io'],
  run: ['train', 'distill', 'ar', 'sampling', 'io', 'data', 'flm', 'model', 'engine', 'util'],
  parity: ['io', 'model', 'flm', 'distill', 'engine', 'data'],
  cli: ['run', 'parity', 'eval', 'sampling', 'train', 'distill', 'ar', 'io', 'data', 'flm', 'model', 'engine', 'util'],
};

const layerRules = Object.entries(ALLOWED).map(([layer, ok]) => {
  const forbidden = CORE.split('|').concat(['cli', 'ui']).filter((l) => l !== layer && !ok.includes(l));
  return {
    name: `layer-${layer}`,
    comment: `src/${layer}/ may use only ${ok.length ? ok.join(', ') : 'itself'} (docs/architecture.md)`,
    severity: 'error',
    from: { path: `(^|/)src/${layer}/` },
    to: { path: [`(^|/)src/(${forbidden.join('|')})/`, '(^|/)workers/'] },
  };
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'io-engine-host-only',
      comment: 'file formats need only the host math of the engine (rotary frequencies), never a backend',
      severity: 'error',
      from: { path: '(^|/)src/io/' },
      to: { path: '(^|/)src/engine/', pathNot: '(^|/)src/engine/host/' },
    },
    {
      name: 'workers-not-ui',
      comment: 'workers are below the UI',
      severity: 'error',
      from: { path: '(^|/)workers/' },
      to: { path: ['(^|/)src/ui/', '(^|/)src/cli/'] },
    },
    {
      name: 'ui-through-workers',
      comment: 'the UI reaches compute only through workers: core modules only as types, workers only through the protocol',
      severity: 'error',
      from: { path: '(^|/)src/ui/' },
      to: {
        path: [`(^|/)src/(${CORE.replace('|util', '')})/`, '(^|/)workers/', '(^|/)src/cli/'],
        pathNot: '(^|/)workers/protocol\\.ts$',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true, dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/|\\?raw$|\\.wgsl|(^|/)src/engine/wasm/assembly/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs'] },
  },
};
