/**
 * One file's bytes, gathered from pieces into memory kept from one write to the next. A fresh buffer
 * per write of a large PROGRESS.json or state.json cost a page-faulting allocation and, through
 * V8's external-memory accounting, extra garbage collections, for every task.
 *
 * What `gather` returns is overwritten by the next call: the caller must be done with it by then.
 * The run's writers are (CoalescingWriter starts a file's next write only once the last one ended).
 */
export class WriteBuffer {
  private memory = Buffer.alloc(0);

  gather(pieces: readonly Uint8Array[]): Buffer {
    let size = 0;
    for (const piece of pieces) size += piece.length;
    if (size > this.memory.length) this.memory = Buffer.allocUnsafe(Math.max(size, this.memory.length * 2));
    let at = 0;
    for (const piece of pieces) {
      this.memory.set(piece, at);
      at += piece.length;
    }
    return this.memory.subarray(0, size);
  }
}
