/**
 * PeerJS clients (`/peerjs/peerjs?key=&id=&token=`): one object per key, the room objects' shell with PeerJS's codec
 * and its own keepalive pair. A client registers by connecting, with its own token: the same id and token again
 * takes the old connection over.
 */
import { fromRoomId, PEERJS_HEARTBEAT, peerjsCodec, peerjsConnection } from "../core/protocols/peerjs/codec.js";
import { answerUpgrade } from "./hibernation.js";
import { RoomObject } from "./room-object.js";

export class PeerjsRooms extends RoomObject {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, peerjsCodec, [PEERJS_HEARTBEAT, PEERJS_HEARTBEAT]);
  }

  override async fetch(request: Request): Promise<Response> {
    const query = new URL(request.url).searchParams;
    const connection = peerjsConnection(query.get("id"), query.get("token"));
    if ("refusal" in connection) return answerUpgrade(this.ctx, connection.refusal, () => {});
    return this.accept(request, (ws) => this.pipeline.command(ws, connection.register));
  }

  /** The ids connected under this key, for `GET /peerjs/<key>/peers` when discovery is allowed. */
  peerIds(): string[] {
    return this.pipeline.room.peerIds().map(fromRoomId);
  }
}
