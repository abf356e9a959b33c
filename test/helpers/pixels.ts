/** Decoding responses with sharp, to assert on pixels rather than status codes. */
import sharp from 'sharp';

export interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  at(x: number, y: number): number[];
}

export async function pixels(input: Buffer | string): Promise<Pixels> {
  const { data, info } = await sharp(input).raw().toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    channels: info.channels,
    at: (x, y) => {
      const i = (y * info.width + x) * info.channels;
      return [...data.subarray(i, i + info.channels)];
    },
  };
}

/** Largest per-channel difference between two colours. */
export function colourDistance(a: number[], b: number[]): number {
  return Math.max(...a.slice(0, 3).map((v, i) => Math.abs(v - (b[i] ?? 0))));
}

export async function body(res: Response): Promise<Buffer> {
  return Buffer.from(await res.arrayBuffer());
}
