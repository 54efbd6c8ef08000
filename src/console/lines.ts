// Splits a byte stream into lines with a hard cap on line length, for the control socket
// (both ends). node:readline and the serialport line parsers buffer a line without bound;
// a peer that never sends a newline must not grow our memory, so this small splitter
// reports an over-long line once and skips it up to the next newline.

export type LineHandler = (line: string) => void;
export type OverflowHandler = (bytesDropped: number) => void;

export class LineSplitter {
  private parts: Buffer[] = [];
  private length = 0;
  private skipping = false;
  private dropped = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: LineHandler,
    private readonly onOverflow: OverflowHandler,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (this.skipping) {
        this.dropped += piece.length;
      } else if (this.length + piece.length > this.maxBytes) {
        this.skipping = true;
        this.dropped = this.length + piece.length;
        this.parts = [];
        this.length = 0;
      } else if (piece.length) {
        this.parts.push(piece);
        this.length += piece.length;
      }
      if (nl === -1) return;
      if (this.skipping) {
        this.onOverflow(this.dropped);
        this.skipping = false;
        this.dropped = 0;
      } else {
        const line = Buffer.concat(this.parts, this.length).toString('utf8').replace(/\r$/, '');
        this.parts = [];
        this.length = 0;
        this.onLine(line);
      }
      start = nl + 1;
    }
  }
}
