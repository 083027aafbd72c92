// Settings: the cloud account (sign in with email and password or a pasted key; sign out),
// folders, default destination, sync, speed limits, start at login, this computer as a device.
import type { AppState, DesktopApi } from "./api";
import { Account } from "./settings/Account";
import { Preferences } from "./settings/Preferences";

export function Settings({ api, state, onChange }: { api: DesktopApi; state: AppState; onChange: () => void }) {
  return (
    <section aria-label="Settings">
      <Account api={api} state={state} onChange={onChange} />
      <Preferences key={JSON.stringify(state.settings)} api={api} settings={state.settings} onChange={onChange} />
      <p className="muted small-print">tseeder {state.version}</p>
    </section>
  );
}
