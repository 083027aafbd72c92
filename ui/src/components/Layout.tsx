// The frame around every page: the brand, the navigation for the signed-in role, the account
// menu. At phone width the navigation folds behind a button.
import { useState, type ReactNode } from "react";
import { NavLink, Outlet, useNavigate } from "react-router";
import { hasRole, useSession, useSignOut, useSiteConfig } from "../session";
import { OrgSwitcher } from "./OrgSwitcher";

function Item({ to, children, end }: { to: string; children: ReactNode; end?: boolean }) {
  return (
    <li>
      <NavLink to={to} end={end}>
        {children}
      </NavLink>
    </li>
  );
}

export function Layout() {
  const { user } = useSession();
  const signOut = useSignOut();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const banner = useSiteConfig().data?.maintenanceBanner;

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to={user ? "/jobs" : "/"} className="brand" aria-label="tseeder home">
          <img src="/favicon.svg" alt="" width={24} height={24} /> tseeder
        </NavLink>
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={open}
          aria-controls="site-nav"
          onClick={() => setOpen(!open)}
        >
          Menu
        </button>
        <nav id="site-nav" className={open ? "open" : ""} aria-label="Main" onClick={() => setOpen(false)}>
          <ul>
            {user ? (
              <>
                <Item to="/jobs">Jobs</Item>
                <Item to="/usage">Usage</Item>
                <Item to="/orgs">Organizations</Item>
                <Item to="/settings">Settings</Item>
                {hasRole(user, "support") && <Item to="/admin">Admin</Item>}
              </>
            ) : (
              <>
                <Item to="/login">Sign in</Item>
                <Item to="/signup">Sign up</Item>
              </>
            )}
            <Item to="/pricing">Pricing</Item>
            <Item to="/status">Status</Item>
            <Item to="/blog">Blog</Item>
          </ul>
          {user && (
            <div className="account">
              <OrgSwitcher />
              <span className="who" title={user.email}>
                {user.displayName || user.email}
              </span>
              <button
                type="button"
                className="link"
                onClick={async () => {
                  await signOut();
                  navigate("/login");
                }}
              >
                Sign out
              </button>
            </div>
          )}
        </nav>
      </header>
      {banner && (
        <p className="maintenance-banner" role="status">
          {banner}
        </p>
      )}
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}

/** The operators' section: its own sub-navigation beside the page. */
export function AdminLayout() {
  const { user } = useSession();
  return (
    <div className="admin">
      <nav className="subnav" aria-label="Admin">
        <ul>
          <Item to="/admin" end>
            Overview
          </Item>
          <Item to="/admin/search">Search</Item>
          <Item to="/admin/users">Users</Item>
          <Item to="/admin/orgs">Organizations</Item>
          <Item to="/admin/jobs">Jobs</Item>
          <Item to="/admin/agents">Agents</Item>
          <Item to="/admin/storage">Storage</Item>
          <Item to="/admin/observability">Observability</Item>
          <Item to="/admin/provider">Provider</Item>
          <Item to="/admin/dead-letters">Dead letters</Item>
          <Item to="/admin/audit">Audit log</Item>
          <Item to="/admin/security">Security</Item>
          <Item to="/admin/incidents">Incidents</Item>
          <Item to="/admin/settings">Settings</Item>
          {hasRole(user, "admin") && <Item to="/admin/blog">Blog</Item>}
        </ul>
      </nav>
      <div className="admin-page">
        <Outlet />
      </div>
    </div>
  );
}
