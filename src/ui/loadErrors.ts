/**
 * What to tell the user about a model that could not be opened, by the
 * worker's error code: a download's failure in words, and a model that is not
 * there said as such (a static host answers a missing file with its HTML
 * page, which would otherwise read "not a safetensors file (it begins with
 * <!doctype html>…)").
 */
import { WorkerError, type WorkerErrorCode } from '../../workers/protocol.ts';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** What a download failure's code leads with (the WorkerError codes of a model download). */
const DOWNLOAD_LEAD: Partial<Record<WorkerErrorCode, string>> = {
  'bad-url': 'That model link is not usable',
  'not-safetensors': 'That is not a model file',
  offline: 'You are offline',
  network: 'Network error',
  cors: 'The model\'s server refused access (CORS)',
  'not-found': 'Model not found (404)',
  http: 'The model\'s server refused the download',
  'too-large': 'The model file is too large',
};

/** What to tell the user about a model that could not be opened, by the worker's error code. */
export function explainLoadError(e: unknown, model: string): string {
  const url = /^https?:/i.test(model);
  const what = url ? model : `the bundled model ${model}`;
  const detail = message(e);
  const code = e instanceof WorkerError ? e.code : undefined;
  // A web page where a bundled model's file should be: the studio's host answers a file it does not have
  // with its index page. (A URL's web page may be a sign-in page: that stays 'not a model file'.)
  const page = /not a safetensors file \(it begins with "\s*<(!doctype|html|head|body|\?xml)/i.test(detail);
  if (!url && (page || code === 'not-found' || /was not found \(HTTP 40[34]|\b404\b/.test(detail))) {
    return `Model not found: the studio has no bundled model named "${model}"`;
  }
  if (code && DOWNLOAD_LEAD[code]) return `${DOWNLOAD_LEAD[code]}: ${detail}`;
  if (code === 'bad-checkpoint') return `The model file does not match its config (${what}): ${detail}`;
  return `Could not open ${what}: ${detail}`;
}

