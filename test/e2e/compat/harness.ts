/**
 * What each compatibility test needs, started once per host: the server (`npm start` or `npm run serve`), the app's
 * page on a loopback origin of its own, and Chromium. Each page opens in a browser context of its own, so that pages
 * cannot meet over BroadcastChannel or shared storage, only through the server.
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { type DevServer, type NpmServerKind, startNpmServer } from "../../../tools/npm-server.js";
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from "../chromium.js";
import { type AppServer, serveApp } from "./serve-app.js";

export const HOSTS: NpmServerKind[] = ["npm start", "npm run serve"];

export interface CompatApp {
  /** The server under test, once started. */
  readonly signal: DevServer;
  /** A fresh page of the app, in a context of its own. */
  page(): Promise<Page>;
}

/** Registers the hooks that start and stop everything for the enclosing describe block. */
export function useCompatApp(kind: NpmServerKind, entry: string): CompatApp {
  let signal: DevServer | undefined;
  let app: AppServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    [signal, app, browser] = await Promise.all([
      startNpmServer(kind),
      serveApp(entry),
      chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS }),
    ]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    app?.close();
    await signal?.stop();
  });
  return {
    get signal() {
      if (!signal) throw new Error("the server is not started yet");
      return signal;
    },
    async page() {
      if (!browser || !app) throw new Error("the browser is not started yet");
      const page = await (await browser.newContext()).newPage();
      page.on("pageerror", (error) => console.error("page error:", error.message));
      await page.goto(app.url);
      return page;
    },
  };
}
