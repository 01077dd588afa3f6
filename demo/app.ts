/**
 * The demo page, built on the client SDK alone: join a room, watch who is there, call a peer, chat over a data
 * channel, and optionally share camera and microphone. `window.demo` exposes the client and calls for debugging.
 */
import { isSessionSignal, PeerSession, SignalingClient, type SignalingError } from "../src/client/index.js";
import { isValidPeerId, isValidRoomName } from "../src/core/wire/protocol.js";

interface Call {
  session: PeerSession;
  /** The chat channel, once the connection exists. */
  channel?: RTCDataChannel;
  element: HTMLElement;
  statsTimer: ReturnType<typeof setInterval>;
  localStream?: MediaStream;
}

const $ = <T extends Element>(selector: string, root: ParentNode = document): T => {
  const found = root.querySelector<T>(selector);
  if (!found) throw new Error(`missing element ${selector}`);
  return found;
};

const peers = new Set<string>();
const calls = new Map<string, Call>();
let client: SignalingClient | undefined;

declare global {
  interface Window {
    demo: { client?: SignalingClient; calls: Map<string, Call>; call(peerId: string): Call };
  }
}
window.demo = { calls, call: (peerId) => startCall(peerId) };

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

function saveSession(session: SavedSession): void {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
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
  const room = params.get("room") ?? saved?.room ?? "lobby";
  // After a reload in the same room, the same name (and so the same peer id) joins again by itself.
  const again = saved !== undefined && saved.room === room && !params.has("name");
  $<HTMLInputElement>("#room").value = room;
  $<HTMLInputElement>("#name").value =
    subjectOf(joinToken) ?? params.get("name") ?? saved?.name ?? `peer-${Math.random().toString(36).slice(2, 6)}`;
  $<HTMLFormElement>("#join").addEventListener("submit", (event) => {
    event.preventDefault();
    void join($<HTMLInputElement>("#room").value.trim(), $<HTMLInputElement>("#name").value.trim());
  });
  if (params.get("join") === "1" || again) $<HTMLFormElement>("#join").requestSubmit();
}

async function join(room: string, name: string): Promise<void> {
  const joinError = $<HTMLElement>("#join-error");
  joinError.hidden = true;
  const problem = !isValidRoomName(room)
    ? "The room name must be 1 to 64 letters, digits, _ - or . (no spaces)."
    : !isValidPeerId(name)
      ? "Your name must be 1 to 64 letters, digits, _ - . : or @ (no spaces)."
      : undefined;
  if (problem) {
    joinError.textContent = problem;
    joinError.hidden = false;
    return;
  }
  const saved = savedSession();
  const resumeToken = saved?.room === room && saved.name === name ? saved.token : undefined;
  client = new SignalingClient({
    url: location.origin,
    room,
    peerId: name,
    presence: true,
    resumeToken,
    token: joinToken,
  });
  window.demo.client = client;
  client.on("state", (state) => setBadge($("#status"), state, state === "open" ? "connected" : state));
  client.on("registered", (answer) => {
    saveSession({ room, name, token: answer.resume_token });
    showSignalError(undefined);
    peers.clear();
    for (const peer of answer.peers) peers.add(peer);
    renderPeers();
  });
  client.on("peer-joined", ({ peerId }) => {
    peers.add(peerId);
    renderPeers();
  });
  client.on("peer-left", ({ peerId }) => {
    peers.delete(peerId);
    // The other side is gone for good: its call ends here too, and its button frees.
    calls.get(peerId)?.session.close();
    endCall(peerId);
    renderPeers();
  });
  client.on("relay", ({ from, data }) => {
    if (!isSessionSignal(data)) return;
    if (data.rtc === "bye" && !calls.has(from)) return;
    void (calls.get(from) ?? startCall(from)).session.handleSignal(data);
  });
  client.on("error", (error) => showSignalError(error));
  try {
    await client.connect();
  } catch (error) {
    joinError.textContent = `Could not join: ${(error as SignalingError).message}`;
    joinError.hidden = false;
    return;
  }
  history.replaceState(null, "", `#room=${encodeURIComponent(room)}`);
  $("#join").setAttribute("hidden", "");
  $("#lobby").removeAttribute("hidden");
  $("#room-name").textContent = room;
  $("#me").textContent = name;
  $("#share").textContent = `Others join at ${location.origin}/#room=${room}`;
}

/** Shows a signaling error on the page (the latest one), or clears it. */
function showSignalError(error: SignalingError | undefined): void {
  const line = $<HTMLElement>("#signal-error");
  line.hidden = error === undefined;
  line.textContent = error ? `Signaling: ${error.message} (${error.code})` : "";
}

function renderPeers(): void {
  const list = $<HTMLUListElement>("#peers");
  list.replaceChildren(
    ...[...peers].sort().map((peerId) => {
      const item = document.createElement("li");
      item.dataset.peer = peerId;
      const label = document.createElement("span");
      label.textContent = peerId;
      const button = document.createElement("button");
      button.textContent = calls.has(peerId) ? "In call" : "Call";
      button.disabled = calls.has(peerId);
      button.addEventListener("click", () => startCall(peerId));
      item.append(label, button);
      return item;
    }),
  );
  $("#peer-count").textContent = peers.size === 0 ? "Nobody else is here yet." : `${peers.size} other peer(s) here.`;
}

