import { lazy, Suspense } from "react";
import { Route, Routes } from "react-router";
import { Loading, ErrorNote } from "./components/feedback.js";
import { Layout } from "./components/Layout.js";
import { Overview } from "./pages/Overview.js";
import { SignIn } from "./pages/SignIn.js";
import { useWhoami } from "./session/session.js";

// Pages past the overview load when first opened: the first screen downloads only what it shows.
const AppPage = lazy(() => import("./pages/AppPage.js").then((m) => ({ default: m.AppPage })));
const Executions = lazy(() => import("./pages/Executions.js").then((m) => ({ default: m.Executions })));
const ExecutionPage = lazy(() =>
  import("./pages/ExecutionPage.js").then((m) => ({ default: m.ExecutionPage })),
);
const AuditPage = lazy(() => import("./pages/AuditPage.js").then((m) => ({ default: m.AuditPage })));
const LogsPage = lazy(() => import("./pages/LogsPage.js").then((m) => ({ default: m.LogsPage })));
const RevisionPage = lazy(() => import("./pages/RevisionPage.js").then((m) => ({ default: m.RevisionPage })));
const DiffPage = lazy(() => import("./pages/DiffPage.js").then((m) => ({ default: m.DiffPage })));

export function App() {
  const whoami = useWhoami();
  if (whoami.isPending) return <Loading what="your session" />;
  if (whoami.isError) return <ErrorNote error={whoami.error} title="The server cannot be reached" />;
  if (!whoami.data) return <SignIn />;
  return (
    <Layout>
      <Suspense fallback={<Loading what="the page" />}>
        <Routes>
          <Route path="/" element={<Overview />} />
          <Route path="/apps/:app" element={<AppPage />} />
          <Route path="/apps/:app/env/:env" element={<AppPage />} />
          <Route path="/apps/:app/env/:env/revisions/:revision" element={<RevisionPage />} />
          <Route path="/apps/:app/env/:env/diff" element={<DiffPage />} />
          <Route path="/apps/:app/env/:env/pods/:pod/logs" element={<LogsPage />} />
          <Route path="/executions" element={<Executions />} />
          <Route path="/executions/:id" element={<ExecutionPage />} />
          <Route path="/audit" element={<AuditPage />} />
          <Route
            path="*"
            element={
              <ErrorNote
                title="No such page"
                error={new Error("This address shows nothing. Use the menu above.")}
              />
            }
          />
        </Routes>
      </Suspense>
    </Layout>
  );
}
