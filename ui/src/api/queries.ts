// Every read the screens make, as TanStack Query options: each API call has one function here
// that owns its query key, so the key a page caches under is the key every invalidation uses.
// `keys` are the prefixes to invalidate (a prefix covers every page and filter below it).
import { queryOptions } from "@tanstack/react-query";
import type { DesktopApi } from "../desktop/api";
import type { MetricsRange } from "./types";
import type { AdminJobQuery, AuditQuery, JobQuery, SearchQuery, SecurityQuery, TseederApi } from "./client";

export const keys = {
  me: ["me"] as const,
  siteConfig: ["site-config"] as const,
  status: ["status"] as const,
  statusHistory: ["status-history"] as const,
  incidents: ["admin-incidents"] as const,
  plans: ["plans"] as const,
  blog: ["blog"] as const,
  blogPost: (slug: string) => ["blog-post", slug] as const,
  usage: ["usage"] as const,
  billing: ["billing"] as const,
  invoices: ["invoices"] as const,
  orgs: ["orgs"] as const,
  org: (id: string) => ["org", id] as const,
  devices: ["devices"] as const,
  sessions: ["sessions"] as const,
  apiKeys: ["api-keys"] as const,
  webhooks: ["webhooks"] as const,
  webhookDeliveries: ["webhook-deliveries"] as const,
  jobs: ["jobs"] as const,
  job: (id: string) => ["job", id] as const,
  jobEvents: (id: string) => ["job-events", id] as const,
  jobFiles: (id: string) => ["job-files", id] as const,
  overview: ["admin-overview"] as const,
  adminUsers: ["admin-users"] as const,
  adminUser: (id: string) => ["admin-user", id] as const,
  adminUserBilling: (id: string) => ["admin-user-billing", id] as const,
  adminOrgBilling: (id: string) => ["admin-org-billing", id] as const,
  adminOrgs: ["admin-orgs"] as const,
  adminOrg: (id: string) => ["admin-org", id] as const,
  adminJobs: ["admin-jobs"] as const,
  adminSearch: ["admin-search"] as const,
  runtimeSettings: ["admin-settings"] as const,
  settingsHistory: ["admin-settings-history"] as const,
  agents: ["admin-agents"] as const,
  storage: ["admin-storage"] as const,
  observability: ["admin-observability"] as const,
  provider: ["admin-provider"] as const,
  audit: ["admin-audit"] as const,
  securityEvents: ["admin-security"] as const,
  deadLetters: ["admin-dead-letters"] as const,
  adminBlog: ["admin-blog"] as const,
  appState: ["app-state"] as const,
};

