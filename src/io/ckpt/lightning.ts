/**
 * The official FLM trainer's PyTorch Lightning checkpoint (`.ckpt`), read as
 * the trainer wrote it, into a studio Checkpoint:
 *
 * - `state_dict`: the raw weights, keys `backbone.<official name>` (or
 *   `backbone._orig_mod.<name>` for a torch.compile'd backbone); keys of no
 *   model (`teacher.*` of a distillation run, …) are left out; the rotary
 *   `inv_freq` buffer is checked against the head size.
 * - `ema.shadow_params`: the EMA weights, a list in the DiT's parameter order
 *   (its state_dict order without buffers); what the official sampler uses,
 *   unless the config says `eval.disable_ema`.
 * - `hyper_parameters.config`: an OmegaConf DictConfig (read from its pickled
 *   `_content`, never constructed): the model's shape (`model.*`), two-time
 *   (`algo.double_temb`), loss weighting (`algo.learnable_loss_weighting`)
 *   and the tokenizer's name (`data.tokenizer_name_or_path`); the vocabulary
 *   comes from the weights. What is missing or contradicts the weights is an
 *   error that says so.
 * - `hyper_parameters.tokenizer` (a pickled transformers tokenizer) and the
 *   training state (optimizer, schedulers, loops, callbacks) are never read
 *   beyond their class names.
 *
 * No Node APIs: runs in pages and workers too.
 */
import { CheckpointError, checkInvFreq, INV_FREQ, layoutWeights, type Checkpoint } from '../checkpoint.ts';
import { defaultKind, META_VERSION } from '../meta.ts';
import { toFloat32, type StTensor } from '../safetensors.ts';
import { ropeInvFreq } from '../../engine/host/rope.ts';
import { validateConfig, type DiTConfig } from '../../model/config.ts';
import { paramLayout } from '../../model/layout.ts';
import { CkptError, limitsWith, type CkptLimits } from './errors.ts';
import { describe, PyDict, PyObject, PyTuple, type PyValue } from './pickle.ts';
import { openTorchZip, tensorData, TensorRef, TORCH_DTYPE_NAMES, type TorchFile } from './torch.ts';
import { bytesSource, type ByteSource } from './zip.ts';

// ---------------------------------------------------------------- the config tree

/** A config value, as plain data (OmegaConf containers and nodes unwrapped). */
export type CfgValue = null | boolean | number | string | CfgValue[] | CfgMap | CfgOpaque;
export type CfgMap = Map<string, CfgValue>;
/** A value that is neither plain data nor a config container (its class name). */
export interface CfgOpaque { opaque: string }

/** Most values the config walk visits. */
const MAX_CONFIG_VALUES = 1_000_000;

const OMEGA_CONTAINERS = new Set(['omegaconf.dictconfig.DictConfig', 'omegaconf.listconfig.ListConfig']);

/** The `__dict__` a BUILD gave an object (state, or the first half of (state, slotstate)). */
function objectState(o: PyObject): PyDict | null {
  const s = o.state instanceof PyTuple ? o.state.items[0] : o.state;
  return s instanceof PyDict ? s : null;
}

/**
 * Unwrap pickled OmegaConf containers (their `_content`) and nodes (their
 * `_val`), dicts, lists and tuples into plain data. `_parent` links (cycles)
 * are never followed; nesting is bounded.
 */
export function configTree(v: PyValue | undefined, limits: CkptLimits, depth = 0, budget = { n: 0 }): CfgValue {
  if (depth > limits.maxDepth) throw new CkptError('bad-config', `the trainer's config nests deeper than ${limits.maxDepth} levels`);
  // Shared references make a pickle a graph: a few bytes can describe a tree of billions of nodes.
  if (++budget.n > MAX_CONFIG_VALUES) throw new CkptError('too-large', `the trainer's config holds more than ${MAX_CONFIG_VALUES} values (or shares them in a way that multiplies them)`);
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return { opaque: 'bytes' };
  if (Array.isArray(v)) return v.map((x) => configTree(x, limits, depth + 1, budget));
  if (v instanceof PyTuple) return v.items.map((x) => configTree(x, limits, depth + 1, budget));
  if (v instanceof PyDict) {
    const m: CfgMap = new Map();
    for (const [k, x] of v.entries()) {
      if (typeof k === 'string' || typeof k === 'number' || typeof k === 'boolean') m.set(String(k), configTree(x, limits, depth + 1, budget));
    }
    return m;
  }
  if (v instanceof PyObject) {
    const cls = v.className;
    const state = objectState(v);
    if (OMEGA_CONTAINERS.has(cls) && state) return configTree(state.get('_content'), limits, depth + 1, budget);
    if (cls.startsWith('omegaconf.nodes.') && state) return configTree(state.get('_val'), limits, depth + 1, budget);
    // A dict subclass (Lightning's AttributeDict): its items.
    if (v.dictItems.size > 0) return configTree(v.dictItems, limits, depth + 1, budget);
    return { opaque: cls };
  }
  return { opaque: describe(v) };
}

