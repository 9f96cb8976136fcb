// Everything the API can show of a state, in one canonical text: two states are the same to every
// client exactly when their dumps are equal. `roomhook rooms --check` and the tests compare a
// projection restored from its snapshot with one rebuilt from the journal this way.
import type { RoomsState } from "./model.ts";
import { attendance, detail } from "./views.ts";

export function dumpState(state: RoomsState): string {
  const out: string[] = [];
  const apps = [...state.apps.keys()].sort((a, b) => a - b);
  for (const app of apps) {
    const rooms = [...state.apps.get(app)!.values()].sort((a, b) => (a.roomId < b.roomId ? -1 : 1));
    for (const r of rooms) {
      // asOfSeq and the time of the answer are left out: only the rooms themselves are compared.
      const { asOfSeq: _a, ...d } = detail(r, 0);
      const { asOfSeq: _b, ...att } = attendance(r, 0, 0);
      out.push(JSON.stringify({ room: d, attendance: att }));
    }
  }
  return out.join("\n");
}
