// Debian's Chromium driven by playwright-core (never a downloaded browser), with a fresh profile
// that is deleted again on close.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';

/** Debian's chromium; WSMESH_CHROMIUM points elsewhere (e.g. to check that a missing browser fails CI). */
export const CHROMIUM_PATH = process.env.WSMESH_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Names that reach 127.0.0.1 without being a secure context (as a page on http://<LAN address> is not) or
  // the node's own name (as an attacker's rebound DNS name is not).
  '--host-resolver-rules=MAP wsmesh.test 127.0.0.1, MAP rebind.test 127.0.0.1',
];
/** Loads the page from a non-secure origin (not localhost, not https) that still reaches 127.0.0.1. */
export const INSECURE_HOST = 'wsmesh.test';
/** A foreign DNS name that resolves to 127.0.0.1, as a rebinding attacker's name does. */
export const REBOUND_HOST = 'rebind.test';
/**
 * Chromium's Local Network Access checks already stop a public page from fetching a loopback or LAN address;
 * other browsers do not. This turns them off, to test what the node itself does against such a page.
 */
export const WITHOUT_LOCAL_NETWORK_ACCESS_CHECKS = '--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests';
export const CHROMIUM_INSTALL = 'apt-get install -y chromium && npm install (playwright-core)';
export const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/browser/', import.meta.url));

type Playwright = typeof import('playwright-core');

/** playwright-core when it is installed and Debian's chromium exists; null otherwise. */
export async function loadPlaywright(): Promise<Playwright | null> {
  if (!existsSync(CHROMIUM_PATH)) return null;
  try {
    return await import('playwright-core');
  } catch {
    return null;
  }
}

export interface ChromiumSession {
  context: BrowserContext;
  /** A new tab that fails the test run on uncaught page errors (collected in `pageErrors`). */
  newPage(): Promise<Page>;
  pageErrors: string[];
  close(): Promise<void>;
}

export async function launchChromium(playwright: Playwright, extraArgs: readonly string[] = []): Promise<ChromiumSession> {
  const profile = mkdtempSync(join(tmpdir(), 'wsmesh-chromium-'));
  let context: BrowserContext;
  try {
    context = await playwright.chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS, ...extraArgs],
      viewport: { width: 1280, height: 720 },
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  const pageErrors: string[] = [];
  return {
    context,
    pageErrors,
    async newPage() {
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
      return page;
    },
    async close() {
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}

/** Saves a screenshot under test-artifacts/browser/ and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
