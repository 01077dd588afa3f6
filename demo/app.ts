/**
 * The demo page, built on `joinRoom` alone: join a room (or be matched in a lobby), and everyone in it is connected
 * to everyone else: a chat with names from `meta`, cameras as tiles, an optional room secret that seals every
 * signal, and a Leave button. `window.demo` exposes the room for debugging and tests.
 */
import { joinRoom, type MeshRoom, type RoomError } from "../src/client/index.js";
import { isValidPeerId, isValidRoomName } from "../src/core/wire/protocol.js";

interface Meta {
  name: string;
}

/** What a chat message is on the wire between pages. */
interface ChatMessage {
  text: string;
}

const $ = <T extends Element>(selector: string, root: ParentNode = document): T => {
  const found = root.querySelector<T>(selector);
  if (!found) throw new Error(`missing element ${selector}`);
  return found;
};

/** The lobby the Quick match button waits in: pairs of two. */
const QUICK_LOBBY = "quick-match";

let room: MeshRoom<Meta> | undefined;
let camera: MediaStream | undefined;
let statsTimer: ReturnType<typeof setInterval> | undefined;
/** Each peer's name as it gave it (`meta`), kept to say who left. */
const names = new Map<string, string>();
/** Which peer the error on show is about, so that it goes when that peer does. */
let errorAbout: string | undefined;

declare global {
  interface Window {
    demo: { room?: MeshRoom<Meta> };
  }
}
window.demo = {};

/** This tab's session, kept across reloads: the same room and name come back, with the id's resume token. */
interface SavedSession {
  room: string;
  name: string;
  token?: string;
}
const SESSION_KEY = "webrtc-signal-demo";

function savedSession(): SavedSession | undefined {
  try {
    const saved: unknown = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? "null");
    if (typeof saved !== "object" || saved === null) return undefined;
    const { room, name, token } = saved as Record<string, unknown>;
    if (!isValidRoomName(room) || !isValidPeerId(name)) return undefined;
    return { room, name, token: typeof token === "string" ? token : undefined };
  } catch {
    return undefined;
  }
}

function saveSession(session: SavedSession | undefined): void {
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(SESSION_KEY);
}

const TOKEN_KEY = "webrtc-signal-demo-token";

/**
 * A join token given as `#token=<jwt>` (for a server with AUTH_SECRET or AUTH_JWKS): kept for this tab in
 * sessionStorage and taken out of the address bar, so that it is not shared with a copied link.
 */
