// The journal line's public names, kept importable from here: the layout lives in line-codec.ts, the
// event id in event-id.ts.
export {
  envelopeHead,
  peekSeqId,
  readEnvelope,
  renderLine,
  singleLine,
  type EnvelopeFields,
  type EnvelopeInfo,
  type EventRef,
} from "./line-codec.ts";
export { eventId, EventIdHasher, type EventId } from "./event-id.ts";