export const queries = {
  me: (api: TseederApi) => queryOptions({ queryKey: keys.me, queryFn: () => api.me(), staleTime: 60_000 }),
  /** The server's public settings; operators may change registration and the banner at any time. */
  siteConfig: (api: TseederApi) =>
    queryOptions({ queryKey: keys.siteConfig, queryFn: () => api.siteConfig(), staleTime: 60_000 }),
  status: (api: TseederApi) =>
    queryOptions({ queryKey: keys.status, queryFn: () => api.status(), refetchInterval: 30_000 }),
  statusHistory: (api: TseederApi, days: number) =>
    queryOptions({
      queryKey: [...keys.statusHistory, days],
      queryFn: () => api.statusHistory(days),
      refetchInterval: 60_000,
    }),
  incidents: (api: TseederApi, page: number) =>
    queryOptions({ queryKey: [...keys.incidents, page], queryFn: () => api.incidents(page) }),
  plans: (api: TseederApi) => queryOptions({ queryKey: keys.plans, queryFn: () => api.plans(), staleTime: 600_000 }),
  blogPosts: (api: TseederApi, page: number) =>
    queryOptions({ queryKey: [...keys.blog, page], queryFn: () => api.blogPosts(page) }),
  blogPost: (api: TseederApi, slug: string) =>
    queryOptions({ queryKey: keys.blogPost(slug), queryFn: () => api.blogPost(slug) }),

  /** `userId` keeps one account's numbers from showing for the next one signed in. */
  usage: (api: TseederApi, userId?: string) =>
    queryOptions({ queryKey: [...keys.usage, userId], queryFn: () => api.usage() }),
  /** The signed-in user's plan and subscription; `userId` keeps accounts' answers apart. */
  billing: (api: TseederApi, userId?: string) =>
    queryOptions({ queryKey: [...keys.billing, userId], queryFn: () => api.billing() }),
  /** The working organization's invoices, for its owner; `orgId` keeps organizations' apart. */
  invoices: (api: TseederApi, orgId?: string) =>
    queryOptions({ queryKey: [...keys.invoices, orgId], queryFn: () => api.invoices() }),
  orgs: (api: TseederApi) => queryOptions({ queryKey: keys.orgs, queryFn: () => api.orgs() }),
  org: (api: TseederApi, id: string) => queryOptions({ queryKey: keys.org(id), queryFn: () => api.org(id) }),
  devices: (api: TseederApi) => queryOptions({ queryKey: keys.devices, queryFn: () => api.devices() }),
  sessions: (api: TseederApi) => queryOptions({ queryKey: keys.sessions, queryFn: () => api.sessions() }),
  apiKeys: (api: TseederApi) => queryOptions({ queryKey: keys.apiKeys, queryFn: () => api.apiKeys() }),
  webhooks: (api: TseederApi) => queryOptions({ queryKey: keys.webhooks, queryFn: () => api.webhooks() }),
  /** Refreshed every few seconds: deliveries move on their own (retries, late receivers). */
  webhookDeliveries: (api: TseederApi) =>
    queryOptions({
      queryKey: keys.webhookDeliveries,
      queryFn: () => api.webhookDeliveries(),
      refetchInterval: 3_000,
    }),

  jobs: (api: TseederApi, query: JobQuery) =>
    queryOptions({ queryKey: [...keys.jobs, query], queryFn: () => api.jobs(query) }),
  job: (api: TseederApi, id: string) => queryOptions({ queryKey: keys.job(id), queryFn: () => api.job(id) }),
  jobEvents: (api: TseederApi, id: string) =>
    queryOptions({ queryKey: keys.jobEvents(id), queryFn: () => api.jobEvents(id) }),
  jobFiles: (api: TseederApi, id: string) =>
    queryOptions({ queryKey: keys.jobFiles(id), queryFn: () => api.jobFiles(id) }),

  overview: (api: TseederApi) =>
    queryOptions({ queryKey: keys.overview, queryFn: () => api.overview(), refetchInterval: 30_000 }),
  adminUsers: (api: TseederApi, q: string, page: number) =>
    queryOptions({ queryKey: [...keys.adminUsers, q, page], queryFn: () => api.adminUsers(q, page) }),
  adminUser: (api: TseederApi, id: string) =>
    queryOptions({ queryKey: keys.adminUser(id), queryFn: () => api.adminUser(id) }),
  adminOrgs: (api: TseederApi, q: string, page: number) =>
    queryOptions({ queryKey: [...keys.adminOrgs, q, page], queryFn: () => api.adminOrgs(q, page) }),
  adminOrg: (api: TseederApi, id: string) =>
    queryOptions({ queryKey: keys.adminOrg(id), queryFn: () => api.adminOrg(id) }),
  adminUserBilling: (api: TseederApi, id: string) =>
    queryOptions({ queryKey: keys.adminUserBilling(id), queryFn: () => api.adminUserBilling(id) }),
  adminOrgBilling: (api: TseederApi, id: string) =>
    queryOptions({ queryKey: keys.adminOrgBilling(id), queryFn: () => api.adminOrgBilling(id) }),
  adminSearch: (api: TseederApi, query: SearchQuery) =>
    queryOptions({ queryKey: [...keys.adminSearch, query], queryFn: () => api.adminSearch(query) }),
  runtimeSettings: (api: TseederApi) =>
    queryOptions({ queryKey: keys.runtimeSettings, queryFn: () => api.runtimeSettings() }),
  settingsHistory: (api: TseederApi, page: number) =>
    queryOptions({ queryKey: [...keys.settingsHistory, page], queryFn: () => api.settingsHistory(page) }),
  /** A version and what rolling back to it would change now (so it is under the history's key). */
  settingsVersion: (api: TseederApi, version: number) =>
    queryOptions({
      queryKey: [...keys.settingsHistory, "version", version],
      queryFn: () => api.settingsVersion(version),
    }),
  adminJobs: (api: TseederApi, query: AdminJobQuery) =>
    queryOptions({ queryKey: [...keys.adminJobs, query], queryFn: () => api.adminJobs(query) }),
  agents: (api: TseederApi) =>
    queryOptions({ queryKey: keys.agents, queryFn: () => api.agents(), refetchInterval: 15_000 }),
  storage: (api: TseederApi) => queryOptions({ queryKey: keys.storage, queryFn: () => api.storage() }),
  /** Refreshed often: the in-flight counts are what an owner weighs before switching. */
  provider: (api: TseederApi) =>
    queryOptions({ queryKey: keys.provider, queryFn: () => api.provider(), refetchInterval: 10_000 }),
  /** Refreshed every minute: the roll-ups grow by a minute at a time. */
  observability: (api: TseederApi, range: MetricsRange) =>
    queryOptions({
      queryKey: [...keys.observability, range],
      queryFn: () => api.observability(range),
      refetchInterval: 60_000,
    }),
  audit: (api: TseederApi, query: AuditQuery) =>
    queryOptions({ queryKey: [...keys.audit, query], queryFn: () => api.audit(query) }),
  securityEvents: (api: TseederApi, query: SecurityQuery) =>
    queryOptions({ queryKey: [...keys.securityEvents, query], queryFn: () => api.securityEvents(query) }),
  deadLetters: (api: TseederApi, page: number) =>
    queryOptions({ queryKey: [...keys.deadLetters, page], queryFn: () => api.deadLetters(page) }),
  adminBlogPosts: (api: TseederApi, page: number) =>
    queryOptions({ queryKey: [...keys.adminBlog, page], queryFn: () => api.adminBlogPosts(page) }),

  /** The desktop app's own state: account, settings and pending links. */
  appState: (desktop: DesktopApi) => queryOptions({ queryKey: keys.appState, queryFn: () => desktop.appState() }),
};
