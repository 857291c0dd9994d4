/**
 * Pixel dimensions of PNG, JPEG and GIF images, read from their headers through a byte source that
 * serves ranges, so a caller can fetch only the bytes a header needs (a ranged GetObject) instead
 * of the whole file. Pure: the byte source is the only way out.
 */

export type ImageFormat = 'png' | 'jpeg' | 'gif';

export interface ImageDimensions {
  readonly format: ImageFormat;
  readonly width: number;
  readonly height: number;
}

/** Reads bytes of one file. `read` may return fewer bytes than asked at the end of the file. */
export interface ByteSource {
  /** The file's total size in bytes. */
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

/**
 * How many bytes a caller fetches first, to parse most files in one read. Camera JPEGs put tens of
 * kilobytes of EXIF (with a thumbnail) before the frame header that holds the size; 64 KiB finds
 * it in one ranged request for most photos, and a request costs the same for 4 KiB or 64 KiB.
 */
export const HEADER_PROBE_BYTES = 64 * 1024;

/**
 * How far into a JPEG its frame header is looked for: 1 MiB, read in HEADER_PROBE_BYTES pieces
 * at most 16 times. The bound is on bytes, not on segments: a file may hold hundreds of small
 * APPn segments before its frame header (a count of 64 gave those no dimensions), and what a
 * hostile file can cost is the bytes fetched from S3, whatever their segment structure. Camera
 * metadata (EXIF with its thumbnail, ICC profiles, MPF) stays well below it.
 */
export const JPEG_SCAN_BYTES = 1024 * 1024;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((byte, index) => bytes[index] === byte);
}

function uint16be(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 8) | bytes[offset + 1];
}

function uint32be(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) >>> 0) + ((bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]);
}

function uint16le(bytes: Uint8Array, offset: number): number {
  return bytes[offset] | (bytes[offset + 1] << 8);
}

function positive(width: number, height: number): boolean {
  return width > 0 && height > 0;
}

/** PNG: the IHDR chunk comes first, with width and height at bytes 16 and 20 (big-endian). */
function pngDimensions(head: Uint8Array): ImageDimensions | undefined {
  if (head.length < 24 || String.fromCharCode(...head.subarray(12, 16)) !== 'IHDR') return undefined;
  const width = uint32be(head, 16);
  const height = uint32be(head, 20);
  return positive(width, height) ? { format: 'png', width, height } : undefined;
}

/** GIF: the logical screen descriptor follows the 6-byte signature, little-endian. */
function gifDimensions(head: Uint8Array): ImageDimensions | undefined {
  if (head.length < 10) return undefined;
  const width = uint16le(head, 6);
  const height = uint16le(head, 8);
  return positive(width, height) ? { format: 'gif', width, height } : undefined;
}

/** Start-of-frame markers (baseline, progressive, lossless, arithmetic); not DHT (C4), JPG (C8) or DAC (CC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Markers that stand alone, with no length field: TEM and RST0–7. */
function isStandalone(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);
}

/**
 * JPEG: walks the marker segments from the start of the file to the first start-of-frame segment,
 * which holds the height and width. Segments in between (EXIF, ICC profiles, thumbnails) can be
 * large: they are skipped by their length, never read.
 */
async function jpegDimensions(head: Uint8Array, source: ByteSource): Promise<ImageDimensions | undefined> {
  let buffer = head;
  let bufferStart = 0;
  /** `length` bytes at `offset`, from the buffer or a new read; undefined past the file or the scan budget. */
  const bytesAt = async (offset: number, length: number): Promise<Uint8Array | undefined> => {
    if (offset + length > JPEG_SCAN_BYTES) return undefined;
    if (offset < bufferStart || offset + length > bufferStart + buffer.length) {
      if (offset + length > source.size) return undefined;
      buffer = await source.read(offset, Math.min(Math.max(length, HEADER_PROBE_BYTES), JPEG_SCAN_BYTES - offset));
      bufferStart = offset;
      if (buffer.length < length) return undefined;
    }
    return buffer.subarray(offset - bufferStart, offset - bufferStart + length);
  };

  // Every step moves `offset` forward and bytesAt refuses anything past JPEG_SCAN_BYTES, so the
  // walk ends within the budget whatever the file holds.
  let offset = 2;
  for (;;) {
    const marker = await bytesAt(offset, 2);
    if (marker === undefined || marker[0] !== 0xff) return undefined;
    const code = marker[1];
    if (code === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (isStandalone(code)) {
      offset += 2;
      continue;
    }
    if (code === 0xd9 || code === 0xda) return undefined; // end of image, or scan data before any frame
    if (isStartOfFrame(code)) {
      const frame = await bytesAt(offset, 9);
      if (frame === undefined) return undefined;
      const height = uint16be(frame, 5);
      const width = uint16be(frame, 7);
      return positive(width, height) ? { format: 'jpeg', width, height } : undefined;
    }
    const lengthBytes = await bytesAt(offset + 2, 2);
    if (lengthBytes === undefined) return undefined;
    const segmentLength = uint16be(lengthBytes, 0);
    if (segmentLength < 2) return undefined;
    offset += 2 + segmentLength;
  }
}

/**
 * The format and pixel dimensions of a PNG, JPEG or GIF file, recognised by its signature (not by
 * its declared content type, which the uploader chose). Undefined for any other file, and for a
 * file that starts like an image but whose header is truncated or malformed.
 *
 * `head` holds the first bytes of the file (HEADER_PROBE_BYTES of them, or the whole file if
 * shorter); `source` is asked for more only when a JPEG's frame header lies beyond them.
 */
export async function imageDimensions(head: Uint8Array, source: ByteSource): Promise<ImageDimensions | undefined> {
  if (startsWith(head, PNG_SIGNATURE)) return pngDimensions(head);
  if (startsWith(head, [0x47, 0x49, 0x46, 0x38]) && (head[4] === 0x37 || head[4] === 0x39) && head[5] === 0x61) {
    return gifDimensions(head);
  }
  if (startsWith(head, [0xff, 0xd8, 0xff])) return jpegDimensions(head, source);
  return undefined;
}
