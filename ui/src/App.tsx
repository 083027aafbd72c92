// Every page of the console and who may open it.
import { Navigate, Route, Routes } from "react-router";
import { AdminLayout, Layout } from "./components/Layout";
import { Loading } from "./components/Feedback";
import { AdminBlog } from "./pages/admin/AdminBlog";
import { AdminJobs } from "./pages/admin/AdminJobs";
import { Agents } from "./pages/admin/Agents";
import { Audit } from "./pages/admin/Audit";
import { DeadLetters } from "./pages/admin/DeadLetters";
import { Overview } from "./pages/admin/Overview";
import { SecurityEvents } from "./pages/admin/SecurityEvents";
import { Storage } from "./pages/admin/Storage";
import { Observability } from "./pages/admin/Observability";
import { Provider } from "./pages/admin/Provider";
import { UserDetail } from "./pages/admin/UserDetail";
import { Users } from "./pages/admin/Users";
import { Search } from "./pages/admin/Search";
import { Incidents } from "./pages/admin/Incidents";
import { OrgDetailPage, Orgs } from "./pages/admin/Orgs";
import { RuntimeSettingsPage } from "./pages/admin/settings/RuntimeSettings";
import { SettingsHistory } from "./pages/admin/settings/SettingsHistory";
import { Blog, BlogArticle } from "./pages/public/Blog";
import { ForgotPassword, ResetPassword } from "./pages/public/Password";
import { Pricing } from "./pages/public/Pricing";
import { SignIn } from "./pages/public/SignIn";
import { SignUp } from "./pages/public/SignUp";
import { Status } from "./pages/public/Status";
import { VerifyEmail } from "./pages/public/VerifyEmail";
import { NotFound } from "./pages/public/NotFound";
import { JobDetailPage } from "./pages/user/JobDetail";
import { Jobs } from "./pages/user/Jobs";
import { SettingsPage } from "./pages/user/Settings";
import { UsagePage } from "./pages/user/Usage";
import { AcceptInvite } from "./pages/user/orgs/AcceptInvite";
import { Organization } from "./pages/user/orgs/Organization";
import { Organizations } from "./pages/user/orgs/Organizations";
import { RequireRole, useSession } from "./session";

function Home() {
  const { user, isPending } = useSession();
  if (isPending) return <Loading what="tseeder" />;
  return <Navigate to={user ? "/jobs" : "/login"} replace />;
}

export function App() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Home />} />
        <Route path="login" element={<SignIn />} />
        <Route path="signup" element={<SignUp />} />
        <Route path="verify-email" element={<VerifyEmail />} />
        <Route path="forgot-password" element={<ForgotPassword />} />
        <Route path="reset-password" element={<ResetPassword />} />
        <Route path="status" element={<Status />} />
        <Route path="pricing" element={<Pricing />} />
        <Route path="invites/accept" element={<AcceptInvite />} />
        <Route path="blog" element={<Blog />} />
        <Route path="blog/:slug" element={<BlogArticle />} />
        <Route
          path="jobs"
          element={
            <RequireRole least="user">
              <Jobs />
            </RequireRole>
          }
        />
        <Route
          path="jobs/:id"
          element={
            <RequireRole least="user">
              <JobDetailPage />
            </RequireRole>
          }
        />
        <Route
          path="orgs"
          element={
            <RequireRole least="user">
              <Organizations />
            </RequireRole>
          }
        />
        <Route
          path="orgs/:id"
          element={
            <RequireRole least="user">
              <Organization />
            </RequireRole>
          }
        />
        <Route
          path="usage"
          element={
            <RequireRole least="user">
              <UsagePage />
            </RequireRole>
          }
        />
        <Route
          path="settings"
          element={
            <RequireRole least="user">
              <SettingsPage />
            </RequireRole>
          }
        />
        <Route
          path="admin"
          element={
            <RequireRole least="support">
              <AdminLayout />
            </RequireRole>
          }
        >
          <Route index element={<Overview />} />
          <Route path="search" element={<Search />} />
          <Route path="users" element={<Users />} />
          <Route path="users/:id" element={<UserDetail />} />
          <Route path="orgs" element={<Orgs />} />
          <Route path="orgs/:id" element={<OrgDetailPage />} />
          <Route path="jobs" element={<AdminJobs />} />
          <Route path="agents" element={<Agents />} />
          <Route path="storage" element={<Storage />} />
          <Route path="observability" element={<Observability />} />
          <Route path="provider" element={<Provider />} />
          <Route path="dead-letters" element={<DeadLetters />} />
          <Route path="audit" element={<Audit />} />
          <Route path="security" element={<SecurityEvents />} />
          <Route path="incidents" element={<Incidents />} />
          <Route path="settings" element={<RuntimeSettingsPage />} />
          <Route path="settings/history" element={<SettingsHistory />} />
          <Route
            path="blog"
            element={
              <RequireRole least="admin">
                <AdminBlog />
              </RequireRole>
            }
          />
        </Route>
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}
