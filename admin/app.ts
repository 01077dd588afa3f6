/**
 * The admin page: asks for the admin token once (kept in sessionStorage, so for this tab only, never in a URL),
 * then reads `/admin/overview` every two seconds and draws it: totals, a chart of messages and connections over
 * the last minutes (uPlot), the rooms, recent refusals and errors, and one room's stats on a click.
 */
import uPlot from "uplot";

interface RoomView {
  endpoint: string;
  room: string;
  connections: number;
  peers: number;
  messagesPerSecond: number;
}
interface Overview {
  rooms: RoomView[];
  roomCount: number;
  totals: { connections: number; peers: number; rooms: number; messagesPerSecond: number };
  history: Array<{ at: number; messagesPerSecond: number; connections: number }>;
  recent: Array<{ at: number; endpoint: string; room: string; metric: string; label: string; count: number }>;
}

const KEY = "signal-admin-token";
const REFRESH_MS = 2000;
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let chart: uPlot | undefined;
let timer: ReturnType<typeof setTimeout> | undefined;
let selected: RoomView | undefined;

function token(): string | null {
  return sessionStorage.getItem(KEY);
}

async function ask(path: string): Promise<Response> {
  return fetch(path, { headers: { Authorization: `Bearer ${token() ?? ""}` }, cache: "no-store" });
}

function signedOut(message = ""): void {
  sessionStorage.removeItem(KEY);
  if (timer !== undefined) clearTimeout(timer);
  $("live").hidden = true;
  $("sign-in").hidden = false;
  $("sign-out").hidden = true;
  $("sign-in-error").textContent = message;
  $("status").textContent = "not signed in";
}

async function refresh(): Promise<void> {
  timer = undefined;
  let response: Response;
  try {
    response = await ask("/admin/overview");
  } catch {
    $("status").textContent = "server unreachable; trying again";
    timer = setTimeout(refresh, REFRESH_MS);
    return;
  }
  if (response.status === 401 || response.status === 429) {
    const body = (await response.json().catch(() => ({}))) as { error?: string };
    signedOut(body.error ?? "the token was refused");
    return;
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: string };
    $("status").textContent = body.error ?? `the server answered ${response.status}`;
    timer = setTimeout(refresh, REFRESH_MS * 5);
    return;
  }
  const view = (await response.json()) as Overview;
  $("sign-in").hidden = true;
  $("live").hidden = false;
  $("sign-out").hidden = false;
  $("status").textContent = `live · updated ${new Date().toLocaleTimeString()}`;
  draw(view);
  if (selected) await detail(selected);
  timer = setTimeout(refresh, REFRESH_MS);
}

function draw(view: Overview): void {
  const { connections, peers, rooms: live, messagesPerSecond } = view.totals;
  $("t-connections").textContent = String(connections);
  $("t-peers").textContent = String(peers);
  $("t-rooms").textContent = String(live);
  $("t-rate").textContent = messagesPerSecond.toFixed(1);
  drawChart(view.history);
  const rooms = $("rooms").querySelector("tbody") as HTMLElement;
  rooms.replaceChildren(
    ...view.rooms.map((room) => {
      const row = cells([room.endpoint, room.room, room.peers, room.connections, room.messagesPerSecond.toFixed(1)]);
      row.dataset.room = room.room;
      row.addEventListener("click", () => {
        selected = room;
        void detail(room);
      });
      return row;
    }),
  );
  $("no-rooms").hidden = view.rooms.length > 0;
  $("more-rooms").hidden = view.roomCount <= view.rooms.length;
  $("more-rooms").textContent = `and ${view.roomCount - view.rooms.length} quieter rooms not shown`;
  const recent = $("recent").querySelector("tbody") as HTMLElement;
  recent.replaceChildren(
    ...view.recent.map((i) => {
      const what = `${i.metric === "signal_refusals_total" ? "refused" : "error"}: ${i.label}`;
      return cells([new Date(i.at).toLocaleTimeString(), i.endpoint, i.room || "(before any room)", what, i.count]);
    }),
  );
  $("no-recent").hidden = view.recent.length > 0;
}

function drawChart(history: Overview["history"]): void {
  const data: uPlot.AlignedData = [
    history.map((p) => p.at / 1000),
    history.map((p) => p.messagesPerSecond),
    history.map((p) => p.connections),
  ];
  const width = Math.min(($("chart").parentElement?.clientWidth ?? 900) - 8, 1160);
  if (!chart) {
    chart = new uPlot(
      {
        width,
        height: 220,
        series: [
          {},
          { label: "messages/s", stroke: "#2b7de9", width: 2, scale: "rate" },
          { label: "connections", stroke: "#e9892b", width: 2, scale: "count" },
        ],
        axes: [
          {},
          { scale: "rate", label: "messages/s" },
          { scale: "count", side: 1, label: "connections", grid: { show: false } },
        ],
        scales: {
          x: { time: true },
          rate: { range: (_u, _min, max) => [0, Math.max(1, max)] },
          count: { range: (_u, _min, max) => [0, Math.max(1, max)] },
        },
      },
      data,
      $("chart"),
    );
  } else {
    chart.setData(data);
  }
}

async function detail(room: RoomView): Promise<void> {
  $("detail").hidden = false;
  $("detail-name").textContent = `${room.endpoint} · ${room.room}`;
  if (room.endpoint !== "seed") {
    $("detail-body").textContent = JSON.stringify(room, null, 2);
    return;
  }
  const response = await ask(`/rooms/${encodeURIComponent(room.room)}/stats`).catch(() => undefined);
  $("detail-body").textContent = response?.ok ? JSON.stringify(await response.json(), null, 2) : "unavailable";
}

function cells(values: Array<string | number>): HTMLTableRowElement {
  const row = document.createElement("tr");
  for (const value of values) {
    const cell = document.createElement("td");
    cell.textContent = String(value);
    row.append(cell);
  }
  return row;
}

$("sign-in").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, ($("token") as HTMLInputElement).value.trim());
  ($("token") as HTMLInputElement).value = "";
  $("sign-in-error").textContent = "";
  void refresh();
});
$("sign-out").addEventListener("click", () => signedOut());
if (token()) void refresh();
