/** Flags for Chromium on these machines: shared with the PDF renderer (lib/pdf/chromium.ts). */
export { chromeArgs } from '../../lib/pdf/chromium';