function takeToken(params: URLSearchParams): string | undefined {
  const given = params.get("token");
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    params.delete("token");
    history.replaceState(null, "", `${location.pathname}${location.search}${params.size ? `#${params}` : ""}`);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** The peer id a token binds its holder to (`sub`), to fill in the name; read, not verified (the server does). */
function subjectOf(token: string | undefined): string | undefined {
  try {
    const payload = token?.split(".")[1];
    if (!payload) return undefined;
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const sub = (JSON.parse(json) as { sub?: unknown }).sub;
    return typeof sub === "string" ? sub : undefined;
  } catch {
    return undefined;
  }
}

let joinToken: string | undefined;

function init(): void {
  const params = new URLSearchParams(location.hash.slice(1));
  joinToken = takeToken(params);
  const saved = savedSession();
  const roomName = params.get("room") ?? saved?.room ?? "lobby";
  // After a reload in the same room, the same name (and so the same peer id) joins again by itself.
  const again = saved !== undefined && saved.room === roomName && !params.has("name");
  $<HTMLInputElement>("#room").value = roomName;
  $<HTMLInputElement>("#name").value =
    subjectOf(joinToken) ?? params.get("name") ?? saved?.name ?? `peer-${Math.random().toString(36).slice(2, 6)}`;
  $<HTMLFormElement>("#join").addEventListener("submit", (event) => {
    event.preventDefault();
    void join({ room: $<HTMLInputElement>("#room").value.trim() });
  });
  $("#quick").addEventListener("click", () => void join({ lobby: QUICK_LOBBY }));
  $("#leave").addEventListener("click", () => void leave());
  $("#camera").addEventListener("click", () => void toggleCamera());
  $("#mute").addEventListener("click", toggleMute);
  $<HTMLFormElement>("#chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $<HTMLInputElement>("#chat-input");
    if (!input.value || !room) return;
    room.send({ text: input.value } satisfies ChatMessage);
    addChat("you", input.value, true);
    input.value = "";
  });
  if (params.get("join") === "1" || again) $<HTMLFormElement>("#join").requestSubmit();
}

/** Joins the room named, or waits in the lobby for a partner; says in the form why it could not. */
async function join(where: { room: string } | { lobby: string }): Promise<void> {
  const joinError = $<HTMLElement>("#join-error");
  joinError.hidden = true;
  const name = $<HTMLInputElement>("#name").value.trim();
  const problem =
    "room" in where && !isValidRoomName(where.room)
      ? "The room name must be 1 to 64 letters, digits, _ - or . (no spaces)."
      : !isValidPeerId(name)
        ? "Your name must be 1 to 64 letters, digits, _ - . : or @ (no spaces)."
        : undefined;
  if (problem) {
    joinError.textContent = problem;
    joinError.hidden = false;
    return;
  }
  const secret = $<HTMLInputElement>("#secret").value || undefined;
  const saved = savedSession();
  const resumeToken = "room" in where && saved?.room === where.room && saved.name === name ? saved.token : undefined;
  const waiting = $<HTMLElement>("#join-status");
  for (const button of $("#join").querySelectorAll("button")) button.disabled = true;
  setBadge("connecting", "lobby" in where ? "waiting for a match" : "connecting");
  try {
    room = await joinRoom<Meta>({
      url: location.origin,
      ...("room" in where ? { room: where.room } : { lobby: where.lobby, size: 2 }),
      peerId: name,
      meta: { name },
      parseMeta: (meta) =>
        typeof meta === "object" && meta !== null && "name" in meta && typeof meta.name === "string"
          ? { name: meta.name }
          : undefined,
      secret,
      token: joinToken,
      resumeToken,
      onWaiting: ({ waiting: count, size }) => {
        waiting.textContent = `Waiting for a partner: ${count} of ${size} here.`;
        waiting.hidden = false;
      },
    });
  } catch (error) {
    const { message, code } = error as RoomError;
    joinError.textContent = `Could not join: ${message}${code ? ` (${code})` : ""}`;
    joinError.hidden = false;
    setBadge("closed", "not connected");
    return;
  } finally {
    waiting.hidden = true;
    for (const button of $("#join").querySelectorAll("button")) button.disabled = false;
  }
  entered(room, name, secret !== undefined);
}

function entered(joined: MeshRoom<Meta>, name: string, sealed: boolean): void {
  window.demo.room = joined;
  setBadge("open", "connected");
  saveSession({ room: joined.name, name, token: joined.resumeToken });
  joined.on("state", (state) => {
    setBadge(state, state === "open" ? "connected" : state);
    if (state === "open") saveSession({ room: joined.name, name, token: joined.resumeToken });
  });
  joined.on("peer-join", ({ peerId, meta }) => {
    if (typeof meta?.name === "string") names.set(peerId, meta.name);
    addChat(nameOf(peerId), "joined", false);
    renderPeers();
  });
  joined.on("peer-leave", ({ peerId }) => {
    document.querySelector(`.tile[data-peer="${CSS.escape(peerId)}"]`)?.remove();
    if (errorAbout === peerId) showError(undefined);
    addChat(nameOf(peerId), "left", false);
    renderPeers();
  });
  joined.on("message", ({ from, data }) => {
    const text = typeof (data as ChatMessage)?.text === "string" ? (data as ChatMessage).text : String(data);
    addChat(nameOf(from), text, false);
  });
  joined.on("stream", ({ peerId, stream }) => showTile(peerId, stream));
  joined.on("error", (error) => showError(error));
  history.replaceState(null, "", `#room=${encodeURIComponent(joined.name)}`);
  $("#join").setAttribute("hidden", "");
  $("#lobby").removeAttribute("hidden");
  $("#room-name").textContent = joined.name;
  $("#me").textContent = name;
  $<HTMLElement>("#sealed").hidden = !sealed;
  $("#share").textContent = sealed
    ? `Others join at ${location.origin}/#room=${joined.name} with the same secret`
    : `Others join at ${location.origin}/#room=${joined.name}`;
  statsTimer = setInterval(() => void showStats(), 1_000);
  renderPeers();
}

/** Leaves the room (a goodbye: the others see it at once) and goes back to the form. */
async function leave(): Promise<void> {
  const leaving = room;
  room = undefined;
  window.demo.room = undefined;
  clearInterval(statsTimer);
  stopCamera();
  saveSession(undefined);
  await leaving?.leave();
  $("#tiles").replaceChildren();
  $("#chat").replaceChildren();
  showError(undefined);
  $("#lobby").setAttribute("hidden", "");
  $("#join").removeAttribute("hidden");
  setBadge("closed", "not connected");
}

function nameOf(peerId: string): string {
  const name = names.get(peerId);
  return name !== undefined && name !== peerId ? `${name} (${peerId})` : peerId;
}

function renderPeers(): void {
  const peers = [...(room?.peers.values() ?? [])].sort((a, b) => a.peerId.localeCompare(b.peerId));
  $<HTMLUListElement>("#peers").replaceChildren(
    ...peers.map(({ peerId }) => {
      const item = document.createElement("li");
      item.dataset.peer = peerId;
      const label = document.createElement("span");
      label.textContent = nameOf(peerId);
      const stats = document.createElement("span");
      stats.className = "stats";
      item.append(label, stats);
      return item;
    }),
  );
  $("#peer-count").textContent =
    peers.length === 0 ? "Nobody else is here yet." : `Connected to ${peers.length} other peer(s).`;
}

/** A tile for a stream: the local camera's, or a peer's, labelled with whose it is. */
function showTile(peerId: string, stream: MediaStream, mine = false): void {
  const tiles = $("#tiles");
  const selector = `.tile[data-peer="${CSS.escape(peerId)}"]`;
  tiles.querySelector(selector)?.remove();
  const tile = document.createElement("figure");
  tile.className = "tile";
  tile.dataset.peer = peerId;
  const video = document.createElement("video");
  video.autoplay = video.playsInline = true;
  video.muted = mine;
  video.srcObject = stream;
  const caption = document.createElement("figcaption");
  caption.textContent = mine ? "you" : nameOf(peerId);
  tile.append(video, caption);
  if (mine) tiles.prepend(tile);
  else tiles.append(tile);
  // The peer stopped its camera: its tracks go, and its tile with them.
  stream.addEventListener("removetrack", () => {
    if (stream.getTracks().length === 0) tile.remove();
  });
}

async function toggleCamera(): Promise<void> {
  const button = $<HTMLButtonElement>("#camera");
  if (camera) {
    stopCamera();
    return;
  }
  button.disabled = true;
  try {
    camera = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    room?.addStream(camera);
    showTile(room?.peerId ?? "you", camera, true);
    button.textContent = "Stop camera";
    $<HTMLElement>("#mute").hidden = false;
  } catch (error) {
    addChat("camera", `could not start: ${(error as Error).message}`, false);
  } finally {
    button.disabled = false;
  }
}

function stopCamera(): void {
  if (!camera) return;
  room?.removeStream(camera);
  for (const track of camera.getTracks()) track.stop();
  document.querySelector(`.tile[data-peer="${CSS.escape(room?.peerId ?? "you")}"]`)?.remove();
  camera = undefined;
  $("#camera").textContent = "Start camera";
  const mute = $<HTMLButtonElement>("#mute");
  mute.hidden = true;
  mute.textContent = "Mute";
  mute.setAttribute("aria-pressed", "false");
}

/** Mutes the microphone without ending anything; a second press turns it back on. */
function toggleMute(): void {
  const tracks = camera?.getAudioTracks() ?? [];
  const enabled = !tracks.some((track) => track.enabled);
  for (const track of tracks) track.enabled = enabled;
  const button = $<HTMLButtonElement>("#mute");
  button.textContent = enabled ? "Mute" : "Unmute";
  button.setAttribute("aria-pressed", String(!enabled));
}

/** Per peer: round-trip time and candidate types in the list, frames decoded on its tile. */
async function showStats(): Promise<void> {
  for (const { peerId, connection } of room?.peers.values() ?? []) {
    const report = await connection.getStats();
    let pair: RTCIceCandidatePairStats | undefined;
    let framesDecoded = 0;
    report.forEach((stat) => {
      if (stat.type === "transport" && stat.selectedCandidatePairId) pair = report.get(stat.selectedCandidatePairId);
      if (stat.type === "inbound-rtp" && stat.kind === "video") framesDecoded += stat.framesDecoded ?? 0;
    });
    const tile = document.querySelector<HTMLElement>(`.tile[data-peer="${CSS.escape(peerId)}"]`);
    if (tile) tile.dataset.framesDecoded = String(framesDecoded);
    const stats = document.querySelector(`#peers li[data-peer="${CSS.escape(peerId)}"] .stats`);
    if (!pair || !stats) continue;
    const local = report.get(pair.localCandidateId)?.candidateType ?? "?";
    const remote = report.get(pair.remoteCandidateId)?.candidateType ?? "?";
    const rtt = pair.currentRoundTripTime === undefined ? "?" : `${(pair.currentRoundTripTime * 1000).toFixed(1)} ms`;
    stats.textContent = `RTT ${rtt} · ${local} ↔ ${remote}`;
  }
}

/** Shows the room's latest error, or clears it. */
function showError(error: RoomError | undefined): void {
  const line = $<HTMLElement>("#room-error");
  errorAbout = error?.peerId;
  line.hidden = error === undefined;
  line.textContent = error ? `${error.message} (${error.code})` : "";
}

function addChat(who: string, text: string, mine: boolean): void {
  const item = document.createElement("li");
  item.className = mine ? "mine" : "";
  const name = document.createElement("span");
  name.className = "who";
  name.textContent = who;
  item.append(name, document.createTextNode(text));
  const log = $<HTMLOListElement>("#chat");
  log.append(item);
  log.scrollTop = log.scrollHeight;
}

function setBadge(state: string, text: string): void {
  const badge = $("#status");
  badge.setAttribute("data-state", state);
  badge.textContent = text;
}

init();
