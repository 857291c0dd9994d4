import * as zlib from 'node:zlib';

/** Small but well-formed image files, made as bytes so tests need no image fixtures or libraries. */

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** A valid RGB PNG of the given size, all one colour. */
export function pngImage(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(2, 9); // colour type: RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x7f)]);
  const pixels = zlib.deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', pixels),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A GIF89a of the given size: one frame, a two-colour table, every pixel colour 0. */
export function gifImage(width: number, height: number): Buffer {
  const screen = Buffer.alloc(7);
  screen.writeUInt16LE(width, 0);
  screen.writeUInt16LE(height, 2);
  screen.writeUInt8(0x80, 4); // global colour table of 2 entries
  const descriptor = Buffer.alloc(10);
  descriptor.writeUInt8(0x2c, 0);
  descriptor.writeUInt16LE(width, 5);
  descriptor.writeUInt16LE(height, 7);
  return Buffer.concat([
    Buffer.from('GIF89a', 'ascii'),
    screen,
    Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff, 0xff]),
    descriptor,
    // LZW minimum code size 2, then a clear code and end code: an image of colour 0.
    Buffer.from([0x02, 0x02, 0x44, 0x01, 0x00]),
    Buffer.from([0x3b]),
  ]);
}

function jpegSegment(marker: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt8(0xff, 0);
  header.writeUInt8(marker, 1);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

/**
 * A baseline JPEG's structure: JFIF and EXIF segments, then the frame header with the size, a
 * scan and the end. `exifBytes` pads the EXIF segment (cameras write tens of kilobytes there, with
 * a thumbnail), which puts the frame header beyond a first small read. `trailingBytes` of scan
 * data make the file as large as a test needs. `iccProfileSegments` adds that many 60 KB ICC
 * profile (APP2) segments, as wide-gamut cameras do, which pushes the frame header further still.
 */
export function jpegImage(
  width: number,
  height: number,
  options: { exifBytes?: number; trailingBytes?: number; iccProfileSegments?: number; smallAppSegments?: number } = {},
): Buffer {
  const exif = Buffer.concat([Buffer.from('Exif\0\0', 'ascii'), Buffer.alloc(Math.max(0, (options.exifBytes ?? 0) - 6), 0x20)]);
  const frame = Buffer.alloc(15);
  frame.writeUInt8(8, 0); // precision
  frame.writeUInt16BE(height, 1);
  frame.writeUInt16BE(width, 3);
  frame.writeUInt8(3, 5); // components
  frame.set([1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1], 6);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    jpegSegment(0xe0, Buffer.from([0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00])),
    ...(options.exifBytes ? [jpegSegment(0xe1, exif)] : []),
    ...Array.from({ length: options.iccProfileSegments ?? 0 }, () => jpegSegment(0xe2, Buffer.alloc(60_000, 0x33))),
    // Small application segments (APP0–APP15), as some editors and cameras write by the dozen.
    ...Array.from({ length: options.smallAppSegments ?? 0 }, (_, n) => jpegSegment(0xe0 + (n % 16), Buffer.alloc(12, 0x20 + (n % 64)))),
    jpegSegment(0xdb, Buffer.alloc(65, 1)),
    jpegSegment(0xc0, frame),
    jpegSegment(0xc4, Buffer.alloc(20, 0)),
    jpegSegment(0xda, Buffer.from([3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3f, 0])),
    Buffer.alloc(options.trailingBytes ?? 64, 0x55),
    Buffer.from([0xff, 0xd9]),
  ]);
}
