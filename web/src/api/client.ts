/**
 * The UI's one way to the server: same-origin requests with the session cookie. Changes carry the
 * CSRF header the server asks of cookie sessions, and every request says it comes from the UI (the
 * audit log records the source).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** The message and what to do, as one line for people. */
  get text(): string {
    return this.hint ? `${this.message} ${this.hint}` : this.message;
  }
}

type Method = "GET" | "POST" | "DELETE";

export async function api<T>(
  path: string,
  options: { method?: Method; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const response = await request(path, options);
  return (await response.json()) as T;
}

/** A request whose body is read by the caller (log streams). */
export async function request(
  path: string,
  options: { method?: Method; body?: unknown; signal?: AbortSignal; accept?: string } = {},
): Promise<Response> {
  const method = options.method ?? "GET";
  const headers: Record<string, string> = {
    accept: options.accept ?? "application/json",
    "x-railyard-client": "ui",
  };
  if (method !== "GET") headers["x-railyard-csrf"] = "1";
  if (options.body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: "same-origin",
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ApiError(0, "Unreachable", "The Railyard server does not answer.", "Check that it runs.");
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string; hint?: string } };
    if (body.error?.message) {
      return new ApiError(response.status, body.error.code ?? "Error", body.error.message, body.error.hint);
    }
  } catch {
    // not JSON: fall through to the status line
  }
  return new ApiError(
    response.status,
    "Error",
    `The server answered ${response.status} ${response.statusText}.`,
  );
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export const enc = encodeURIComponent;
