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

/** On the demo: both pages, in one room, wait until each lists the other as connected (the data path is open). */
export async function connectedOnDemo(a: Page, aId: string, b: Page, bId: string): Promise<void> {
  await Promise.all([
    a.locator(`#peers li[data-peer="${bId}"]`).waitFor({ timeout: 30_000 }),
    b.locator(`#peers li[data-peer="${aId}"]`).waitFor({ timeout: 30_000 }),
  ]);
}
