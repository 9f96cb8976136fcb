// The flags shared by every command that loads the configuration (README "Command line").
import { loadConfig, type Overrides } from "../config/load.ts";
import { str, type FlagSpec, type Flags } from "./args.ts";

export const CONFIG_FLAGS: FlagSpec = {
  config: "string",
  listen: "string",
  "sdk-app-id": "string",
  token: "string",
  "data-dir": "string",
  "admin-listen": "string",
  "log-level": "string",
  "rooms-enabled": "string",
};

export const CONFIG_FLAGS_HELP = `  --config FILE          TOML config (else $ROOMHOOK_CONFIG, else /etc/roomhook/roomhook.toml if present)
  --listen HOST:PORT     callback listener            (ROOMHOOK_LISTEN)
  --sdk-app-id N[,N...]  accepted SDKAppIDs            (ROOMHOOK_SDK_APP_ID)
  --token T              callback token for every app (ROOMHOOK_TOKEN)
  --data-dir DIR         journal and state directory  (ROOMHOOK_DATA_DIR)
  --admin-listen H:P     admin listener               (ROOMHOOK_ADMIN_LISTEN)
  --log-level L          trace|debug|info|warn|error  (ROOMHOOK_LOG_LEVEL)
  --rooms-enabled B      room state projection, true|false (ROOMHOOK_ROOMS_ENABLED)`;

export function overridesFromFlags(flags: Flags): Overrides {
  const o: Overrides = {};
  const set = (k: keyof Overrides, f: string) => {
    const v = str(flags, f);
    if (v !== undefined) o[k] = v;
  };
  set("listen", "listen");
  set("sdkAppId", "sdk-app-id");
  set("token", "token");
  set("dataDir", "data-dir");
  set("adminListen", "admin-listen");
  set("logLevel", "log-level");
  set("roomsEnabled", "rooms-enabled");
  return o;
}

export function loadFromFlags(flags: Flags, env: Record<string, string | undefined>) {
  return loadConfig({ configPath: str(flags, "config"), flags: overridesFromFlags(flags), env });
}
