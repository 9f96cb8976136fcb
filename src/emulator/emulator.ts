// The emulator's core: the rooms, the callback configuration and the sender. Every state change,
// whether from the REST API, the member endpoints or a scenario, goes through `apply`, so each
// causes exactly the callbacks Tencent would send.
import { CallbackSender, type CallbackConfig } from "./callbacks.ts";
import type { AuthConfig } from "./auth.ts";
import { isFail, type Outcome } from "./model.ts";
import { RoomStore } from "./store.ts";

export interface EmulatorOptions extends AuthConfig {
  /** Callback authentication token: Sign/RequestTime on every callback. */
  token?: string;
  /** A configuration in place from the start, as if set_callback had been called. */
  callback?: CallbackConfig;
  callbackTimeoutMs?: number;
}

export class Emulator {
  readonly store: RoomStore;
  readonly sender: CallbackSender;
  callback: CallbackConfig | null;
  /** Numbers the RequestIds of the answers. */
  requestSeq = 0;

  constructor(readonly options: EmulatorOptions) {
    this.store = new RoomStore(options.sdkAppId);
    this.sender = new CallbackSender({
      sdkAppId: options.sdkAppId,
      token: options.token,
      timeoutMs: options.callbackTimeoutMs,
    });
    this.callback = options.callback ?? null;
  }

  /** Fires the outcome's callbacks (those the configuration enables) and hands the outcome back. */
  apply(outcome: Outcome): Outcome {
    if (!isFail(outcome)) this.sender.enqueue(outcome.events, this.callback);
    return outcome;
  }
}
