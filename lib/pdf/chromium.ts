import puppeteer, { type Browser } from 'puppeteer-core';

/** Flags for Debian's Chromium here: no sandbox as root, and no background calls to the internet. */
export function chromeArgs(): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-dev-shm-usage',
  ];
}

export function launchChromium(executablePath: string): Promise<Browser> {
  return puppeteer.launch({ executablePath, args: chromeArgs(), headless: true });
}
