/**
 * Names of stored checkpoints: a new run's name that no stored checkpoint
 * has yet ("micro on Brown corpus #2"), and the file name an export gets.
 */

/** `base`, or `base #2`, `base #3`… whichever no stored checkpoint is called. */
export function uniqueName(base: string, taken: Iterable<string>): string {
  const names = new Set(taken);
  if (!names.has(base)) return base;
  let n = 2;
  while (names.has(`${base} #${n}`)) n++;
  return `${base} #${n}`;
}

/**
 * An export's file name: the checkpoint's name in lower case, words joined by
 * '-', accents and punctuation dropped, and its step ("micro on Brown corpus
 * (bundled)" at step 200: micro-on-brown-corpus-bundled-step200.safetensors).
 */
export function exportFileName(name: string, step: number, ext = 'safetensors'): string {
  const slug = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80).replace(/-+$/, '');
  return `${slug || 'checkpoint'}-step${step}.${ext}`;
}
