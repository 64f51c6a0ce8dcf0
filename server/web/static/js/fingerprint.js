// The fingerprints of a picture file, computed in the browser as the Rust
// crate `consent-media` computes them: the SHA-256 of the file, and the
// perceptual hash (image_hasher's DCT hash against the median, 16 × 16, of
// a 32 × 32 thumbnail shrunk with the triangle filter from the crate's grey
// levels), so that a picture hashed on a phone or in the console matches
// the same picture hashed by the CLI. Only the hash leaves the browser,
// never the picture.
//
// The shrinking rounds every step to 32-bit floats (Math.fround) as the
// Rust code computes in f32: the 32 × 32 thumbnail is then equal level for
// level. The cosine transform is computed directly in 64-bit floats, which
// rustdct computes faster in 32-bit: a bit can differ only where a
// frequency lies within rounding of the median. JPEG decoders differ a
// little more (a few bits of 256; the browser test measures both).

/** Width and height of the hash in bits (crate: `SIDE`). */
const SIDE = 16;

/** The picture is shrunk to this size before its cosine transform. */
const SHRUNK = 2 * SIDE;

/** The crate's `MAX_FILE_BYTES`: larger files are not read. */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;

/** The crate's `MAX_PIXELS`: larger pictures are not decoded. */
export const MAX_PIXELS = 64_000_000;

/** Thrown for a picture this hash does not read, with the crate's code. */
export class PictureError extends Error {
  constructor(code, detail) {
    super(detail ? `${code}: ${detail}` : code);
    this.code = code;
  }
}

const f = Math.fround;

