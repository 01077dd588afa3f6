/**
 * One RTCPeerConnection to one remote peer, negotiated over a SignalingClient with the perfect negotiation
 * pattern (https://w3c.github.io/webrtc-pc/#perfect-negotiation-example): either side may add tracks or data
 * channels at any time, and when both offer at once the polite side rolls back and the impolite side's offer
 * wins. Trickle ICE, its candidates batched, and a clean teardown. A negotiation heals itself: one that does not
 * connect in time, fails, or stays disconnected is restarted (an ICE restart offer) with backoff and a limit; so
 * it is when the remote peer (re)appears after a relay to it found nobody, or when the signaling server may have
 * lost signals on their way.
 */
import { CANDIDATE_BATCH_MS, CandidateBatch } from "./candidate-batch.js";
import { Emitter } from "./emitter.js";
import { fetchIceServers, type IceServersAnswer, iceServersUrlOf } from "./ice-servers.js";
import { HEAL_AFTER_MS, HEAL_ATTEMPTS, NegotiationWatch } from "./negotiation-watch.js";
import type { SignalingClient } from "./signaling-client.js";

/** The longest a timer can wait (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * The longest the polite side waits, when both sides offer at once, for its own offer's first candidate before
 * rolling that offer back. Chromium, rolling back an offer whose gathering had only just begun, at times never
 * gathered again, not even after an ICE restart: the call waited for ever. That was 2 glares in 1,000 in
 * `npm run bench:calls -- --glare`, and about one run in fifty of the demo's glare test; with the wait, none in
 * 1,000 glares of the first, or 300 runs of the second. A host candidate takes milliseconds: the wait costs a
 * glare next to nothing.
 */
const ROLLBACK_WAIT_MS = 500;
/** The most candidates held while no remote description has come (a browser gathers a few dozen at most). */
const MAX_EARLY_CANDIDATES = 100;
/** A connection that stays `disconnected` this long is restarted (most come back on their own within seconds). */
const DISCONNECTED_MS = 5_000;
/** What a relay to a peer that is not there is answered with: the signal never arrived. */
const NOT_DELIVERED = new Set(["unknown_peer", "undeliverable", "target_busy", "mailbox_full"]);

/** What PeerSession relays through the signaling server, under one key so other relays can share the room. */
export type SessionSignal = (
  | { rtc: "description"; description: RTCSessionDescriptionInit }
  | { rtc: "candidate"; candidate: RTCIceCandidateInit }
  /** The candidates gathered within `candidateBatchMs` of each other, in the order they were gathered. */
  | { rtc: "candidates"; candidates: RTCIceCandidateInit[] }
  | { rtc: "bye" }
) & {
  /**
   * The sending session (`sid`, random) and its own count of the signals it sent (`n`, from 1): a signal that comes
   * again (sent again after the server restarted, before it had acknowledged it) is known and skipped, rather than
   * applied a second time out of turn. Absent from an older version's signals, which are all taken.
   */
  sid?: string;
  n?: number;
};

export function isSessionSignal(data: unknown): data is SessionSignal {
  if (typeof data !== "object" || data === null) return false;
  const signal = data as { rtc?: unknown; candidates?: unknown };
  switch (signal.rtc) {
    case "description":
    case "candidate":
    case "bye":
      return true;
    case "candidates":
      return Array.isArray(signal.candidates);
    default:
      return false;
  }
}

export interface PeerSessionOptions {
  signaling: SignalingClient;
  remotePeerId: string;
  /**
   * ICE servers; when omitted they are fetched from the server's `/ice-servers` (with the signaling client's join
   * token), and fetched again before the TURN credentials in them run out.
   */
  iceServers?: RTCIceServer[];
  /** Where `/ice-servers` lives; defaults to the signaling server's origin. */
  iceServersUrl?: string;
  /** An RTCPeerConnection constructor, for environments without a global one. */
  RTCPeerConnection?: typeof RTCPeerConnection;
  /**
   * The longest a gathered ICE candidate waits for the next ones, so that they travel as one relay, in
   * milliseconds (default 20). The server bills incoming messages, and a browser gathers its candidates in bursts:
   * a two-peer call then costs 6 to 8 incoming messages instead of 20 to 30. A pause of 2 ms in gathering, or its
   * end, sends what is held at once, so trickle stays fast. A lone candidate goes as `{rtc: "candidate"}`, several
   * as `{rtc: "candidates"}`; 0 sends each alone, for a remote side older than batches.
   */
  candidateBatchMs?: number;
  /**
   * How long a negotiation may take to connect before it is restarted, at first, in ms (default 10000; each
   * restart waits twice as long, up to 60 s). 0 turns healing off.
   */
  healAfterMs?: number;
  /** Restarts tried before the session gives up with an `error` whose `code` is `gave_up` (default 5). */
  healAttempts?: number;
  /**
   * How a signal goes to the remote peer, instead of `signaling.relay(remotePeerId, signal)`: a room that seals its
   * signals end to end passes its own (which relays the sealed form in order).
   */
  sendSignal?: (signal: SessionSignal) => void;
}

