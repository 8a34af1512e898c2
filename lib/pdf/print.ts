import { pathToFileURL } from 'node:url';
import type { Browser } from 'puppeteer-core';
import { escapeHtml } from './escape';

/**
 * Prints a local HTML file to PDF with Chromium: selectable text, A4, the document's title and page
 * numbers on every page (the export id is in the annex, with the other identifiers). The page may load nothing but the file itself and data: URIs, and runs
 * no script, so nothing in an archived message can act or call out while it is printed.
 */
export async function printPdf(
  browser: Browser,
  htmlPath: string,
  pdfPath: string,
  opts: {
    /** What every page's footer names, e.g. "Ticket #1044 · Rafael Nogueira" (untrusted: escaped). */
    footerTitle: string;
    /** "page" and "of" in the document's language. */
    pageWords: { page: string; of: string };
    timeoutMs: number;
  },
): Promise<void> {
  const page = await browser.newPage();
  try {
    await page.setJavaScriptEnabled(false);
    await page.setRequestInterception(true);
    const fileUrl = pathToFileURL(htmlPath).href;
    page.on('request', (req) => {
      const url = req.url();
      if (url === fileUrl || url.startsWith('data:')) void req.continue();
      else void req.abort('blockedbyclient');
    });
    await page.goto(fileUrl, { waitUntil: 'load', timeout: opts.timeoutMs });
    const { page: pageWord, of } = opts.pageWords;
    const footer = `<div style="font-size:7pt;width:100%;padding:0 14mm;color:#555;display:flex;justify-content:space-between;gap:4mm;font-family:'Noto Sans',sans-serif"><span dir="auto" style="overflow:hidden;white-space:nowrap;text-overflow:ellipsis">${escapeHtml(opts.footerTitle)}</span><span style="white-space:nowrap">${escapeHtml(pageWord)} <span class="pageNumber"></span> ${escapeHtml(of)} <span class="totalPages"></span></span></div>`;
    await page.pdf({
      path: pdfPath,
      format: 'A4',
      printBackground: true,
      displayHeaderFooter: true,
      headerTemplate: '<div></div>',
      footerTemplate: footer,
      margin: { top: '16mm', bottom: '18mm', left: '14mm', right: '14mm' },
      timeout: opts.timeoutMs,
    });
  } finally {
    await page.close();
  }
}
