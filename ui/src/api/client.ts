// The one interface every screen talks to. The web console uses the HTTP implementation
// (http.ts); the desktop app supplies one over Tauri's `invoke`, so the same screens serve both.
import type {
  Ack,
  AdminJob,
  AdminOverview,
  AdminOrg,
  AdminOrgDetail,
  AdminUser,
  AgentView,
  ApiKeyView,
  CallbackSecret,
  AuditEntry,
  BillingOverview,
  BillingRedirect,
  Invoices,
  BlogPost,
  BlogPostSummary,
  CreatedApiKey,
  CreatedWebhook,
  CreateWebhook,
  CreateJob,
  ErrorCode,
  FileLink,
  IssuedAgentToken,
  IssueAgentToken,
  Job,
  JobDetail,
  JobEvent,
  JobLive,
  JobStatus,
  Justification,
  GrantedRole,
  OrgDetail,
  OrgInvite,
  OrgSummary,
  Page,
  Plan,
  RegisterRequest,
  Incident,
  Maintenance,
  OpenIncident,
  Role,
  RuntimeSettings,
  ScheduleMaintenance,
  StatusHistory,
  UpdateIncident,
  SaveBlogPost,
  SearchKind,
  SearchResults,
  SecurityEvent,
  SessionInfo,
  SettingsVersion,
  SettingsVersionDetail,
  SessionView,
  SiteConfig,
  StatusReport,
  StorageReport,
  ObservabilityReport,
  ProviderKind,
  ProviderReport,
  MetricsRange,
  StoredFile,
  UpdateProfile,
  Usage,
  User,
  WebhookDelivery,
  WebhookView,
} from "./types";

/**
 * Codes made on this side: the server could not be reached or did not answer with its error
 * body, or the desktop app's own commands refused (see src-tauri/src/commands.rs).
 */
export type LocalErrorCode =
  | "network"
  | `http_${number}`
  | "unsupported_body"
  | "invalid"
  | "signed_out"
  | "unauthorized"
  | "cloud"
  | "engine"
  | "keyring"
  | "error";

/** An answer the API refused, with its machine code and the message meant for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | LocalErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }

  get unauthenticated(): boolean {
    return this.status === 401;
  }
}

export interface JobQuery {
  status?: JobStatus;
  q?: string;
  page?: number;
  perPage?: number;
}

export interface AdminJobQuery extends JobQuery {
  userId?: string;
  orgId?: string;
}

export interface SearchQuery {
  q: string;
  /** Only this kind, paged; every kind's best few otherwise. */
  kind?: SearchKind;
  page?: number;
}

export interface AuditQuery {
  action?: string;
  targetId?: string;
  page?: number;
}

export interface SecurityQuery {
  kind?: string;
  page?: number;
}

export type JobAction = "pause" | "resume" | "cancel" | "retry";
export type AccountAction = "suspend" | "unsuspend" | "force-logout";

/** Callbacks of a live job stream; `onSnapshot` also follows a reconnect. */
export interface LiveHandlers {
  onSnapshot(jobs: JobLive[]): void;
  onJob(job: JobLive): void;
  onRemoved(jobId: string): void;
  onConnection?(open: boolean): void;
}

export interface TseederApi {
  // Public
  siteConfig(): Promise<SiteConfig>;
  status(): Promise<StatusReport>;
  statusHistory(days: number): Promise<StatusHistory>;
  plans(): Promise<Plan[]>;
  blogPosts(page?: number): Promise<Page<BlogPostSummary>>;
  blogPost(slug: string): Promise<BlogPost>;

  // Account
  me(): Promise<SessionInfo | null>;
  login(email: string, password: string): Promise<SessionInfo>;
  logout(): Promise<void>;
  register(req: RegisterRequest): Promise<Ack>;
  verifyEmail(token: string): Promise<Ack>;
  resendVerification(email: string): Promise<Ack>;
  requestPasswordReset(email: string): Promise<Ack>;
  confirmPasswordReset(token: string, newPassword: string): Promise<Ack>;
  updateProfile(change: UpdateProfile): Promise<User>;
  changePassword(currentPassword: string, newPassword: string, signOutEverywhere: boolean): Promise<Ack>;
  sessions(): Promise<SessionView[]>;
  revokeSession(id: string): Promise<void>;
  apiKeys(): Promise<ApiKeyView[]>;
  createApiKey(name: string, currentPassword: string): Promise<CreatedApiKey>;
  revokeApiKey(id: string): Promise<void>;
  webhooks(): Promise<WebhookView[]>;
  createWebhook(webhook: CreateWebhook): Promise<CreatedWebhook>;
  deleteWebhook(id: string): Promise<void>;
  webhookDeliveries(): Promise<WebhookDelivery[]>;
  rotateCallbackSecret(): Promise<CallbackSecret>;
  devices(): Promise<AgentView[]>;
  usage(): Promise<Usage>;
  orgs(): Promise<OrgSummary[]>;
  createOrg(name: string): Promise<OrgDetail>;
  org(id: string): Promise<OrgDetail>;
  renameOrg(id: string, name: string): Promise<OrgDetail>;
  deleteOrg(id: string): Promise<void>;
  inviteMember(id: string, email: string, role: GrantedRole): Promise<OrgInvite>;
  revokeInvite(id: string, inviteId: string): Promise<void>;
  acceptInvite(token: string): Promise<OrgSummary>;
  leaveOrg(id: string): Promise<void>;
  removeMember(id: string, userId: string): Promise<void>;
  changeMemberRole(id: string, userId: string, role: GrantedRole): Promise<OrgDetail>;
  transferOrg(id: string, userId: string): Promise<OrgDetail>;
  /** Makes the session work in this organization: its jobs, files, plan and new API keys. */
  workIn(id: string): Promise<OrgSummary>;
  billing(): Promise<BillingOverview>;
  startCheckout(plan: string): Promise<BillingRedirect>;
  openBillingPortal(): Promise<BillingRedirect>;
  invoices(): Promise<Invoices>;

