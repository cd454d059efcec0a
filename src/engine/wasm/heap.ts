/**
 * The allocator of the wasm backend's memory: tensors are byte ranges of one
 * WebAssembly.Memory, 64-byte aligned (a cache line; view offsets that are
 * multiples of VIEW_ALIGN floats stay 256-byte aligned). First fit over a
 * free list kept sorted by address, neighbours coalesced; the top of the heap
 * grows the memory (wasm32: 4 GiB at most). Allocation happens when tensors
 * and programs are created, never while a program runs.
 */
const ALIGN = 64;
const PAGE = 65536;
const MAX_PAGES = 65536;

interface Block { ptr: number; bytes: number }

export class WasmHeap {
  private readonly free: Block[] = [];
  private readonly live = new Map<number, number>();
  private top: number;

  constructor(readonly memory: WebAssembly.Memory, base: number) {
    this.top = Math.ceil(Math.max(base, ALIGN) / ALIGN) * ALIGN;
  }

  /** Bytes currently handed out. */
  get liveBytes(): number {
    let s = 0;
    for (const b of this.live.values()) s += b;
    return s;
  }

  /** A zero-filled block of at least `bytes` bytes. */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let ptr = -1;
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i];
      if (b.bytes < size) continue;
      ptr = b.ptr;
      if (b.bytes === size) this.free.splice(i, 1);
      else { b.ptr += size; b.bytes -= size; }
      break;
    }
    if (ptr < 0) {
      ptr = this.top;
      this.ensure(ptr + size);
      this.top += size;
    }
    new Uint8Array(this.memory.buffer, ptr, size).fill(0);
    this.live.set(ptr, size);
    return ptr;
  }

  release(ptr: number): void {
    const bytes = this.live.get(ptr);
    if (bytes === undefined) return;
    this.live.delete(ptr);
    let i = 0;
    while (i < this.free.length && this.free[i].ptr < ptr) i++;
    this.free.splice(i, 0, { ptr, bytes });
    // coalesce with the next, then the previous block
    if (i + 1 < this.free.length && ptr + bytes === this.free[i + 1].ptr) {
      this.free[i].bytes += this.free[i + 1].bytes;
      this.free.splice(i + 1, 1);
    }
    if (i > 0 && this.free[i - 1].ptr + this.free[i - 1].bytes === ptr) {
      this.free[i - 1].bytes += this.free[i].bytes;
      this.free.splice(i, 1);
      i--;
    }
    // a free block at the top lowers the top
    const last = this.free[this.free.length - 1];
    if (last && last.ptr + last.bytes === this.top) {
      this.top = last.ptr;
      this.free.pop();
    }
  }

  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    const current = have / PAGE;
    // grow by at least a quarter, to keep the number of grows logarithmic
    const want = Math.min(MAX_PAGES - current, Math.max(pages, Math.ceil(current / 4)));
    if (want < pages) throw new RangeError(`wasm backend: out of memory (${end} bytes needed, 4 GiB at most)`);
    this.memory.grow(want);
  }
}
