// Drives the web UI the way a person does: through its form fields, buttons and what it shows.
import type { Page } from 'playwright-core';

export const WAIT_MS = 20_000;

export type PageState = 'probing' | 'connecting' | 'open' | 'waiting' | 'stopped';

/**
 * Opens a node's page (it connects as an observer by itself), joins the chat under `name` (through
 * "Change name" when the origin remembers a name and joined by itself) and waits until it is connected
 * under that name; returns the page's peer id. `confirmNode`: the URL's ?node= names another node, which
 * the user allows.
 */
export async function joinMesh(page: Page, url: string, name: string, options: { confirmNode?: boolean } = {}): Promise<string> {
  await page.goto(url);
  if (options.confirmNode) await page.click('#node-confirm-yes', { timeout: WAIT_MS });
  await waitForState(page, 'open');
  if (await page.isHidden('#join')) await page.click('#change-name');
  await page.fill('#join-name', name);
  await page.click('#join button[type=submit]');
  await page.locator('#whoami', { hasText: `You are ${name} (` }).waitFor({ timeout: WAIT_MS });
  await waitForState(page, 'open');
  return pagePeerId(page);
}

/** Polls an async check (e.g. on locators) until it holds; a guard against hangs, not a speed test. */
export async function until(check: () => Promise<boolean>, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`waiting until ${what}: timed out after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function pagePeerId(page: Page): Promise<string> {
  await page.waitForSelector('html[data-peer-id]', { timeout: WAIT_MS });
  const id = await page.evaluate('document.documentElement.dataset.peerId');
  if (typeof id !== 'string') throw new Error('the page has no peer id');
  return id;
}

export async function waitForState(page: Page, state: PageState, problem?: string): Promise<void> {
  const selector = `#status[data-state="${state}"]${problem === undefined ? '' : `[data-problem="${problem}"]`}`;
  await page.waitForSelector(selector, { timeout: WAIT_MS });
}

export async function statusText(page: Page): Promise<string> {
  return (await page.textContent('#status')) ?? '';
}

/** Waits for the peer table row of `peerId`; returns its cells' texts. */
export async function peerRow(page: Page, peerId: string): Promise<string[]> {
  const row = page.locator(`#peer-table tbody tr[data-peer-id="${peerId}"]`);
  await row.waitFor({ timeout: WAIT_MS });
  return row.locator('td').allTextContents();
}

export async function sendChat(page: Page, text: string): Promise<void> {
  await page.fill('#message', text);
  await page.click('#send');
}

/** Clicks a peer in the table (direct-message target), then sends `text` to it. */
export async function sendDirect(page: Page, peerId: string, text: string): Promise<void> {
  await page.click(`#peer-table tbody tr[data-peer-id="${peerId}"]`);
  await page.waitForSelector(`#target[data-target="${peerId}"]`, { timeout: WAIT_MS });
  await sendChat(page, text);
}

export interface ChatLine {
  sender: string;
  text: string;
  direct: boolean;
  delivery: string;
}

/** The chat entry whose text is exactly `text`, once it is shown. */
export async function waitForChat(page: Page, text: string): Promise<ChatLine> {
  const item = page.locator('#chat-log li:not(.notice)').filter({ has: page.locator('.text', { hasText: text }) }).last();
  await item.waitFor({ timeout: WAIT_MS });
  return {
    sender: (await item.locator('.sender').textContent()) ?? '',
    text: (await item.locator('.text').textContent()) ?? '',
    direct: ((await item.getAttribute('class')) ?? '').split(' ').includes('direct'),
    delivery: (await item.locator('.delivery').textContent()) ?? '',
  };
}

export async function chatTexts(page: Page): Promise<string[]> {
  return page.locator('#chat-log li:not(.notice) .text').allTextContents();
}