/** The SHA-256 of `blob` (a file or an edited photo), in hex. */
export async function sha256(blob) {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return hex(new Uint8Array(digest));
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * `{sha256, phash}` of a picture file. Throws `PictureError` when the file
 * is not a picture this reads.
 */
export async function fingerprint(file) {
  if (file.size > MAX_FILE_BYTES) throw new PictureError("file_too_large", `${file.size} bytes`);
  const [phash, digest] = await Promise.all([perceptualHash(file), sha256(file)]);
  return { sha256: digest, phash };
}

/**
 * The 64-hex-character perceptual hash of a picture file (a `Blob`).
 * Throws `PictureError` with code `not_a_picture`, `too_many_pixels` or
 * `damaged`.
 */
export async function perceptualHash(file) {
  let bitmap;
  try {
    // Turned as its EXIF orientation says, as the crate does: a portrait
    // from a phone is hashed as it is shown.
    bitmap = await createImageBitmap(file, {
      imageOrientation: "from-image",
      colorSpaceConversion: "none",
      premultiplyAlpha: "none",
    });
  } catch {
    throw new PictureError("not_a_picture");
  }
  try {
    return perceptualHashOfBitmap(bitmap);
  } finally {
    bitmap.close();
  }
}

/** The perceptual hash of a decoded picture (`ImageBitmap` or canvas). */
export function perceptualHashOfBitmap(bitmap) {
  const { width, height } = bitmap;
  if (width * height > MAX_PIXELS) throw new PictureError("too_many_pixels", `${width} × ${height}`);
  if (width === 0 || height === 0) throw new PictureError("damaged");
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  const rgba = context.getImageData(0, 0, width, height, { colorSpace: "srgb" }).data;
  return hashOfGrey(grey(rgba, width, height), width, height);
}

/** The `image` crate's luma: (2126 R + 7152 G + 722 B) / 10000, truncated. */
function grey(rgba, width, height) {
  const out = new Uint8Array(width * height);
  for (let i = 0, p = 0; i < out.length; i += 1, p += 4) {
    out[i] = Math.floor((2126 * rgba[p] + 7152 * rgba[p + 1] + 722 * rgba[p + 2]) / 10000);
  }
  return out;
}

/**
 * Hashes grey levels as image_hasher's `Median` with `preproc_dct` does:
 * shrink to 32 × 32, take the 2-D cosine transform, keep its 16 × 16 lowest
 * frequencies and set a bit for each at or above their median.
 */
export function hashOfGrey(levels, width, height) {
  const tall = verticalSample(levels, width, height, SHRUNK);
  const small = horizontalSample(tall, width, SHRUNK, SHRUNK);
  const frequencies = lowFrequencies(small);
  const sorted = Float64Array.from(frequencies).sort();
  const middle = sorted.length / 2;
  const median = (sorted[middle - 1] + sorted[middle]) / 2;
  const bytes = new Uint8Array((SIDE * SIDE) / 8);
  frequencies.forEach((value, bit) => {
    if (value >= median) bytes[bit >> 3] |= 1 << (bit & 7);
  });
  return hex(bytes);
}

/** cos(π (2n + 1) k / 2N) for the 32-point DCT-II, by k then n. */
const COSINES = Array.from({ length: SHRUNK }, (_, k) =>
  Float64Array.from({ length: SHRUNK }, (_, n) => Math.cos((Math.PI * (2 * n + 1) * k) / (2 * SHRUNK))),
);

/**
 * The unnormalised DCT-II of the rows, then of the columns (as rustdct's
 * `process_dct2`), of which the SIDE × SIDE lowest frequencies, row by row.
 * The scale does not matter: only the order against the median does.
 */
function lowFrequencies(pixels) {
  const rows = new Float64Array(SHRUNK * SIDE);
  for (let y = 0; y < SHRUNK; y += 1) {
    for (let k = 0; k < SIDE; k += 1) {
      let sum = 0;
      for (let n = 0; n < SHRUNK; n += 1) sum += pixels[y * SHRUNK + n] * COSINES[k][n];
      rows[y * SIDE + k] = sum;
    }
  }
  const out = new Float64Array(SIDE * SIDE);
  for (let x = 0; x < SIDE; x += 1) {
    for (let k = 0; k < SIDE; k += 1) {
      let sum = 0;
      for (let n = 0; n < SHRUNK; n += 1) sum += rows[n * SIDE + x] * COSINES[k][n];
      out[k * SIDE + x] = sum;
    }
  }
  return out;
}

/** The bits in which two hashes (hex) differ, 0 to 256. */
export function distance(a, b) {
  let bits = 0;
  for (let i = 0; i < a.length; i += 2) {
    let x = parseInt(a.slice(i, i + 2), 16) ^ parseInt(b.slice(i, i + 2), 16);
    while (x) {
      bits += x & 1;
      x >>= 1;
    }
  }
  return bits;
}

const triangle = (x) => (Math.abs(x) < 1 ? f(1 - Math.abs(x)) : 0);

/**
 * The triangle filter's weights for each output position, as the `image`
 * crate computes them (`imageops::sample`): centre at (out + 0.5) × ratio,
 * support widened by the ratio when shrinking, weights normalised.
 */
function weights(size, newSize) {
  const ratio = f(size / newSize);
  const sratio = ratio < 1 ? 1 : ratio;
  const support = f(1 * sratio);
  const all = [];
  for (let out = 0; out < newSize; out += 1) {
    let centre = f(f(out + 0.5) * ratio);
    const left = Math.min(Math.max(Math.floor(f(centre - support)), 0), size - 1);
    const right = Math.min(Math.max(Math.ceil(f(centre + support)), left + 1), size);
    centre = f(centre - 0.5);
    const ws = [];
    let sum = 0;
    for (let i = left; i < right; i += 1) {
      const w = triangle(f(f(i - centre) / sratio));
      ws.push(w);
      sum = f(sum + w);
    }
    all.push({ left, ws: Float32Array.from(ws, (w) => f(w / sum)) });
  }
  return all;
}

function verticalSample(levels, width, height, newHeight) {
  const out = new Float32Array(width * newHeight);
  weights(height, newHeight).forEach(({ left, ws }, outY) => {
    for (let x = 0; x < width; x += 1) {
      let t = 0;
      for (let i = 0; i < ws.length; i += 1) t = f(t + f(levels[(left + i) * width + x] * ws[i]));
      out[outY * width + x] = t;
    }
  });
  return out;
}

function horizontalSample(tall, width, height, newWidth) {
  const out = new Uint8Array(newWidth * height);
  weights(width, newWidth).forEach(({ left, ws }, outX) => {
    for (let y = 0; y < height; y += 1) {
      let t = 0;
      for (let i = 0; i < ws.length; i += 1) t = f(t + f(tall[y * width + left + i] * ws[i]));
      out[y * newWidth + outX] = Math.round(Math.min(Math.max(t, 0), 255));
    }
  });
  return out;
}