  // Jobs
  jobs(query: JobQuery): Promise<Page<Job>>;
  job(id: string): Promise<JobDetail>;
  createJob(req: CreateJob): Promise<JobDetail>;
  uploadTorrent(file: Blob, deviceId?: string): Promise<JobDetail>;
  jobAction(id: string, action: JobAction): Promise<Job>;
  deleteJob(id: string): Promise<void>;
  jobEvents(id: string): Promise<JobEvent[]>;
  jobFiles(id: string): Promise<StoredFile[]>;
  fileLink(id: string, index: number): Promise<FileLink>;
  deleteFile(id: string, index: number): Promise<void>;
  zipUrl(id: string): string;
  watchJobs(handlers: LiveHandlers): () => void;

  // Operators
  overview(): Promise<AdminOverview>;
  adminUsers(q: string, page: number): Promise<Page<User>>;
  adminUser(id: string): Promise<AdminUser>;
  changeRole(id: string, role: Role, why: Justification): Promise<AdminUser>;
  changePlan(id: string, planId: string, why: Justification): Promise<AdminUser>;
  adminUserBilling(id: string): Promise<BillingOverview>;
  adminOrgBilling(id: string): Promise<BillingOverview>;
  adminOrgs(q: string, page: number): Promise<Page<AdminOrg>>;
  adminOrg(id: string): Promise<AdminOrgDetail>;
  changeOrgPlan(id: string, planId: string, why: Justification): Promise<AdminOrgDetail>;
  accountAction(id: string, action: AccountAction, why: Justification): Promise<AdminUser>;
  adminJobs(query: AdminJobQuery): Promise<Page<AdminJob>>;
  terminateJob(id: string, why: Justification): Promise<Job>;
  agents(): Promise<AgentView[]>;
  issueAgent(req: IssueAgentToken): Promise<IssuedAgentToken>;
  revokeAgent(id: string, why: Justification): Promise<AgentView>;
  storage(): Promise<StorageReport>;
  observability(range: MetricsRange): Promise<ObservabilityReport>;
  provider(): Promise<ProviderReport>;
  switchProvider(provider: ProviderKind, expectedVersion: number, why: Justification): Promise<ProviderReport>;
  audit(query: AuditQuery): Promise<Page<AuditEntry>>;
  adminSearch(query: SearchQuery): Promise<SearchResults>;
  incidents(page: number): Promise<Page<Incident>>;
  openIncident(req: OpenIncident): Promise<Incident>;
  updateIncident(id: string, req: UpdateIncident): Promise<Incident>;
  scheduleMaintenance(req: ScheduleMaintenance): Promise<Maintenance>;
  cancelMaintenance(id: string): Promise<void>;
  runtimeSettings(): Promise<RuntimeSettings>;
  /** `null` returns a setting to its configuration-file value. */
  changeSettings(
    changes: Record<string, unknown>,
    expectedVersion: number,
    why: Justification,
  ): Promise<SettingsVersion>;
  settingsHistory(page: number): Promise<Page<SettingsVersion>>;
  settingsVersion(version: number): Promise<SettingsVersionDetail>;
  rollbackSettings(version: number, expectedVersion: number, why: Justification): Promise<SettingsVersion>;
  securityEvents(query: SecurityQuery): Promise<Page<SecurityEvent>>;
  deadLetters(page: number): Promise<Page<AdminJob>>;
  replayDeadLetter(id: string, why: Justification): Promise<Job>;
  adminBlogPosts(page: number): Promise<Page<BlogPost>>;
  saveBlogPost(id: string | null, post: SaveBlogPost): Promise<BlogPost>;
  deleteBlogPost(id: string, why: Justification): Promise<void>;
}
