// The console's API client over HTTP. Every call is typed by the generated OpenAPI paths: a
// path, method, body or answer the server does not publish fails the type check. The session
// rides on the HttpOnly cookie; the CSRF token is kept in memory only and sent on every write.
import type { paths } from "./schema";
import { ApiError, type LiveHandlers, type TseederApi } from "./client";
import type {
  CreateWebhook,
  ErrorCode,
  JobLive,
  Justification,
  OpenIncident,
  Page,
  ScheduleMaintenance,
  UpdateIncident,
} from "./types";

type Method = "get" | "post" | "put" | "patch" | "delete";
type Path = keyof paths;
/** The methods `P` really has (openapi-typescript marks the others `?: never`). */
type MethodOf<P extends Path> = {
  [M in Method]: paths[P][M] extends { responses: object } ? M : never;
}[Method];
type Operation<P extends Path, M extends MethodOf<P>> = paths[P][M];
type JsonOf<T> = T extends { content: { "application/json": infer J } } ? J : never;
type Answer<O> = O extends { responses: infer R }
  ? R extends { 200: infer A }
    ? JsonOf<A>
    : R extends { 201: infer A }
      ? JsonOf<A>
      : R extends { 202: infer A }
        ? JsonOf<A>
        : void
  : never;
type BodyOf<O> = O extends { requestBody: { content: { "application/json": infer B } } }
  ? B
  : O extends { requestBody?: { content: { "application/json": infer B } } }
    ? B
    : never;

interface CallOptions<B> {
  params?: Record<string, string | number>;
  query?: Record<string, string | number | undefined>;
  body?: B;
  form?: FormData;
}

const WRITE_METHODS = new Set(["post", "put", "patch", "delete"]);

/** Fills `{name}` segments, each percent-encoded so an id can never add a path segment. */
export function fillPath(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
}

