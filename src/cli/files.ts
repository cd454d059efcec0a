/**
 * How the `flm` command touches files, so that hostile input cannot make it
 * hang, read without bound or lose work:
 * - reads: `openRegular` opens without blocking (a FIFO would wait forever),
 *   checks with fstat that the file is a regular file and within a size limit
 *   BEFORE anything is read; `readExactly` then reads that many bytes into one
 *   buffer (no second copy);
 * - writes: `writeFileAtomic` writes `<out>.tmp-<pid>` and renames it over a
 *   regular file only (never over a device, a FIFO or a folder);
 * - outputs: `claimOutput` checks the output can be written before any work,
 *   takes `<out>.lock` (created exclusively, holding the pid; a lock of a dead
 *   process is stale and taken over), removes temporary files that dead runs
 *   left, and releases everything when the process exits.
 */
import {
  closeSync, constants, fstatSync, linkSync, lstatSync, openSync, readdirSync, readFileSync, readSync, realpathSync,
  renameSync, rmSync, statSync, writeFileSync, type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * A file the command line named that cannot be used (missing, not a regular
 * file, too large, in use, the wrong model…): refused before any work, so
 * `flm` exits 2 with the message.
 */
export class RefusedError extends Error {
  override readonly name = 'RefusedError';
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(n < 2 ** 20 ? 2 : 1)} MiB`;

/** What a path that is no regular file is, in words. */
export function describeFileType(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

export interface OpenedFile { fd: number; size: number; stats: Stats }

/**
 * Open `path` for reading: a regular file of at most `maxBytes` (checked
 * with fstat before reading), or a RefusedError naming `what` and why. The
 * open never blocks (O_NONBLOCK: a FIFO without a writer would). The caller closes `fd`.
 */
export function openRegular(path: string, what: string, maxBytes: number, tooLarge?: (size: number) => string): OpenedFile {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RefusedError(code === 'ENOENT' ? `no ${what} file ${path}` : `cannot read the ${what} ${path}: ${(e as Error).message}`);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new RefusedError(`the ${what} ${path} is ${describeFileType(stats)}, not a regular file`);
    if (stats.size > maxBytes) {
      throw new RefusedError(tooLarge?.(stats.size) ?? `the ${what} ${path} is ${mib(stats.size)}; the limit is ${mib(maxBytes)}`);
    }
    return { fd, size: stats.size, stats };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** `length` bytes at `position` of an open file into one new buffer (fewer if the file ends first). */
export function readExactly(fd: number, length: number, position = 0): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? out : out.subarray(0, done);
}

/** A whole regular file of at most `maxBytes`, read once into one buffer. */
export function readRegular(path: string, what: string, maxBytes: number, tooLarge?: (size: number) => string): Uint8Array {
  const f = openRegular(path, what, maxBytes, tooLarge);
  try {
    const bytes = readExactly(f.fd, f.size);
    // A file that grew since fstat is read no further than its size then.
    if (bytes.length !== f.size) throw new RefusedError(`the ${what} ${path} changed while it was read (it was ${f.size} bytes, ${bytes.length} could be read)`);
    return bytes;
  } finally {
    closeSync(f.fd);
  }
}

// ---------------------------------------------------------------- writing

/** Whether process `pid` is alive (EPERM: alive, owned by someone else). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Where a write to `path` really goes: the target of a symbolic link, so that the link stays a link. */
function writeTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** The temporary files this process has open (removed on exit if a write is cut short). */
const ownTemporaries = new Set<string>();

/**
 * Write a file so that a crash leaves either the old or the new one, never
 * half of one: the bytes go to `<path>.tmp-<pid>`, which is renamed over
 * `path` — only when `path` is absent or a regular file (renaming over
 * /dev/full, a FIFO or a folder would replace it).
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const target = writeTarget(path);
  const existing = statOrNull(target);
  if (existing && !existing.isFile()) throw new RefusedError(`${path} is ${describeFileType(existing)}: it is not replaced by a file`);
  const tmp = `${target}.tmp-${process.pid}`;
  ownTemporaries.add(tmp);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, target);
  } finally {
    rmSync(tmp, { force: true });
    ownTemporaries.delete(tmp);
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Whether two paths name the same existing file (hard links, symbolic links and `./` spellings included). */
export function sameFile(a: string, b: string): boolean {
  const sa = statOrNull(a), sb = statOrNull(b);
  if (sa && sb) return sa.dev === sb.dev && sa.ino === sb.ino;
  return writeTarget(a) === writeTarget(b);
}

/** Refuse (RefusedError, exit 2) a file-to-file command whose output would be its input. */
export function refuseOutputIsInput(command: string, input: string, output: string): void {
  if (sameFile(input, output)) throw new RefusedError(`${command}: the output ${output} is the input itself`);
}

/**
 * Remove `<target>.tmp-<pid>` (a half-written save) and `<target>.lock.<pid>`
 * (a lock being taken) files whose process is dead: a killed run's leftovers.
 */
function removeOrphans(target: string): string[] {
  const dir = dirname(target), prefixes = [`${basename(target)}.tmp-`, `${basename(target)}.lock.`];
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const prefix = prefixes.find((p) => name.startsWith(p));
    if (!prefix) continue;
    const pid = Number(name.slice(prefix.length));
    if (!/^\d+$/.test(name.slice(prefix.length)) || pid === process.pid || pidAlive(pid)) continue;
    const path = join(dir, name);
    if (lstatSync(path).isFile()) {
      rmSync(path, { force: true });
      removed.push(path);
    }
  }
  return removed;
}

/** Held output locks, released (with this process's temporary files) on exit. */
const heldLocks = new Set<string>();
let exitHook = false;

function releaseAll(): void {
  for (const tmp of ownTemporaries) rmSync(tmp, { force: true });
  for (const lock of heldLocks) releaseLock(lock);
}

function releaseLock(lock: string): void {
  heldLocks.delete(lock);
  try {
    // Only our own lock (a stale-lock takeover by another run replaced it otherwise).
    if (readFileSync(lock, 'utf8').trim() === String(process.pid)) rmSync(lock, { force: true });
  } catch {
    // already gone
  }
}

/** Take `<target>.lock` for this process, or throw RefusedError naming the live holder. */
function takeLock(path: string, target: string): string {
  const lock = `${target}.lock`;
  // The pid is written to a file of our own, then linked to the lock's name:
  // link() fails when the lock exists, and a lock is never seen half-written.
  const mine = `${lock}.${process.pid}`;
  writeFileSync(mine, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(mine, lock);
        heldLocks.add(lock);
        return lock;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      let holder = NaN;
      try {
        const text = readFileSync(lock, 'utf8').trim();
        if (/^\d+$/.test(text)) holder = Number(text);
      } catch {
        continue; // removed meanwhile: try again
      }
      if (holder === process.pid) return lock;
      if (pidAlive(holder)) {
        throw new RefusedError(
          `${path} is being written by another flm run (pid ${holder}); wait for it to finish, or write elsewhere. ` +
            `If no flm run is writing it, delete ${lock}.`,
        );
      }
      // A stale lock (its process is dead, or it holds no pid): take it over.
      rmSync(lock, { force: true });
    }
    throw new RefusedError(`could not take the lock ${lock} for ${path} (other runs keep taking it)`);
  } finally {
    rmSync(mine, { force: true });
  }
}

/**
 * Claim `path` as this run's output, before any work: its folder exists, it
 * is absent or a regular file (not a folder, a device or a FIFO), no live run
 * holds it, and leftovers of dead runs are removed. The lock and any
 * temporary file are released when the process exits.
 */
export function claimOutput(path: string): void {
  if (path.endsWith('/')) throw new RefusedError(`--out ${path.replace(/\/+$/, '')} names a folder; give a file name (e.g. ${join(path, 'model.safetensors')})`);
  const target = writeTarget(path);
  const dir = statOrNull(dirname(target));
  if (!dir) throw new RefusedError(`cannot write ${path}: the folder ${dirname(target)} does not exist`);
  if (!dir.isDirectory()) throw new RefusedError(`cannot write ${path}: ${dirname(target)} is not a folder`);
  const existing = statOrNull(target);
  if (existing && !existing.isFile()) throw new RefusedError(`cannot write ${path}: it is ${describeFileType(existing)}, not a regular file`);
  try {
    takeLock(path, target);
  } catch (e) {
    if (e instanceof RefusedError) throw e;
    throw new RefusedError(`cannot write ${path}: ${(e as Error).message}`);
  }
  if (!exitHook) {
    exitHook = true;
    process.on('exit', releaseAll);
  }
  removeOrphans(target);
}

/** Release the output claims now (the process exits soon anyway). */
export function releaseOutputs(): void {
  releaseAll();
}
