/** Debian's Chromium as the browser tests and the screenshot script launch it. */
import { existsSync } from "node:fs";
import type { Page } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const haveChromium = existsSync(CHROMIUM_PATH);

export const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  // Without these the browser keeps calling home, which this machine's closed network refuses.
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // Host candidates as plain loopback addresses, so two pages on one machine can connect.
  "--disable-features=WebRtcHideLocalIpsWithMdns",
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
];

/** On the demo: `caller` presses Call beside `calleeId`, and both pages wait until their chat with the other opens. */
export async function callOnDemo(caller: Page, callerId: string, callee: Page, calleeId: string): Promise<void> {
  await caller.locator(`#peers li[data-peer="${calleeId}"] button`).click();
  await Promise.all([
    caller.locator(`.call[data-peer="${calleeId}"] .chat-input:not([disabled])`).waitFor({ timeout: 30_000 }),
    callee.locator(`.call[data-peer="${callerId}"] .chat-input:not([disabled])`).waitFor({ timeout: 30_000 }),
  ]);
}