export interface PeerSessionEvents extends Record<string, unknown> {
  /** The RTCPeerConnection's connectionState. */
  state: RTCPeerConnectionState;
  track: RTCTrackEvent;
  datachannel: RTCDataChannel;
  /** The remote side said goodbye, or `close()` was called. */
  closed: { by: "local" | "remote" };
  error: Error;
}

/**
 * One RTCPeerConnection to one remote peer, negotiated over a `SignalingClient` with the perfect negotiation pattern:
 * either side may add tracks or data channels at any time. Feed it the remote side's signals with `handleSignal`.
 */
export class PeerSession extends Emitter<PeerSessionEvents> {
  readonly remotePeerId: string;
  /** The polite side yields when both sides offer at once; chosen by comparing peer ids, so both sides agree. */
  readonly polite: boolean;
  readonly #signaling: SignalingClient;
  readonly #sendSignal: ((signal: SessionSignal) => void) | undefined;
  #pc: RTCPeerConnection | undefined;
  readonly #ready: Promise<RTCPeerConnection>;
  #makingOffer = false;
  #ignoreOffer = false;
  /**
   * Candidates that came before any remote description: their description was lost (an offer sent before this side
   * had joined met `unknown_peer`, and the candidates after it did not). Held, and tried once one is set.
   */
  #early: RTCIceCandidateInit[] = [];
  /** Our offer waiting for an answer was answered `unknown_peer`: the remote peer never saw it. */
  #offerLost = false;
  #closed = false;
  /** The negotiation steps, incoming signals and our own offers, in the order they arose. */
  #chain: Promise<void> = Promise.resolve();
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** Our gathered candidates, on their way to the remote side. */
  readonly #candidates: CandidateBatch;
  /** Whether our latest offer has gathered a candidate yet (or finished gathering). */
  #offerGathered = true;
  /** Called at the next gathered candidate, or the end of gathering. */
  #onGathered: (() => void) | undefined;
  readonly #watch: NegotiationWatch;
  /** This session's id and count of the signals it sent, and the remote session's last one taken. */
  readonly #sid = Math.random().toString(36).slice(2, 10);
  #sent = 0;
  #remote: { sid: string; n: number } | undefined;
  #disconnectedTimer: ReturnType<typeof setTimeout> | undefined;
  /** What this session listens to on the signaling client, to let go of on close. */
  readonly #unsubscribe: Array<() => void>;

