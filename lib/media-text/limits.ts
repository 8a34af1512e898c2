import { z } from 'zod';

/**
 * What one file may cost the extractor (issue 18: hostile files). Every engine runs in a child
 * process under these caps; a file over one is recorded `unreadable` (or `timeout`) with the reason.
 */
export const mediaTextLimitsSchema = z.object({
  /** Bytes read from storage per file; a larger file is not read at all. */
  maxBytes: z
    .number()
    .int()
    .min(1024)
    .max(1024 ** 3),
  /** Pixels of an image (width × height, read from its header before any decoding). */
  maxPixels: z.number().int().min(10_000).max(400_000_000),
  /** Pages of a PDF read (text layer and OCR); later pages are left out, and the result says so. */
  maxPages: z.number().int().min(1).max(2000),
  /** Wall-clock seconds per file, every child process included. */
  timeoutSeconds: z.number().min(1).max(3600),
  /** Address-space limit of every child process (ulimit -v), bytes. */
  memoryBytes: z
    .number()
    .int()
    .min(64 * 1024 ** 2)
    .max(64 * 1024 ** 3),
  /** Characters of text kept per file. */
  maxChars: z.number().int().min(100).max(10_000_000),
});

export type MediaTextLimits = z.infer<typeof mediaTextLimitsSchema>;

export const DEFAULT_MEDIA_TEXT_LIMITS: MediaTextLimits = {
  maxBytes: 50 * 1024 ** 2,
  maxPixels: 50_000_000,
  maxPages: 50,
  timeoutSeconds: 120,
  memoryBytes: 1536 * 1024 ** 2,
  maxChars: 200_000,
};

/** Tesseract language codes joined by '+' (por+spa+eng), each installed as <code>.traineddata. */
export const ocrLanguages = z
  .string()
  .trim()
  .regex(/^[a-z_]{3,8}(\+[a-z_]{3,8}){0,5}$/, 'Tesseract language codes joined by +, e.g. por+spa+eng');

/** The limits as configured (lib/config.ts MEDIA_TEXT_*). */
export function limitsFromConfig(c: {
  MEDIA_TEXT_MAX_BYTES: number;
  MEDIA_TEXT_MAX_PIXELS: number;
  MEDIA_TEXT_MAX_PAGES: number;
  MEDIA_TEXT_TIMEOUT_SECONDS: number;
  MEDIA_TEXT_MEMORY_MB: number;
}): MediaTextLimits {
  return mediaTextLimitsSchema.parse({
    ...DEFAULT_MEDIA_TEXT_LIMITS,
    maxBytes: c.MEDIA_TEXT_MAX_BYTES,
    maxPixels: c.MEDIA_TEXT_MAX_PIXELS,
    maxPages: c.MEDIA_TEXT_MAX_PAGES,
    timeoutSeconds: c.MEDIA_TEXT_TIMEOUT_SECONDS,
    memoryBytes: c.MEDIA_TEXT_MEMORY_MB * 1024 ** 2,
  });
}
