// Reassembly of binary arrays that the kernel streams in chunks (payloads above the hosts'
// message-size caps). The manifest (trait `_chunked`) names the transfer and each array's size;
// every chunk message carries {type: "mmphate:chunk", id, name, offset} and one buffer.

export const REQUEST = "mmphate:request";
export const CHUNK = "mmphate:chunk";

function asBytes(buffer) {
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  if (ArrayBuffer.isView(buffer)) return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  throw new Error(`a chunk must carry a binary buffer; got ${typeof buffer}`);
}

export class ChunkAssembler {
  /** manifest: {id: string, arrays: {name: byteLength}} */
  constructor(manifest) {
    this.id = String(manifest.id);
    this.arrays = new Map();
    this.total = 0;
    this.received = 0;
    for (const [name, n] of Object.entries(manifest.arrays || {})) {
      const size = Number(n);
      this.arrays.set(name, { bytes: new Uint8Array(size), seen: new Set(), got: 0 });
      this.total += size;
    }
  }

  /**
   * Take one chunk message; returns true if it was new and belonged to this transfer.
   * Chunks may arrive in any order and more than once (several views request the data).
   */
  add(content, buffer) {
    if (!content || content.type !== CHUNK || String(content.id) !== this.id) return false;
    const entry = this.arrays.get(content.name);
    if (!entry) return false;
    const offset = Number(content.offset);
    if (entry.seen.has(offset)) return false;
    const bytes = asBytes(buffer);
    if (!(offset >= 0) || offset + bytes.length > entry.bytes.length) {
      throw new Error(
        `chunk of ${content.name} at ${offset} (+${bytes.length} bytes) exceeds its ${entry.bytes.length} bytes`,
      );
    }
    entry.bytes.set(bytes, offset);
    entry.seen.add(offset);
    entry.got += bytes.length;
    this.received += bytes.length;
    return true;
  }

  get fraction() {
    return this.total ? Math.min(1, this.received / this.total) : 1;
  }

  get complete() {
    for (const e of this.arrays.values()) if (e.got < e.bytes.length) return false;
    return true;
  }

  /** The reassembled arrays as DataViews (what a binary trait would hold). */
  result() {
    if (!this.complete) throw new Error("the transfer is not complete");
    const out = {};
    for (const [name, e] of this.arrays) out[name] = new DataView(e.bytes.buffer, 0, e.bytes.length);
    return out;
  }
}

/** Human-readable progress, e.g. "12.6 / 26.0 MB". */
export function progressText(received, total) {
  const mb = (b) => (b / 1e6).toFixed(1);
  return `${mb(received)} / ${mb(total)} MB`;
}
