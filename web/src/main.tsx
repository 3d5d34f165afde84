import "@mantine/core/styles.css";
import "./app.css";
import { createRoot } from "react-dom/client";
import { MantineProvider, createTheme } from "@mantine/core";
import { QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { setNonce } from "get-nonce";
import { BrowserRouter } from "react-router";
import { ApiError } from "./api/client.js";
import { App } from "./App.js";

const client: QueryClient = new QueryClient({
  queryCache: new QueryCache({
    // A session that ended (expired cookie, revoked token) shows the sign-in page, whatever was open.
    onError: (error) => {
      if (error instanceof ApiError && error.status === 401) client.setQueryData(["whoami"], null);
    },
  }),
  defaultOptions: {
    queries: {
      retry: (count, error) =>
        !(error instanceof ApiError && error.status < 500 && error.status > 0) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

const theme = createTheme({
  primaryColor: "blue",
  fontFamily: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
  fontFamilyMonospace: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
  defaultRadius: "sm",
});

// The Content-Security-Policy allows styles from this site and those carrying this page's nonce.
const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? "";
// Mantine's modals lock scrolling with react-remove-scroll, whose style element takes its nonce from here.
setNonce(nonce);

createRoot(document.getElementById("root")!).render(
  <MantineProvider theme={theme} getStyleNonce={() => nonce} defaultColorScheme="light">
    <QueryClientProvider client={client}>
      <BrowserRouter>
        <App />
      </BrowserRouter>
    </QueryClientProvider>
  </MantineProvider>,
);
