/** A growable Int32Array: parent links and edge lists cost 4 bytes an entry, not a JS slot. */
export class IntVector {
  private data: Int32Array;
  length = 0;

  constructor(capacity = 1024) {
    this.data = new Int32Array(capacity);
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  get(index: number): number {
    return this.data[index];
  }

  set(index: number, value: number): void {
    this.data[index] = value;
  }

  /** A copy of the values, as an Int32Array of `length` (for sending to another thread). */
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }

  get byteLength(): number {
    return this.data.byteLength;
  }
}