  constructor(options: PeerSessionOptions) {
    super();
    this.#signaling = options.signaling;
    this.#sendSignal = options.sendSignal;
    this.#candidates = new CandidateBatch(Math.max(0, options.candidateBatchMs ?? CANDIDATE_BATCH_MS), (list) => {
      const [first] = list;
      this.#send(
        list.length === 1 && first ? { rtc: "candidate", candidate: first } : { rtc: "candidates", candidates: list },
      );
    });
    this.remotePeerId = options.remotePeerId;
    this.polite = options.signaling.peerId < options.remotePeerId;
    this.#watch = new NegotiationWatch(
      options.healAfterMs ?? HEAL_AFTER_MS,
      options.healAttempts ?? HEAL_ATTEMPTS,
      () => this.#restart(),
      (error) => this.#fail(error),
    );
    const signaling = options.signaling;
    this.#unsubscribe = [
      // A signal of ours found nobody: once the remote peer is there, the negotiation starts again.
      signaling.on("error", (error) => {
        if (error.to === this.remotePeerId && NOT_DELIVERED.has(error.code)) this.#undelivered();
      }),
      signaling.on("peer-joined", ({ peerId }) => {
        if (peerId === this.remotePeerId && !this.#isConnected()) this.#watch.now(`${peerId} joined`, true);
      }),
      // The server took this client back but may have lost signals on their way (a restart): re-check.
      signaling.on("rejoined", ({ recovered }) => {
        if (!recovered && !this.#isConnected()) this.#watch.now("the signaling server may have lost signals", true);
      }),
    ];
    this.#ready = this.#create(options);
    this.#ready.catch((error) => this.#fail(error));
  }

  /** The connection, or undefined until ICE servers are known (see `connection()`). */
  get peerConnection(): RTCPeerConnection | undefined {
    return this.#pc;
  }

  /** The connection, once ICE servers are known. */
  connection(): Promise<RTCPeerConnection> {
    return this.#ready;
  }

  async createDataChannel(label: string, init?: RTCDataChannelInit): Promise<RTCDataChannel> {
    return (await this.#ready).createDataChannel(label, init);
  }

  async addTrack(track: MediaStreamTrack, ...streams: MediaStream[]): Promise<RTCRtpSender> {
    return (await this.#ready).addTrack(track, ...streams);
  }

  /**
   * Handles one signal relayed from the remote peer. Signals are processed one at a time, in arrival order,
   * because each step of the negotiation awaits the previous one.
   */
  handleSignal(signal: SessionSignal): Promise<void> {
    return this.#serially(() => this.#handle(signal));
  }

  /**
   * Runs negotiation steps one at a time: each awaits the browser, and an offer of ours interleaved with the
   * handling of the remote side's could produce two answers.
   */
  #serially(step: () => Promise<void>): Promise<void> {
    this.#chain = this.#chain.then(step).catch((error) => this.#fail(error));
    return this.#chain;
  }

  /**
   * Closes the connection and tells the remote side; with `goodbye: false` it does not (the remote peer is known to
   * be gone: a goodbye would only come back as `unknown_peer`).
   */
  close({ goodbye = true }: { goodbye?: boolean } = {}): void {
    if (this.#closed) return;
    if (goodbye) this.#send({ rtc: "bye" });
    this.#teardown("local");
  }

  async #create(options: PeerSessionOptions): Promise<RTCPeerConnection> {
    const fetched = options.iceServers ? undefined : await this.#fetchIceServers(options);
    const iceServers = options.iceServers ?? fetched?.iceServers ?? [];
    const Impl =
      options.RTCPeerConnection ?? (globalThis as { RTCPeerConnection?: typeof RTCPeerConnection }).RTCPeerConnection;
    if (!Impl) {
      throw new Error(
        "PeerSession needs WebRTC: this runtime has no RTCPeerConnection. On Node, pass options.RTCPeerConnection " +
          "from a WebRTC implementation (for example node-datachannel's polyfill); see the README, Client SDK.",
      );
    }
    const pc = new Impl({ iceServers });
    this.#pc = pc;
    if (this.#closed) pc.close();
    else if (fetched) this.#refreshIceServers(options, fetched.ttl);
    pc.onnegotiationneeded = () => {
      this.#serially(async () => {
        // The event was queued while stable, but a remote offer handled since would turn this offer into an
        // answer: sending that too would answer twice.
        if (this.#closed || pc.signalingState !== "stable") return;
        try {
          this.#makingOffer = true;
          this.#offerGathered = false;
          await pc.setLocalDescription();
          this.#sendDescription(pc);
        } finally {
          this.#makingOffer = false;
        }
      });
    };
    pc.onicecandidate = ({ candidate }) => {
      this.#offerGathered = true;
      this.#onGathered?.();
      this.#candidates.add(candidate ? candidateInit(candidate) : null);
    };
    pc.onconnectionstatechange = () => {
      this.emit("state", pc.connectionState);
      clearTimeout(this.#disconnectedTimer);
      switch (pc.connectionState) {
        case "connected":
          this.#watch.connected();
          break;
        // A failed connection often recovers on new candidates (a changed network, a NAT binding that expired).
        case "failed":
          this.#watch.now("the connection failed");
          break;
        case "disconnected":
          this.#disconnectedTimer = setTimeout(() => {
            if (pc.connectionState === "disconnected") this.#watch.now("the connection stayed disconnected");
          }, DISCONNECTED_MS);
          break;
        default:
          break;
      }
    };
    pc.ontrack = (event) => this.emit("track", event);
    pc.ondatachannel = (event) => this.emit("datachannel", event.channel);
    return pc;
  }

  async #handle(signal: SessionSignal): Promise<void> {
    if (this.#closed || this.#seenBefore(signal)) return;
    if (signal.rtc === "bye") {
      this.#teardown("remote");
      return;
    }
    const pc = await this.#ready;
    if (signal.rtc === "description") {
      const { description } = signal;
      // An answer to an offer we no longer wait for (it was answered already): nothing to do.
      if (description.type === "answer" && pc.signalingState === "stable") return;
      if (description.sdp !== undefined && description.sdp === pc.remoteDescription?.sdp) {
        // Our offer sent again, already answered: our answer was lost on its way, so it goes again.
        if (description.type === "offer" && pc.signalingState === "stable" && pc.localDescription?.type === "answer") {
          this.#send({ rtc: "description", description: descriptionInit(pc.localDescription) });
        }
        return;
      }
      this.#watch.expect();
      const offerCollision = description.type === "offer" && (this.#makingOffer || pc.signalingState !== "stable");
      // An offer of ours the remote peer never saw is no reason to ignore its own.
      this.#ignoreOffer = !this.polite && offerCollision && !this.#offerLost;
      if (this.#ignoreOffer) return;
      // On a collision the polite side's setRemoteDescription rolls its own offer back implicitly: not while that
      // offer's gathering is only starting (see ROLLBACK_WAIT_MS).
      if (offerCollision) await this.#offerGatheringStarted(pc);
      if (this.#closed) return;
      await pc.setRemoteDescription(description);
      await this.#addEarlyCandidates(pc);
      if (description.type === "offer") {
        await pc.setLocalDescription();
        this.#sendDescription(pc);
      }
      return;
    }
    const candidates = signal.rtc === "candidate" ? [signal.candidate] : signal.candidates;
    if (!pc.remoteDescription) {
      this.#early.push(...candidates.slice(0, MAX_EARLY_CANDIDATES - this.#early.length));
      return;
    }
    // One bad candidate in a batch does not keep the others out; the first failure is reported after.
    let failure: unknown;
    for (const candidate of candidates) {
      try {
        await pc.addIceCandidate(candidate);
      } catch (error) {
        // Candidates for an offer we ignored are expected to fail, and so are those of another ICE generation than
        // the remote description's (one sent before an ICE restart, arriving after it).
        if (!this.#ignoreOffer && !otherGeneration(candidate, pc.remoteDescription)) failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  /** Tries the candidates that came before any description: they may belong to one never received, so quietly. */
  async #addEarlyCandidates(pc: RTCPeerConnection): Promise<void> {
    const early = this.#early;
    this.#early = [];
    for (const candidate of early) await pc.addIceCandidate(candidate).catch(() => undefined);
  }

  /** Resolves once our offer has gathered a candidate, or gathering is over, or after ROLLBACK_WAIT_MS. */
  async #offerGatheringStarted(pc: RTCPeerConnection): Promise<void> {
    if (this.#offerGathered || pc.iceGatheringState === "complete") return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.#onGathered = resolve;
      timer = setTimeout(resolve, ROLLBACK_WAIT_MS);
    });
    clearTimeout(timer);
    this.#onGathered = undefined;
  }

  /** Sends our new local description, after the candidates of the previous one, which belong before it. */
  #sendDescription(pc: RTCPeerConnection): void {
    if (!pc.localDescription) return;
    this.#offerLost = false;
    this.#candidates.flush();
    this.#send({ rtc: "description", description: descriptionInit(pc.localDescription) });
    this.#watch.expect();
  }

  /**
   * Starts the negotiation again. An offer of ours still waiting for its answer may never have arrived (or its
   * answer may not have): it is sent again as it is, with the candidates gathered since in it. (Not rolled back
   * and made anew: Chromium makes an offer without its data channel after the first offer is rolled back.) A
   * negotiation that completed and did not connect is restarted with an ICE restart, through
   * `onnegotiationneeded` as any offer, so perfect negotiation holds.
   */
  #restart(): void {
    this.#serially(async () => {
      const pc = await this.#ready;
      if (this.#closed || this.#isConnected()) return;
      if (pc.signalingState === "have-local-offer" && pc.localDescription) {
        this.#offerLost = false;
        this.#send({ rtc: "description", description: descriptionInit(pc.localDescription) });
        return;
      }
      if (pc.signalingState === "stable" && pc.remoteDescription) pc.restartIce();
    });
  }

  /**
   * A signal of ours never reached the remote peer (it is not in the room yet). An offer of ours that went nowhere
   * does not stand in the way of the remote peer's own, when it comes, whichever side is polite; and ours is sent
   * again soon, in case it does not come.
   */
  #undelivered(): void {
    this.#serially(async () => {
      const pc = await this.#ready;
      if (this.#closed || this.#isConnected()) return;
      if (pc.signalingState === "have-local-offer") this.#offerLost = true;
      this.#watch.undelivered();
    });
  }

  #isConnected(): boolean {
    return this.#pc?.connectionState === "connected";
  }

  /** Whether the remote session sent this signal already (it came again): signals arrive in order, so by count. */
  #seenBefore({ sid, n }: SessionSignal): boolean {
    if (typeof sid !== "string" || typeof n !== "number") return false;
    if (this.#remote?.sid === sid && n <= this.#remote.n) return true;
    this.#remote = { sid, n };
    return false;
  }

  #send(signal: SessionSignal): void {
    signal.sid = this.#sid;
    signal.n = ++this.#sent;
    try {
      if (this.#sendSignal) this.#sendSignal(signal);
      else this.#signaling.relay(this.remotePeerId, signal);
    } catch (error) {
      this.#fail(error);
    }
  }

  #teardown(by: "local" | "remote"): void {
    this.#closed = true;
    this.#watch.stop();
    clearTimeout(this.#disconnectedTimer);
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    clearTimeout(this.#refreshTimer);
    this.#candidates.drop();
    const pc = this.#pc;
    if (pc) {
      pc.onnegotiationneeded = pc.onicecandidate = pc.onconnectionstatechange = pc.ontrack = pc.ondatachannel = null;
      pc.close();
    }
    this.emit("closed", { by });
  }

  #fetchIceServers(options: PeerSessionOptions): Promise<IceServersAnswer> {
    const url = options.iceServersUrl ?? iceServersUrlOf(this.#signaling.url, this.#signaling.room);
    return fetchIceServers(url, () => this.#signaling.joinToken());
  }

  /**
   * TURN credentials expire (`ttl`): fetched again when four fifths of it has passed, and handed to the
   * connection, which uses them for its next ICE gathering (a restart after a network change, say).
   */
  #refreshIceServers(options: PeerSessionOptions, ttlSeconds: number): void {
    if (!(ttlSeconds > 0) || this.#closed) return;
    const delay = Math.min(Math.max(ttlSeconds * 0.8, 5) * 1000, MAX_TIMER_MS);
    this.#refreshTimer = setTimeout(async () => {
      const next = await this.#fetchIceServers(options);
      const pc = this.#pc;
      if (this.#closed || !pc) return;
      if (next.iceServers.length > 0) pc.setConfiguration({ ...pc.getConfiguration(), iceServers: next.iceServers });
      this.#refreshIceServers(options, next.ttl);
    }, delay);
  }

  #fail(error: unknown): void {
    this.emit("error", error instanceof Error ? error : new Error(String(error)));
  }
}

/** A description as it travels; werift's (Node) has no `toJSON`. */
function descriptionInit({ type, sdp }: RTCSessionDescriptionInit): RTCSessionDescriptionInit {
  return { type, sdp };
}

/** A candidate as it travels, from a browser's `toJSON` or from the fields of one without it (werift's). */
function candidateInit(candidate: RTCIceCandidate): RTCIceCandidateInit {
  if (typeof candidate.toJSON === "function") return candidate.toJSON();
  const { candidate: line, sdpMid, sdpMLineIndex, usernameFragment } = candidate as RTCIceCandidateInit;
  return { candidate: line, sdpMid, sdpMLineIndex, usernameFragment };
}

/** Whether the candidate names a username fragment the remote description does not have: another ICE generation's. */
function otherGeneration(candidate: RTCIceCandidateInit, remote: RTCSessionDescription | null): boolean {
  const ufrag = candidate.usernameFragment;
  if (!ufrag || !remote?.sdp) return false;
  return !remote.sdp.split(/\r?\n/).includes(`a=ice-ufrag:${ufrag}`);
}
