// Linear-memory allocator for the kernels: the twin of the std::vector storage of native/kernels (no AssemblyScript
// runtime objects are used anywhere, so the module is built with the "stub" runtime and manages memory here).
//
// A first-fit, address-ordered free list with coalescing. Every block has a 16-byte header (payload size in bytes at
// +0, next free block at +4 while free), so payloads are 16-byte aligned for v128 loads. Blocks that end at the top of
// the carved region are returned to it, so a create/free cycle leaves the heap as it was. Allocation failure (the
// host refuses to grow memory) returns 0 instead of trapping, so callers can report it.
//
// Allocations are few and large (one per network, lazily the explicit Hessian, and the adapter's scratch buffers),
// so the linear scan of the free list costs nothing measurable.

// @ts-ignore: decorator
@inline const HEADER: usize = 16;

let top: usize = 0; // end of the carved region; 0 until the first allocation
let freeList: usize = 0; // address-ordered list of free blocks (block addresses, not payloads)

// @ts-ignore: decorator
@inline function sizeOf(b: usize): usize {
  return <usize>load<u32>(b);
}
// @ts-ignore: decorator
@inline function nextOf(b: usize): usize {
  return <usize>load<u32>(b, 4);
}
// @ts-ignore: decorator
@inline function setSize(b: usize, size: usize): void {
  store<u32>(b, <u32>size);
}
// @ts-ignore: decorator
@inline function setNext(b: usize, next: usize): void {
  store<u32>(b, <u32>next, 4);
}

/** Allocates `bytes` bytes (16-byte aligned, contents undefined); 0 when memory cannot grow enough. */
export function heap_alloc(bytes: u64): usize {
  if (top == 0) top = (__heap_base + 15) & ~(<usize>15);
  if (bytes >= 0xffff0000) return 0;
  let size = <usize>((bytes + 15) & ~(<u64>15));
  if (size == 0) size = 16;
  // First fit; the low part of a larger block is handed out and the rest stays in the list in place.
  let prev: usize = 0;
  let b = freeList;
  while (b != 0) {
    const bs = sizeOf(b);
    if (bs >= size) {
      let next = nextOf(b);
      if (bs - size >= HEADER + 16) {
        const rest = b + HEADER + size;
        setSize(rest, bs - size - HEADER);
        setNext(rest, next);
        next = rest;
        setSize(b, size);
      }
      if (prev != 0) setNext(prev, next);
      else freeList = next;
      return b + HEADER;
    }
    prev = b;
    b = nextOf(b);
  }
  // Carve a new block at the top, growing memory by exactly the pages needed.
  const end = <u64>top + <u64>HEADER + <u64>size;
  if (end > 0xffff0000) return 0;
  const have = <u64>memory.size() << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) return 0;
  }
  b = top;
  setSize(b, size);
  top = <usize>end;
  return b + HEADER;
}

/** Returns a block from heap_alloc to the free list (0 is ignored). */
export function heap_free(ptr: usize): void {
  if (ptr == 0) return;
  let b = ptr - HEADER;
  let size = sizeOf(b);
  // Insertion point: pp -> prev -> (b) -> cur.
  let pp: usize = 0;
  let prev: usize = 0;
  let cur = freeList;
  while (cur != 0 && cur < b) {
    pp = prev;
    prev = cur;
    cur = nextOf(cur);
  }
  // Merge with the following free block.
  if (cur != 0 && b + HEADER + size == cur) {
    size += HEADER + sizeOf(cur);
    cur = nextOf(cur);
  }
  // Merge with the preceding free block, or link b in after it.
  if (prev != 0 && prev + HEADER + sizeOf(prev) == b) {
    b = prev;
    size += HEADER + sizeOf(prev);
    prev = pp;
  }
  setSize(b, size);
  setNext(b, cur);
  // A block ending at the top goes back to the uncarved region (its neighbours below are not free: they would have
  // been merged), otherwise it is linked into the list.
  if (b + HEADER + size == top) {
    top = b;
    if (prev != 0) setNext(prev, cur);
    else freeList = cur;
  } else if (prev != 0) setNext(prev, b);
  else freeList = b;
}

/** End of the carved region (bytes), for tests of the allocator. */
export function heap_top(): usize {
  return top;
}