export function queryString(query: Record<string, string | number | undefined> = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** Reads the API's `{"error":{"code","message"}}`; anything else becomes a plain message. */
export async function errorFrom(response: Response): Promise<ApiError> {
  let code: ApiError["code"] = `http_${response.status}`;
  let message = `The server answered ${response.status} ${response.statusText}`.trim();
  try {
    const body = (await response.json()) as { error?: { code?: ErrorCode; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // Not JSON (a proxy's error page): keep the status line.
  }
  if (response.status === 429) {
    const wait = response.headers.get("retry-after");
    if (wait) message += ` (try again in ${wait} s)`;
  }
  return new ApiError(response.status, code, message);
}

export class HttpApi implements TseederApi {
  private csrfToken: string | null = null;

  /** `base` is empty for the console (same origin) or an absolute URL. */
  constructor(
    private readonly base = "",
    private readonly fetcher: typeof fetch = (...args) => fetch(...args),
  ) {}

  async call<P extends Path, M extends MethodOf<P>>(
    method: M,
    path: P,
    options: CallOptions<BodyOf<Operation<P, M>>> = {},
  ): Promise<Answer<Operation<P, M>>> {
    const headers: Record<string, string> = { accept: "application/json" };
    let body: BodyInit | undefined;
    if (options.form) {
      body = options.form;
    } else if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    if (WRITE_METHODS.has(method) && this.csrfToken) headers["x-csrf-token"] = this.csrfToken;
    const url = this.base + fillPath(path, options.params) + queryString(options.query);
    let response: Response;
    try {
      response = await this.fetcher(url, {
        method: method.toUpperCase(),
        headers,
        body,
        credentials: "same-origin",
      });
    } catch {
      throw new ApiError(0, "network", "The server cannot be reached. Check your connection.");
    }
    if (!response.ok) throw await errorFrom(response);
    if (response.status === 204) return undefined as Answer<Operation<P, M>>;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as Answer<Operation<P, M>>;
  }

  siteConfig() {
    return this.call("get", "/api/v1/config");
  }
  statusHistory(days: number) {
    return this.call("get", "/api/v1/status/history", { query: { days } });
  }
  status() {
    return this.call("get", "/api/v1/status");
  }
  plans() {
    return this.call("get", "/api/v1/plans");
  }
  blogPosts(page = 1) {
    return this.call("get", "/api/v1/blog", { query: { page } });
  }
  blogPost(slug: string) {
    return this.call("get", "/api/v1/blog/{slug}", { params: { slug } });
  }

  async me() {
    try {
      const info = await this.call("get", "/api/v1/auth/me");
      this.csrfToken = info.csrfToken ?? null;
      return info;
    } catch (err) {
      if (err instanceof ApiError && err.unauthenticated) {
        this.csrfToken = null;
        return null;
      }
      throw err;
    }
  }
  async login(email: string, password: string) {
    const info = await this.call("post", "/api/v1/auth/login", { body: { email, password } });
    this.csrfToken = info.csrfToken ?? null;
    return info;
  }
  async logout() {
    try {
      await this.call("post", "/api/v1/auth/logout");
    } finally {
      this.csrfToken = null;
    }
  }
  register(req: Parameters<TseederApi["register"]>[0]) {
    return this.call("post", "/api/v1/auth/register", { body: req });
  }
  verifyEmail(token: string) {
    return this.call("post", "/api/v1/auth/verify-email", { body: { token } });
  }
  resendVerification(email: string) {
    return this.call("post", "/api/v1/auth/verify-email/resend", { body: { email } });
  }
  requestPasswordReset(email: string) {
    return this.call("post", "/api/v1/auth/password-reset/request", { body: { email } });
  }
  confirmPasswordReset(token: string, newPassword: string) {
    return this.call("post", "/api/v1/auth/password-reset/confirm", {
      body: { token, newPassword },
    });
  }
  updateProfile(change: Parameters<TseederApi["updateProfile"]>[0]) {
    return this.call("patch", "/api/v1/auth/me", { body: change });
  }
  changePassword(currentPassword: string, newPassword: string, signOutEverywhere: boolean) {
    return this.call("post", "/api/v1/auth/password", { body: { currentPassword, newPassword, signOutEverywhere } });
  }
  sessions() {
    return this.call("get", "/api/v1/auth/sessions");
  }
  async revokeSession(id: string) {
    await this.call("delete", "/api/v1/auth/sessions/{id}", { params: { id } });
  }
  apiKeys() {
    return this.call("get", "/api/v1/api-keys");
  }
  createApiKey(name: string, currentPassword: string) {
    return this.call("post", "/api/v1/api-keys", { body: { name, currentPassword } });
  }
  async revokeApiKey(id: string) {
    await this.call("delete", "/api/v1/api-keys/{id}", { params: { id } });
  }
  webhooks() {
    return this.call("get", "/api/v1/webhooks");
  }
  createWebhook(webhook: CreateWebhook) {
    return this.call("post", "/api/v1/webhooks", { body: webhook });
  }
  async deleteWebhook(id: string) {
    await this.call("delete", "/api/v1/webhooks/{id}", { params: { id } });
  }
  webhookDeliveries() {
    return this.call("get", "/api/v1/webhooks/deliveries");
  }
  rotateCallbackSecret() {
    return this.call("post", "/api/v1/webhooks/callback-secret");
  }
  devices() {
    return this.call("get", "/api/v1/devices");
  }
  usage() {
    return this.call("get", "/api/v1/usage");
  }

  workIn(id: string) {
    return this.call("post", "/api/v1/orgs/{id}/use", { params: { id } });
  }
  orgs() {
    return this.call("get", "/api/v1/orgs");
  }

  createOrg(name: string) {
    return this.call("post", "/api/v1/orgs", { body: { name } });
  }

  org(id: string) {
    return this.call("get", "/api/v1/orgs/{id}", { params: { id } });
  }

  renameOrg(id: string, name: string) {
    return this.call("patch", "/api/v1/orgs/{id}", { params: { id }, body: { name } });
  }

  async deleteOrg(id: string) {
    await this.call("delete", "/api/v1/orgs/{id}", { params: { id } });
  }

  inviteMember(id: string, email: string, role: Parameters<TseederApi["inviteMember"]>[2]) {
    return this.call("post", "/api/v1/orgs/{id}/invites", { params: { id }, body: { email, role } });
  }

  async revokeInvite(id: string, inviteId: string) {
    await this.call("delete", "/api/v1/orgs/{id}/invites/{inviteId}", { params: { id, inviteId } });
  }

  acceptInvite(token: string) {
    return this.call("post", "/api/v1/invites/accept", { body: { token } });
  }

  async leaveOrg(id: string) {
    await this.call("post", "/api/v1/orgs/{id}/leave", { params: { id } });
  }

  async removeMember(id: string, userId: string) {
    await this.call("delete", "/api/v1/orgs/{id}/members/{userId}", { params: { id, userId } });
  }

  changeMemberRole(id: string, userId: string, role: Parameters<TseederApi["changeMemberRole"]>[2]) {
    return this.call("patch", "/api/v1/orgs/{id}/members/{userId}", { params: { id, userId }, body: { role } });
  }

  transferOrg(id: string, userId: string) {
    return this.call("post", "/api/v1/orgs/{id}/transfer", { params: { id }, body: { userId } });
  }

  billing() {
    return this.call("get", "/api/v1/billing");
  }

  startCheckout(plan: string) {
    return this.call("post", "/api/v1/billing/checkout", { body: { plan } });
  }

  openBillingPortal() {
    return this.call("post", "/api/v1/billing/portal");
  }

  invoices() {
    return this.call("get", "/api/v1/billing/invoices");
  }

  jobs(query: Parameters<TseederApi["jobs"]>[0]) {
    return this.call("get", "/api/v1/jobs", { query: { ...query } });
  }
  job(id: string) {
    return this.call("get", "/api/v1/jobs/{id}", { params: { id } });
  }
  createJob(req: Parameters<TseederApi["createJob"]>[0]) {
    return this.call("post", "/api/v1/jobs", { body: req });
  }
  uploadTorrent(file: Blob, deviceId?: string) {
    const form = new FormData();
    form.set("torrent", file, file instanceof File ? file.name : "upload.torrent");
    if (deviceId) form.set("deviceId", deviceId);
    return this.call("post", "/api/v1/jobs/torrent", { form });
  }
  jobAction(id: string, action: Parameters<TseederApi["jobAction"]>[1]) {
    const params = { params: { id } };
    switch (action) {
      case "pause":
        return this.call("post", "/api/v1/jobs/{id}/pause", params);
      case "resume":
        return this.call("post", "/api/v1/jobs/{id}/resume", params);
      case "cancel":
        return this.call("post", "/api/v1/jobs/{id}/cancel", params);
      case "retry":
        return this.call("post", "/api/v1/jobs/{id}/retry", params);
    }
  }
  async deleteJob(id: string) {
    await this.call("delete", "/api/v1/jobs/{id}", { params: { id } });
  }
  jobEvents(id: string) {
    return this.call("get", "/api/v1/jobs/{id}/events", { params: { id } });
  }
  jobFiles(id: string) {
    return this.call("get", "/api/v1/jobs/{id}/files", { params: { id } });
  }
  fileLink(id: string, index: number) {
    return this.call("post", "/api/v1/jobs/{id}/files/{index}/link", {
      params: { id, index },
    });
  }
  async deleteFile(id: string, index: number) {
    await this.call("delete", "/api/v1/jobs/{id}/files/{index}", { params: { id, index } });
  }
  zipUrl(id: string) {
    return this.base + fillPath("/api/v1/jobs/{id}/zip", { id });
  }

  watchJobs(handlers: LiveHandlers): () => void {
    const source = new EventSource(this.base + "/api/v1/jobs/live", { withCredentials: true });
    const parse = <T>(event: MessageEvent<string>, deliver: (value: T) => void) => {
      try {
        deliver(JSON.parse(event.data) as T);
      } catch {
        // A malformed event is skipped; the next snapshot repairs the view.
      }
    };
    source.addEventListener("snapshot", (e) => parse<JobLive[]>(e, handlers.onSnapshot));
    source.addEventListener("job", (e) => parse<JobLive>(e, handlers.onJob));
    source.addEventListener("removed", (e) => parse<{ id: string }>(e, (v) => handlers.onRemoved(v.id)));
    source.onopen = () => handlers.onConnection?.(true);
    // EventSource reconnects by itself; the server opens every stream with a fresh snapshot.
    source.onerror = () => handlers.onConnection?.(false);
    return () => source.close();
  }

  overview() {
    return this.call("get", "/api/v1/admin/overview");
  }
  adminUsers(q: string, page: number) {
    return this.call("get", "/api/v1/admin/users", { query: { q, page } });
  }
  adminUser(id: string) {
    return this.call("get", "/api/v1/admin/users/{id}", { params: { id } });
  }
  changePlan(id: string, planId: string, why: Justification) {
    return this.call("post", "/api/v1/admin/users/{id}/plan", { params: { id }, body: { planId, ...why } });
  }

  adminOrgs(q: string, page: number) {
    return this.call("get", "/api/v1/admin/orgs", { query: { q, page } });
  }

  adminOrg(id: string) {
    return this.call("get", "/api/v1/admin/orgs/{id}", { params: { id } });
  }
  changeOrgPlan(id: string, planId: string, why: Justification) {
    return this.call("post", "/api/v1/admin/orgs/{id}/plan", { params: { id }, body: { planId, ...why } });
  }

  adminOrgBilling(id: string) {
    return this.call("get", "/api/v1/admin/orgs/{id}/billing", { params: { id } });
  }
  adminUserBilling(id: string) {
    return this.call("get", "/api/v1/admin/users/{id}/billing", { params: { id } });
  }

  changeRole(id: string, role: Parameters<TseederApi["changeRole"]>[1], why: Justification) {
    return this.call("post", "/api/v1/admin/users/{id}/role", {
      params: { id },
      body: { role, ...why },
    });
  }
  accountAction(id: string, action: Parameters<TseederApi["accountAction"]>[1], why: Justification) {
    const options = { params: { id }, body: why };
    switch (action) {
      case "suspend":
        return this.call("post", "/api/v1/admin/users/{id}/suspend", options);
      case "unsuspend":
        return this.call("post", "/api/v1/admin/users/{id}/unsuspend", options);
      case "force-logout":
        return this.call("post", "/api/v1/admin/users/{id}/force-logout", options);
    }
  }
  adminSearch(query: Parameters<TseederApi["adminSearch"]>[0]) {
    return this.call("get", "/api/v1/admin/search", { query: { ...query } });
  }
  incidents(page: number) {
    return this.call("get", "/api/v1/admin/status/incidents", { query: { page } });
  }
  openIncident(req: OpenIncident) {
    return this.call("post", "/api/v1/admin/status/incidents", { body: req });
  }
  updateIncident(id: string, req: UpdateIncident) {
    return this.call("post", "/api/v1/admin/status/incidents/{id}/updates", { params: { id }, body: req });
  }
  scheduleMaintenance(req: ScheduleMaintenance) {
    return this.call("post", "/api/v1/admin/status/maintenance", { body: req });
  }
  async cancelMaintenance(id: string) {
    await this.call("delete", "/api/v1/admin/status/maintenance/{id}", { params: { id } });
  }
  runtimeSettings() {
    return this.call("get", "/api/v1/admin/settings", {});
  }
  changeSettings(changes: Record<string, unknown>, expectedVersion: number, why: Justification) {
    return this.call("patch", "/api/v1/admin/settings", { body: { changes, expectedVersion, ...why } });
  }
  settingsHistory(page: number) {
    return this.call("get", "/api/v1/admin/settings/history", { query: { page } });
  }
  settingsVersion(version: number) {
    return this.call("get", "/api/v1/admin/settings/history/{version}", { params: { version } });
  }
  rollbackSettings(version: number, expectedVersion: number, why: Justification) {
    return this.call("post", "/api/v1/admin/settings/rollback", { body: { version, expectedVersion, ...why } });
  }
  adminJobs(query: Parameters<TseederApi["adminJobs"]>[0]) {
    return this.call("get", "/api/v1/admin/jobs", { query: { ...query } });
  }
  terminateJob(id: string, why: Justification) {
    return this.call("post", "/api/v1/admin/jobs/{id}/terminate", { params: { id }, body: why });
  }
  agents() {
    return this.call("get", "/api/v1/admin/agents");
  }
  issueAgent(req: Parameters<TseederApi["issueAgent"]>[0]) {
    return this.call("post", "/api/v1/admin/agents", { body: req });
  }
  revokeAgent(id: string, why: Justification) {
    return this.call("post", "/api/v1/admin/agents/{id}/revoke", { params: { id }, body: why });
  }
  storage() {
    return this.call("get", "/api/v1/admin/storage");
  }
  provider() {
    return this.call("get", "/api/v1/admin/provider");
  }
  switchProvider(provider: Parameters<TseederApi["switchProvider"]>[0], expectedVersion: number, why: Justification) {
    return this.call("post", "/api/v1/admin/provider", { body: { provider, expectedVersion, ...why } });
  }
  observability(range: Parameters<TseederApi["observability"]>[0]) {
    return this.call("get", "/api/v1/admin/observability", { query: { range } });
  }
  audit(query: Parameters<TseederApi["audit"]>[0]) {
    return this.call("get", "/api/v1/admin/audit", { query: { ...query } });
  }
  securityEvents(query: Parameters<TseederApi["securityEvents"]>[0]) {
    return this.call("get", "/api/v1/admin/security-events", { query: { ...query } });
  }
  deadLetters(page: number) {
    return this.call("get", "/api/v1/admin/dead-letters", { query: { page } });
  }
  replayDeadLetter(id: string, why: Justification) {
    return this.call("post", "/api/v1/admin/dead-letters/{id}/replay", {
      params: { id },
      body: why,
    });
  }
  adminBlogPosts(page: number) {
    return this.call("get", "/api/v1/admin/blog", { query: { page } });
  }
  saveBlogPost(id: string | null, post: Parameters<TseederApi["saveBlogPost"]>[1]) {
    return id === null
      ? this.call("post", "/api/v1/admin/blog", { body: post })
      : this.call("put", "/api/v1/admin/blog/{id}", { params: { id }, body: post });
  }
  async deleteBlogPost(id: string, why: Justification) {
    await this.call("delete", "/api/v1/admin/blog/{id}", { params: { id }, body: why });
  }
}

export type { Page };