const isMap = (v: CfgValue | undefined): v is CfgMap => v instanceof Map;
const INTERPOLATION = /^\$\{([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\}$/;

/** `a.b.c` in a config tree, following whole-value `${x.y}` interpolations (absolute paths only). */
export function cfgGet(root: CfgValue, path: string, hops = 0): CfgValue | undefined {
  let v: CfgValue | undefined = root;
  for (const part of path.split('.')) {
    if (!isMap(v)) return undefined;
    v = v.get(part);
  }
  if (typeof v === 'string') {
    const m = INTERPOLATION.exec(v);
    if (m) {
      if (hops > 16) throw new CkptError('bad-config', `the config value ${path} is an interpolation that does not resolve (a loop?)`);
      return cfgGet(root, m[1], hops + 1);
    }
  }
  return v;
}

// ---------------------------------------------------------------- the result

export interface LightningInfo {
  /** Folder name inside the zip (torch: the saved file's stem). */
  archiveName: string;
  pickleProtocol: number;
  lightningVersion?: string;
  epoch?: number;
  globalStep?: number;
  /** The prefix stripped from the model's state_dict keys. */
  prefix: string;
  /** dtypes of the backbone's tensors in state_dict, e.g. ['bfloat16']. */
  stateDictDtypes: string[];
  /** state_dict keys read as the model's weights (the rotary buffer included). */
  modelKeys: number;
  /** state_dict keys of no model (teacher networks, …), left out. */
  ignoredKeys: string[];
  /** Which weights a sampler uses: the EMA, or the raw state_dict (no EMA, or eval.disable_ema). */
  samplingWeights: 'ema' | 'state_dict';
  ema?: { tensors: number; decay?: number; numUpdates?: number; dtypes: string[]; disabledByConfig: boolean };
  /** algo.name, algo.parameterization of the trainer's config. */
  algo?: string;
  parameterization?: string;
  /** data.tokenizer_name_or_path, and the class of the pickled tokenizer (never constructed). */
  tokenizerName?: string;
  tokenizerClass?: string;
  /** Globals data.pkl names that stayed inert placeholders (classes, functions), sorted. */
  inertGlobals: string[];
  /** The config tree, plain data. */
  config: CfgValue;
}

export interface LightningCheckpoint {
  checkpoint: Checkpoint;
  info: LightningInfo;
}

export interface ReadCkptOptions {
  /** The model's name (the file name's stem, say). */
  name?: string;
  /** ISO date for the meta (default: now). */
  createdAt?: string;
  limits?: Partial<CkptLimits>;
  /**
   * Progress of reading the weights: bytes of the tensor storages the model
   * needs read so far, of `total` (known once the pickle is read and the
   * shapes checked; the training state is never read).
   */
  onProgress?: (p: CkptProgress) => void;
}

export interface CkptProgress { loaded: number; total: number }

/** Globals a torch/Lightning checkpoint is made of: not worth listing as inert placeholders. */
const PLUMBING = /^(torch\._utils\.|torch\.[A-Za-z]*Storage$|collections\.(OrderedDict|defaultdict)$|_codecs\.encode$|builtins\.|copyreg\.)/;

const fmtShape = (s: readonly number[]) => `[${s.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The rotary buffer against the reference frequencies: exactly (as
 * checkInvFreq) when stored in float32/64; within the format's rounding when
 * the whole state_dict was cast to bfloat16 or float16.
 */
function checkRotary(name: string, t: StTensor, headDim: number): void {
  if (t.dtype !== 'BF16' && t.dtype !== 'F16') {
    checkInvFreq(name, t, headDim);
    return;
  }
  const want = ropeInvFreq(headDim);
  if (!sameShape(t.shape, [want.length])) throw new CkptError('bad-weights', `Tensor ${name} has shape ${fmtShape(t.shape)}, but head size ${headDim} needs [${want.length}]`);
  const got = toFloat32(t);
  const tol = t.dtype === 'BF16' ? 2 ** -8 : 2 ** -10;
  const i = want.findIndex((w, j) => !(Math.abs(got[j] - w) <= tol * Math.abs(w) + 1e-7));
  if (i >= 0) {
    throw new CkptError('bad-weights', `Tensor ${name} holds ${got[i]} at index ${i} where the rotary position embedding of this model has ${want[i]}: it uses a different rotary base, which FLM Studio does not support`);
  }
}

/** Strip the backbone prefix (and torch.compile's `_orig_mod.`): the official name, or null for a key of no model. */
function modelName(key: string): { name: string; prefix: string } | null {
  const m = /^(backbone\.(?:_orig_mod\.)?)(.+)$/.exec(key);
  if (!m) return null;
  return { name: m[2].replace(/(^|\.)_orig_mod\./g, '$1'), prefix: m[1] };
}

function positiveInt(cfg: CfgValue, path: string, missing: string[]): number {
  const v = cfgGet(cfg, path);
  if (v === undefined || v === null) {
    missing.push(path);
    return 0;
  }
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new CkptError('bad-config', `The trainer's config has ${path} = ${JSON.stringify(v)}, not a positive whole number`);
  }
  return v;
}