/** Starts (or joins, when the remote side called first) a call with `peerId`. */
function startCall(peerId: string): Call {
  const existing = calls.get(peerId);
  if (existing || !client) return existing as Call;
  const session = new PeerSession({ signaling: client, remotePeerId: peerId });
  const element = ($<HTMLTemplateElement>("#call-template").content.firstElementChild as HTMLElement).cloneNode(
    true,
  ) as HTMLElement;
  element.dataset.peer = peerId;
  $(".remote", element).textContent = peerId;
  $("#calls").prepend(element);
  const call: Call = { session, element, statsTimer: setInterval(() => void showStats(call), 1_000) };
  calls.set(peerId, call);
  renderPeers();

  // A negotiated channel: both sides create the same one, so calling at the same moment still yields one chat.
  void session.createDataChannel("chat", { negotiated: true, id: 0 }).then((dc) => {
    call.channel = dc;
    const input = $<HTMLInputElement>(".chat-input", element);
    const send = $<HTMLButtonElement>(".send", element);
    dc.onopen = () => {
      input.disabled = send.disabled = false;
    };
    dc.onclose = () => {
      input.disabled = send.disabled = true;
    };
    dc.onmessage = (event) => addChat(element, peerId, String(event.data), false);
  });
  $<HTMLFormElement>(".chat-form", element).addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $<HTMLInputElement>(".chat-input", element);
    if (!input.value || call.channel?.readyState !== "open") return;
    call.channel.send(input.value);
    addChat(element, "you", input.value, true);
    input.value = "";
  });
  session.on("state", (state) => setBadge($(".conn-state", element), state, state));
  session.on("track", ({ streams, track }) => {
    const video = $<HTMLVideoElement>(".remote-video", element);
    video.srcObject = streams[0] ?? new MediaStream([track]);
    video.addEventListener("playing", () => ($<HTMLElement>(".remote-label", element).hidden = true), { once: true });
    $(".videos", element).classList.add("active");
  });
  session.on("closed", () => endCall(peerId));
  session.on("error", (error) => console.warn(`call with ${peerId}:`, error));
  $(".camera", element).addEventListener("click", () => void startCamera(call));
  $(".remote-label", element).textContent = `waiting for ${peerId}'s video`;
  $(".mute", element).addEventListener("click", (event) => toggleTracks(call, "audio", event.currentTarget));
  $(".video-off", element).addEventListener("click", (event) => toggleTracks(call, "video", event.currentTarget));
  $(".hangup", element).addEventListener("click", () => session.close());
  return call;
}

async function startCamera(call: Call): Promise<void> {
  const button = $<HTMLButtonElement>(".camera", call.element);
  button.disabled = true;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    call.localStream = stream;
    $<HTMLVideoElement>(".local-video", call.element).srcObject = stream;
    $(".videos", call.element).classList.add("active");
    for (const track of stream.getTracks()) await call.session.addTrack(track, stream);
    button.textContent = "Camera on";
    $<HTMLElement>(".mute", call.element).hidden = false;
    $<HTMLElement>(".video-off", call.element).hidden = false;
  } catch (error) {
    button.disabled = false;
    addChat(call.element, "camera", `could not start: ${(error as Error).message}`, false);
  }
}

/** Mutes the microphone, or turns the camera off, without ending the call; a second press turns it back on. */
function toggleTracks(call: Call, kind: "audio" | "video", button: EventTarget | null): void {
  const tracks = call.localStream?.getTracks().filter((track) => track.kind === kind) ?? [];
  const enabled = !tracks.some((track) => track.enabled);
  for (const track of tracks) track.enabled = enabled;
  if (button instanceof HTMLButtonElement) {
    button.textContent = kind === "audio" ? (enabled ? "Mute" : "Unmute") : enabled ? "Camera off" : "Camera on";
    button.setAttribute("aria-pressed", String(!enabled));
  }
}

function endCall(peerId: string): void {
  const call = calls.get(peerId);
  if (!call) return;
  clearInterval(call.statsTimer);
  for (const track of call.localStream?.getTracks() ?? []) track.stop();
  call.element.remove();
  calls.delete(peerId);
  renderPeers();
}

/** Round-trip time and the candidate pair's types, from the selected candidate pair. */
async function showStats(call: Call): Promise<void> {
  const pc = await call.session.connection();
  const report = await pc.getStats();
  let pair: RTCIceCandidatePairStats | undefined;
  let framesDecoded = 0;
  report.forEach((stat) => {
    if (stat.type === "transport" && stat.selectedCandidatePairId) pair = report.get(stat.selectedCandidatePairId);
    if (stat.type === "inbound-rtp" && stat.kind === "video") framesDecoded += stat.framesDecoded ?? 0;
  });
  if (!pair) return;
  const local = report.get(pair.localCandidateId)?.candidateType ?? "?";
  const remote = report.get(pair.remoteCandidateId)?.candidateType ?? "?";
  const rtt = pair.currentRoundTripTime === undefined ? "?" : `${(pair.currentRoundTripTime * 1000).toFixed(1)} ms`;
  const stats = $<HTMLElement>(".stats", call.element);
  stats.textContent = `RTT ${rtt} · ${local} ↔ ${remote}${framesDecoded ? ` · ${framesDecoded} frames decoded` : ""}`;
  stats.dataset.framesDecoded = String(framesDecoded);
}

function addChat(element: HTMLElement, who: string, text: string, mine: boolean): void {
  const item = document.createElement("li");
  item.className = mine ? "mine" : "";
  const name = document.createElement("span");
  name.className = "who";
  name.textContent = who;
  item.append(name, document.createTextNode(text));
  const log = $<HTMLOListElement>(".chat", element);
  log.append(item);
  log.scrollTop = log.scrollHeight;
}

function setBadge(badge: Element, state: string, text: string): void {
  badge.setAttribute("data-state", state);
  badge.textContent = text;
}

init();
