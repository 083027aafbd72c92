// Billing, profile, default destination, password, sessions, API keys and webhooks.
import { useTitle } from "../../components/useTitle";
import { Billing } from "./settings/Billing";
import { Profile } from "./settings/Profile";
import { Password } from "./settings/Password";
import { Sessions } from "./settings/Sessions";
import { ApiKeys } from "./settings/ApiKeys";
import { Webhooks } from "./settings/Webhooks";

export function SettingsPage() {
  useTitle("Settings");
  return (
    <section className="page" aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <Billing />
      <div className="grid two">
        <Profile />
        <Password />
      </div>
      <Sessions />
      <ApiKeys />
      <Webhooks />
    </section>
  );
}
