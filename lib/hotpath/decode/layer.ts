// What every layer decoder returns. Decoders never throw on short or odd
// bytes: captures are cut at the snaplen all the time, so running out of bytes
// is an ordinary outcome, reported as data.

/** A decoded header and where the next layer starts. */
export interface Decoded<H> {
  header: H;
  /** Offset of the first byte after this header. */
  next: number;
  /** End of this layer's payload: a length field can end it before the capture does (Ethernet padding). */
  end: number;
  /** The header was decoded but part of it (options, extension headers) lay past the capture. */
  truncated?: boolean;
}

/** The capture ended inside the fixed part of the header: nothing of it is decoded. */
export interface Truncated {
  truncated: true;
}

/** The bytes are there but contradict themselves (a header length below the minimum, ...). */
export interface Malformed {
  malformed: string;
}

export type LayerResult<H> = Decoded<H> | Truncated | Malformed;

export const TRUNCATED: Truncated = Object.freeze({ truncated: true });

export function isDecoded<H>(r: LayerResult<H>): r is Decoded<H> {
  return (r as Decoded<H>).header !== undefined;
}
