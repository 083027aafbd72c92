// The wire types the console uses, taken from the types generated out of the server's OpenAPI
// document (src/api/openapi.json → schema.d.ts), so a renamed field fails the type check here.
import type { components } from "./schema";

type Schemas = components["schemas"];

export type Ack = Schemas["Ack"];
export type AdminJob = Schemas["AdminJob"];
export type AdminOverview = Schemas["AdminOverview"];
export type AdminUser = Schemas["AdminUser"];
export type AgentView = Schemas["AgentView"];
export type Alert = Schemas["Alert"];
export type ApiKeyView = Schemas["ApiKeyView"];
export type AuditEntry = Schemas["AuditEntry"];
export type BillingOverview = Schemas["BillingOverview"];
export type BillingRedirect = Schemas["BillingRedirect"];
export type Invoice = Schemas["Invoice"];
export type Invoices = Schemas["Invoices"];
export type BlogPost = Schemas["BlogPost"];
export type BlogPostSummary = Schemas["BlogPostSummary"];
export type ComponentDay = Schemas["ComponentDay"];
export type ComponentHistory = Schemas["ComponentHistory"];
export type ComponentState = Schemas["ComponentState"];
export type CreateJob = Schemas["CreateJob"];
export type CreatedApiKey = Schemas["CreatedApiKey"];
export type ErrorCode = Schemas["ErrorCode"];
export type FileLink = Schemas["FileLink"];
export type Incident = Schemas["Incident"];
export type IncidentSeverity = Schemas["IncidentSeverity"];
export type IncidentStatus = Schemas["IncidentStatus"];
export type IssuedAgentToken = Schemas["IssuedAgentToken"];
export type IssueAgentToken = Schemas["IssueAgentToken"];
export type Job = Schemas["Job"];
export type JobDetail = Schemas["JobDetail"];
export type JobEvent = Schemas["JobEvent"];
export type JobLive = Schemas["JobLive"];
export type JobStatus = Schemas["JobStatus"];
export type Justification = Schemas["Justification"];
export type LiveProgress = Schemas["LiveProgress"];
export type Maintenance = Schemas["Maintenance"];
export type OpenIncident = Schemas["OpenIncident"];
export type ScheduleMaintenance = Schemas["ScheduleMaintenance"];
export type StatusHistory = Schemas["StatusHistory"];
export type UpdateIncident = Schemas["UpdateIncident"];
export type Plan = Schemas["Plan"];
export type RegisterRequest = Schemas["RegisterRequest"];
export type Role = Schemas["Role"];
export type SaveBlogPost = Schemas["SaveBlogPost"];
export type SecurityEvent = Schemas["SecurityEvent"];
export type SessionInfo = Schemas["SessionInfo"];
export type SessionView = Schemas["SessionView"];
export type SiteConfig = Schemas["SiteConfig"];
export type StatusReport = Schemas["StatusReport"];
export type StorageReport = Schemas["StorageReport"];
export type ObservabilityReport = Schemas["ObservabilityReport"];
export type ProviderReport = Schemas["ProviderReport"];
export type ProviderKind = Schemas["ProviderKind"];
export type MetricPoint = Schemas["MetricPoint"];
export type MetricsRange = Schemas["MetricsRange"];
export type StoredFile = Schemas["StoredFile"];
export type UpdateProfile = Schemas["UpdateProfile"];
export type Usage = Schemas["Usage"];
export type User = Schemas["User"];

export interface Page<T> {
  items: T[];
  page: number;
  perPage: number;
  /** A lower bound when `totalCapped`: long lists are not counted to the end. */
  total: number;
  totalCapped?: boolean;
  /** Pass as `after` for the next page; absent on the last one. */
  nextCursor?: string | null;
}

export const JOB_STATUSES: JobStatus[] = [
  "submitted",
  "queued",
  "metadata",
  "downloading",
  "uploading",
  "completed",
  "paused",
  "cancelled",
  "failed",
];

export const ROLES: Role[] = ["user", "support", "admin", "superadmin"];
export type CallbackSecret = Schemas["CallbackSecret"];
export type CreateWebhook = Schemas["CreateWebhook"];
export type CreatedWebhook = Schemas["CreatedWebhook"];
export type DeliveryState = Schemas["DeliveryState"];
export type WebhookDelivery = Schemas["WebhookDelivery"];
export type WebhookEvent = Schemas["WebhookEvent"];
export type WebhookView = Schemas["WebhookView"];
export type RuntimeSetting = Schemas["RuntimeSetting"];
export type RuntimeSettings = Schemas["RuntimeSettings"];
export type SearchGroup = Schemas["SearchGroup"];
export type SearchHit = Schemas["SearchHit"];
export type SearchKind = Schemas["SearchKind"];
export type SearchResults = Schemas["SearchResults"];
export type SettingChange = Schemas["SettingChange"];
export type SettingsVersion = Schemas["SettingsVersion"];
export type SettingsVersionDetail = Schemas["SettingsVersionDetail"];
export type Subscription = Schemas["Subscription"];
export type SubscriptionStatus = Schemas["SubscriptionStatus"];
export type AdminOrg = Schemas["AdminOrg"];
export type AdminOrgDetail = Schemas["AdminOrgDetail"];
export type GrantedRole = Schemas["GrantedRole"];
export type OrgDetail = Schemas["OrgDetail"];
export type OrgInvite = Schemas["OrgInvite"];
export type OrgMember = Schemas["OrgMember"];
export type OrgRole = Schemas["OrgRole"];
export type OrgSummary = Schemas["OrgSummary"];
