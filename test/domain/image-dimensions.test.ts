import { HEADER_PROBE_BYTES, imageDimensions, JPEG_SCAN_BYTES, type ByteSource } from '../../lambda/domain/image-dimensions';
import { gifImage, jpegImage, pngImage } from '../support/images';

/** A byte source over a buffer that remembers how many bytes were read, and in how many reads. */
function countingSource(file: Buffer): ByteSource & { bytesRead: number; reads: number } {
  const source = {
    size: file.length,
    bytesRead: 0,
    reads: 0,
    read: async (offset: number, length: number) => {
      const bytes = file.subarray(offset, offset + length);
      source.bytesRead += bytes.length;
      source.reads += 1;
      return new Uint8Array(bytes);
    },
  };
  return source;
}

async function dimensionsOf(file: Buffer) {
  const source = countingSource(file);
  const head = await source.read(0, HEADER_PROBE_BYTES);
  return { dimensions: await imageDimensions(head, source), source };
}

describe('imageDimensions', () => {
  it('reads a PNG from its first read', async () => {
    const { dimensions, source } = await dimensionsOf(pngImage(640, 480));

    expect(dimensions).toEqual({ format: 'png', width: 640, height: 480 });
    expect(source.reads).toBe(1);
  });

  it('reads a GIF', async () => {
    expect((await dimensionsOf(gifImage(320, 200))).dimensions).toEqual({ format: 'gif', width: 320, height: 200 });
  });

  it('reads a JPEG whose frame header is in the first read', async () => {
    const { dimensions, source } = await dimensionsOf(jpegImage(1024, 768));

    expect(dimensions).toEqual({ format: 'jpeg', width: 1024, height: 768 });
    expect(source.reads).toBe(1);
  });

  it('reads a camera JPEG with tens of kilobytes of EXIF in one request', async () => {
    const { dimensions, source } = await dimensionsOf(jpegImage(4032, 3024, { exifBytes: 60_000, trailingBytes: 2_000_000 }));

    expect(dimensions).toEqual({ format: 'jpeg', width: 4032, height: 3024 });
    expect(source.reads).toBe(1);
    expect(source.bytesRead).toBe(HEADER_PROBE_BYTES);
  });

  it('skips metadata segments beyond the first read without reading them, then reads the frame header', async () => {
    const file = jpegImage(4032, 3024, { exifBytes: 60_000, iccProfileSegments: 1, trailingBytes: 2_000_000 });

    const { dimensions, source } = await dimensionsOf(file);

    expect(dimensions).toEqual({ format: 'jpeg', width: 4032, height: 3024 });
    expect(source.reads).toBe(2);
    expect(source.bytesRead).toBeLessThanOrEqual(2 * HEADER_PROBE_BYTES);
  });

  it.each([64, 200, 3_000])('reads a JPEG with %i application segments before its frame header', async (segments) => {
    const { dimensions } = await dimensionsOf(jpegImage(1600, 1200, { smallAppSegments: segments }));

    expect(dimensions).toEqual({ format: 'jpeg', width: 1600, height: 1200 });
  });

  it('gives up on a JPEG whose frame header lies past the scan budget, having read no more than the budget', async () => {
    // 20 segments of 60 KB: the frame header starts about 1.2 MB into the file.
    const file = jpegImage(800, 600, { iccProfileSegments: 20 });

    const { dimensions, source } = await dimensionsOf(file);

    expect(dimensions).toBeUndefined();
    expect(source.bytesRead).toBeLessThanOrEqual(JPEG_SCAN_BYTES);
  });

  it('finds a frame header within the scan budget after many large segments', async () => {
    // 15 segments of 60 KB: the frame header starts about 0.9 MB into the file.
    const { dimensions, source } = await dimensionsOf(jpegImage(800, 600, { iccProfileSegments: 15, trailingBytes: 5_000_000 }));

    expect(dimensions).toEqual({ format: 'jpeg', width: 800, height: 600 });
    expect(source.bytesRead).toBeLessThanOrEqual(JPEG_SCAN_BYTES);
  });

  it('recognises images by their bytes, not their name or type', async () => {
    expect((await dimensionsOf(Buffer.from('PNG image, honest'))).dimensions).toBeUndefined();
  });

  it.each([
    ['a truncated PNG', pngImage(10, 10).subarray(0, 20)],
    ['a truncated GIF', gifImage(10, 10).subarray(0, 8)],
    ['a JPEG cut before its frame header', jpegImage(10, 10, { exifBytes: 10_000 }).subarray(0, 6_000)],
    ['a JPEG with a zero segment length', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x00, 0x00])],
    [
      'a PNG that claims a zero width',
      (() => {
        const png = pngImage(1, 1);
        png.writeUInt32BE(0, 16);
        return png;
      })(),
    ],
  ])('gives no dimensions for %s', async (_case, file) => {
    expect((await dimensionsOf(file)).dimensions).toBeUndefined();
  });
});
