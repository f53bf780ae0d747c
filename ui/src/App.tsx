import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { NavLink, Route, Routes } from 'react-router';
import { setUnauthorizedHandler } from './api/client.ts';
import { LiveContext } from './api/live-context.ts';
import { useLiveFeed } from './api/live.ts';
import { useConfig } from './api/queries.ts';
import { opsToken } from './api/session.ts';
import { LiveIndicator } from './components/LiveIndicator.tsx';
import { ThemeToggle } from './components/ThemeToggle.tsx';
import { TokenPrompt } from './components/TokenPrompt.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';
import { OrderDetailPage } from './pages/OrderDetailPage.tsx';
import { OrdersPage } from './pages/OrdersPage.tsx';
import { SystemPage } from './pages/SystemPage.tsx';

export function App() {
  const client = useQueryClient();
  const config = useConfig();
  const token = useSyncExternalStore(opsToken.subscribe, opsToken.get);
  const [rejected, setRejected] = useState(false);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setRejected(Boolean(opsToken.get()));
      opsToken.clear();
    });
  }, []);
  // A new token: everything that failed for want of it loads again.
  const firstToken = useRef(token);
  useEffect(() => {
    if (token && token !== firstToken.current) void client.invalidateQueries();
    firstToken.current = null;
  }, [token, client]);

  const needToken = Boolean(config.data?.readTokenRequired) && !token;
  const feed = useLiveFeed(token, Boolean(config.data) && !needToken);
  const live = needToken || (config.isError && !config.data) ? 'offline' : feed;

  return (
    <LiveContext.Provider value={live}>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Order sagas</span>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Orders
          </NavLink>
          <NavLink to="/system">System</NavLink>
        </nav>
        <ThemeToggle />
        <LiveIndicator />
      </header>
      <main id="main">
        {needToken ? (
          <TokenPrompt rejected={rejected} />
        ) : (
          <Routes>
            <Route path="/" element={<OrdersPage />} />
            <Route path="/orders/:orderId" element={<OrderDetailPage />} />
            <Route path="/system" element={<SystemPage />} />
            <Route path="*" element={<NotFoundPage />} />
          </Routes>
        )}
      </main>
    </LiveContext.Provider>
  );
}