function optionalBool(cfg: CfgValue, path: string): boolean | undefined {
  const v = cfgGet(cfg, path);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new CkptError('bad-config', `The trainer's config has ${path} = ${JSON.stringify(v)}, not true or false`);
  return v;
}

/**
 * Read an official Lightning `.ckpt` (the whole file's bytes, or a ByteSource
 * that reads it piece by piece). Throws CkptError, with one line saying why.
 */
export function readLightningCkpt(input: Uint8Array | ByteSource, opts: ReadCkptOptions = {}): LightningCheckpoint {
  const limits = limitsWith(opts.limits);
  const source = input instanceof Uint8Array ? bytesSource(input) : input;
  const file = openTorchZip(source, limits);
  try {
    return interpret(file, limits, opts);
  } catch (e) {
    if (e instanceof CheckpointError) throw new CkptError('bad-weights', e.message, { cause: e });
    throw e;
  }
}

function interpret(file: TorchFile, limits: CkptLimits, opts: ReadCkptOptions): LightningCheckpoint {
  const root = file.root;
  if (!(root instanceof PyDict)) {
    throw new CkptError('not-lightning', `This .ckpt holds ${describe(root)}, not a Lightning checkpoint (a dict with state_dict, hyper_parameters, …)`);
  }
  const sd = root.get('state_dict');
  if (!(sd instanceof PyDict)) {
    throw new CkptError('not-lightning', sd === undefined
      ? 'This .ckpt has no state_dict: it is a torch.save file, but not a Lightning checkpoint'
      : `This .ckpt's state_dict is ${describe(sd)}, not a dict of tensors`);
  }

  // ---- the model's tensors in state_dict order
  const model: { key: string; name: string; ref: TensorRef }[] = [];
  const ignored: string[] = [];
  const prefixes = new Set<string>();
  for (const [k, v] of sd.entries()) {
    if (typeof k !== 'string') throw new CkptError('not-lightning', `state_dict has the key ${describe(k)}; its keys should be parameter names`);
    const m = modelName(k);
    if (!m) {
      ignored.push(k);
      continue;
    }
    if (!(v instanceof TensorRef)) throw new CkptError('bad-weights', `state_dict[${JSON.stringify(k)}] is ${describe(v)}, not a tensor`);
    prefixes.add(m.prefix);
    model.push({ key: k, name: m.name, ref: v });
  }
  if (model.length === 0) {
    const some = [...sd.keys].slice(0, 3).map((k) => (typeof k === 'string' ? k : describe(k))).join(', ');
    throw new CkptError('not-lightning', `This checkpoint's state_dict has no backbone.* weights (its ${sd.size} keys start ${some || '(none)'}): it is not an FLM trainer's checkpoint`);
  }
  if (prefixes.size > 1) throw new CkptError('bad-weights', `state_dict mixes the prefixes ${[...prefixes].join(' and ')}: two backbones in one file`);
  const prefix = [...prefixes][0];
  const byName = new Map<string, (typeof model)[number]>();
  for (const t of model) {
    if (byName.has(t.name)) throw new CkptError('bad-weights', `state_dict holds ${t.name} twice (${byName.get(t.name)!.key} and ${t.key})`);
    byName.set(t.name, t);
  }
  const shapeOf = (name: string) => byName.get(name)?.ref.shape;

  // ---- the config
  const hp = root.get('hyper_parameters');
  const hpTree = configTree(hp, limits);
  let cfgTree: CfgValue | undefined = isMap(hpTree) ? hpTree.get('config') : undefined;
  if (!isMap(cfgTree) && isMap(hpTree) && isMap(hpTree.get('model'))) cfgTree = hpTree; // save_hyperparameters(config) flattened
  if (!isMap(cfgTree)) {
    throw new CkptError('bad-config', hp === undefined
      ? 'This checkpoint has no hyper_parameters, so the model\'s shape (length, heads) is unknown; it was not saved by the official trainer'
      : 'This checkpoint\'s hyper_parameters have no config (model.hidden_size, n_heads, length, …), so the model\'s shape is unknown');
  }
  const missing: string[] = [];
  const hidden = positiveInt(cfgTree, 'model.hidden_size', missing);
  const cond = positiveInt(cfgTree, 'model.cond_dim', missing);
  const heads = positiveInt(cfgTree, 'model.n_heads', missing);
  const blocks = positiveInt(cfgTree, 'model.n_blocks', missing);
  const length = positiveInt(cfgTree, 'model.length', missing);
  if (missing.length) throw new CkptError('bad-config', `The trainer's config lacks ${missing.join(', ')}, which the model needs`);

  const backbone = cfgGet(cfgTree, 'algo.backbone');
  if (typeof backbone === 'string' && backbone !== 'dit') {
    throw new CkptError('bad-config', `This checkpoint's backbone is ${JSON.stringify(backbone)}; FLM Studio runs the DiT backbone only`);
  }
  if (optionalBool(cfgTree, 'algo.causal_attention') === true || optionalBool(cfgTree, 'model.causal') === true) {
    throw new CkptError('bad-config', 'This checkpoint is a causal (autoregressive) model (algo.causal_attention), not a flow-based language model');
  }

  // Two-time and loss weighting: the config says, the weights must agree.
  const hasPrime = byName.has('sigma_map_prime.mlp.0.weight');
  const hasLw = [...byName.keys()].some((n) => n.startsWith('learnable_loss_weighting.'));
  const doubleTemb = optionalBool(cfgTree, 'algo.double_temb');
  if (doubleTemb !== undefined && doubleTemb !== hasPrime) {
    throw new CkptError('bad-config', `The trainer's config says algo.double_temb = ${doubleTemb ? 'True' : 'False'}, but the weights ${hasPrime ? 'have' : 'lack'} the second time embedding (sigma_map_prime)`);
  }
  const lwCfg = optionalBool(cfgTree, 'algo.learnable_loss_weighting');
  if (lwCfg !== undefined && lwCfg !== hasLw) {
    throw new CkptError('bad-config', `The trainer's config says algo.learnable_loss_weighting = ${lwCfg ? 'True' : 'False'}, but the weights ${hasLw ? 'have' : 'lack'} the loss-weighting network`);
  }

  // Vocabulary (and the MLP ratio) from the weights.
  const emb = shapeOf('vocab_embed.embedding');
  if (!emb || emb.length !== 2) throw new CkptError('bad-weights', `The checkpoint has no vocab_embed.embedding matrix${emb ? ` (its shape is ${fmtShape(emb)})` : ''}, so its vocabulary is unknown`);
  const vocab = emb[0];
  if (emb[1] !== hidden) throw new CkptError('bad-config', `The trainer's config says model.hidden_size = ${hidden}, but vocab_embed.embedding is ${fmtShape(emb)}`);
  const vs = cfgGet(hpTree, 'vocab_size');
  if (typeof vs === 'number' && vs !== vocab) throw new CkptError('bad-config', `hyper_parameters.vocab_size is ${vs}, but the embedding has ${vocab} rows`);
  const mlp0 = shapeOf('blocks.0.mlp.0.weight');
  let mlpRatio = 4;
  if (mlp0 && mlp0.length === 2 && mlp0[1] === hidden && mlp0[0] % hidden === 0 && mlp0[0] > 0) mlpRatio = mlp0[0] / hidden;
  const ratioCfg = cfgGet(cfgTree, 'model.mlp_ratio');
  if (typeof ratioCfg === 'number' && ratioCfg !== mlpRatio) throw new CkptError('bad-config', `The trainer's config says model.mlp_ratio = ${ratioCfg}, but the MLP weights are ${mlp0 ? fmtShape(mlp0) : 'missing'}`);
  const softcapCfg = cfgGet(cfgTree, 'model.softcap') ?? cfgGet(cfgTree, 'model.attn_softcap');
  if (softcapCfg !== undefined && softcapCfg !== null && (typeof softcapCfg !== 'number' || !(softcapCfg >= 0))) {
    throw new CkptError('bad-config', `The trainer's config has model.softcap = ${JSON.stringify(softcapCfg)}, not a non-negative number`);
  }
  const config: DiTConfig = {
    vocab, length, hidden, heads, blocks, cond, twoTime: hasPrime, lossWeighting: hasLw,
    softcap: typeof softcapCfg === 'number' ? softcapCfg : 50, mlpRatio,
  };
  try {
    validateConfig(config);
  } catch (e) {
    throw new CkptError('bad-config', `The trainer's config describes a model FLM Studio cannot run (${(e as Error).message})`, { cause: e });
  }

  // ---- shapes before any data is read
  const layout = paramLayout(config);
  const want = new Map(layout.specs.map((s) => [s.name, s.shape]));
  const absent = layout.specs.filter((s) => !byName.has(s.name)).map((s) => s.name);
  if (absent.length) {
    throw new CkptError('bad-weights', `This checkpoint lacks ${absent.length} of the model's ${layout.specs.length} weight tensors: ${absent.slice(0, 3).map((n) => prefix + n).join(', ')}${absent.length > 3 ? ` and ${absent.length - 3} more` : ''}`);
  }
  const extra = model.filter((t) => !want.has(t.name) && t.name !== INV_FREQ);
  if (extra.length) {
    throw new CkptError('bad-weights', `The backbone has ${extra.length} tensor(s) the DiT described by its config does not have (${extra.slice(0, 3).map((t) => t.key).join(', ')}): a different architecture`);
  }
  for (const t of model) {
    const s = want.get(t.name);
    if (s && !sameShape(t.ref.shape, s)) {
      throw new CkptError('bad-weights', `state_dict[${JSON.stringify(t.key)}] has shape ${fmtShape(t.ref.shape)}, but the model described by the config needs ${fmtShape(s)}`);
    }
  }
  const floatDtype = (ref: TensorRef, what: string) => {
    if (ref.dtype !== 'F32' && ref.dtype !== 'BF16' && ref.dtype !== 'F16' && ref.dtype !== 'F64') {
      throw new CkptError('unsupported-tensor', `${what} holds ${TORCH_DTYPE_NAMES[ref.dtype]} values; model weights must be float32, bfloat16, float16 or float64`);
    }
  };

  // ---- the EMA: shadow_params in parameter order (state_dict order without buffers)
  const paramOrder = model.filter((t) => t.name !== INV_FREQ);
  const emaRoot = root.get('ema');
  let emaRefs: TensorRef[] | null = null;
  let emaInfo: LightningInfo['ema'];
  const disabled = optionalBool(cfgTree, 'eval.disable_ema') === true;
  if (emaRoot !== undefined && emaRoot !== null) {
    if (!(emaRoot instanceof PyDict)) throw new CkptError('bad-weights', `The checkpoint's ema is ${describe(emaRoot)}, not the EMA's state dict`);
    const shadow = emaRoot.get('shadow_params');
    if (!Array.isArray(shadow)) throw new CkptError('bad-weights', `ema.shadow_params is ${describe(shadow)}, not a list of tensors`);
    if (shadow.length !== paramOrder.length) {
      throw new CkptError('bad-weights', `ema.shadow_params holds ${shadow.length} tensors, but the backbone has ${paramOrder.length} parameters`);
    }
    emaRefs = shadow.map((x, i) => {
      if (!(x instanceof TensorRef)) throw new CkptError('bad-weights', `ema.shadow_params[${i}] is ${describe(x)}, not a tensor`);
      if (!sameShape(x.shape, paramOrder[i].ref.shape)) {
        throw new CkptError('bad-weights', `ema.shadow_params[${i}] has shape ${fmtShape(x.shape)}, but parameter ${i} (${paramOrder[i].name}) has ${fmtShape(paramOrder[i].ref.shape)}`);
      }
      floatDtype(x, `ema.shadow_params[${i}]`);
      return x;
    });
    const decay = emaRoot.get('decay'), updates = emaRoot.get('num_updates');
    emaInfo = {
      tensors: shadow.length, dtypes: [...new Set(emaRefs.map((r) => TORCH_DTYPE_NAMES[r.dtype]))], disabledByConfig: disabled,
      ...(typeof decay === 'number' ? { decay } : {}), ...(typeof updates === 'number' ? { numUpdates: updates } : {}),
    };
  }
  for (const t of model) floatDtype(t.ref, `state_dict[${JSON.stringify(t.key)}]`);

  // ---- read the data
  const cache = new Map<string, Uint8Array>();
  const sizes = new Map<string, number>();
  for (const r of [...model.map((t) => t.ref), ...(emaRefs ?? [])]) sizes.set(r.storage.key, r.storage.entry.size);
  const progress = { loaded: 0, total: [...sizes.values()].reduce((a, b) => a + b, 0) };
  opts.onProgress?.({ ...progress });
  const read = (ref: TensorRef, label: string): StTensor => {
    const fresh = !cache.has(ref.storage.key);
    const t = tensorData(file, ref, label, cache);
    if (fresh) {
      progress.loaded += ref.storage.entry.size;
      opts.onProgress?.({ ...progress });
    }
    return t;
  };
  const inv = byName.get(INV_FREQ);
  if (inv) checkRotary(inv.key, read(inv.ref, inv.key), hidden / heads);
  const group = (refs: { name: string; ref: TensorRef; label: string }[], what: string): Float32Array => {
    const tensors = new Map<string, StTensor>();
    for (const r of refs) tensors.set(r.name, read(r.ref, r.label));
    return layoutWeights({ tensors, metadata: {} }, layout, '', what);
  };
  const params = group(paramOrder.map((t) => ({ name: t.name, ref: t.ref, label: t.key })), 'weights');
  const ema = emaRefs ? group(emaRefs.map((ref, i) => ({ name: paramOrder[i].name, ref, label: `ema.shadow_params[${i}]` })), 'EMA weights') : undefined;
  cache.clear();

  // ---- meta and info
  const step = root.get('global_step');
  const epoch = root.get('epoch');
  const checkpoint: Checkpoint = {
    config,
    meta: {
      format: 'flm-studio', version: META_VERSION, kind: defaultKind(config.twoTime),
      name: opts.name || file.archiveName || 'imported', createdAt: opts.createdAt ?? new Date().toISOString(),
      step: typeof step === 'number' && Number.isSafeInteger(step) && step >= 0 ? step : 0,
    },
    params,
  };
  if (ema && !disabled) checkpoint.ema = ema;
  const str = (v: CfgValue | PyValue | undefined) => (typeof v === 'string' ? v : undefined);
  const tk = isMap(hpTree) ? hpTree.get('tokenizer') : undefined;
  const tkObj = hp instanceof PyDict ? hp.get('tokenizer') : hp instanceof PyObject ? hp.dictItems.get('tokenizer') : undefined;
  const info: LightningInfo = {
    archiveName: file.archiveName, pickleProtocol: file.protocol, prefix, modelKeys: model.length, ignoredKeys: ignored,
    stateDictDtypes: [...new Set(model.map((t) => TORCH_DTYPE_NAMES[t.ref.dtype]))],
    samplingWeights: checkpoint.ema ? 'ema' : 'state_dict',
    inertGlobals: [...file.globals].filter((g) => !PLUMBING.test(g)).sort(),
    config: cfgTree,
  };
  const lv = str(root.get('pytorch-lightning_version'));
  if (lv) info.lightningVersion = lv;
  if (typeof epoch === 'number') info.epoch = epoch;
  if (typeof step === 'number') info.globalStep = step;
  if (emaInfo) info.ema = emaInfo;
  const algo = str(cfgGet(cfgTree, 'algo.name'));
  if (algo) info.algo = algo;
  const par = str(cfgGet(cfgTree, 'algo.parameterization'));
  if (par) info.parameterization = par;
  const tname = str(cfgGet(cfgTree, 'data.tokenizer_name_or_path'));
  if (tname) info.tokenizerName = tname;
  if (tname && tname.length <= 200) {
    // Named, not included: the studio resolves it when it loads the model (src/data/tokenizerSources.ts).
    checkpoint.meta.tokenizer = { type: 'hub', name: tname };
  }
  if (tkObj instanceof PyObject) info.tokenizerClass = tkObj.className;
  else if (tk && typeof tk === 'object' && 'opaque' in tk) info.tokenizerClass = tk.opaque;
  return { checkpoint, info };
}
