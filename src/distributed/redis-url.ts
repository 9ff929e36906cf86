/**
 * Redis URLs: parsing, and the redacted form that every message, log line and output uses.
 *
 *   parseRedisUrl(text, env) -> RedisTarget       redis://[user][:password@]host[:port][/db], rediss:// for TLS
 *   redactUrl(text) -> string                     the password replaced by *** (never throws)
 *   scrub(text, secret) -> string                 every occurrence of the secret in a text replaced by ***
 *
 * The password may also come from the environment (WEIGHTDYN_REDIS_PASSWORD) so that it stays out of the command
 * line and the process list; it is used when the URL carries none. Percent-encoded user names and passwords are
 * decoded (`redis://:p%40ss@host` has the password `p@ss`).
 *
 * Redaction keeps what helps to find the server and hides what opens it: `redis://:***@host:6379`,
 * `rediss://alice:***@host:6380/2`. Everything between the scheme and the last `@` of the text is userinfo, whatever
 * it holds (`/`, `#`, `?`, spaces: a password typed without percent-encoding), so it is hidden whole apart from a
 * plain user name before a colon: `redis://***@host` for a userinfo without a colon, which some clients read as a
 * password. Values in a query string (`?password=...`) and a fragment are hidden too. Text that is not a URL at all
 * is redacted the same way, and redactSecrets does it for every URL-like word of a free text (an error message that
 * quotes a command line), so a mistyped flag is never echoed with its secret.
 */
import { DistributedInputError } from "./errors.js";

/** Where a Redis server is and how to talk to it. */
export interface RedisTarget {
  /** The URL with the password redacted: the only form of the address that is ever printed or stored. */
  display: string;
  host: string;
  port: number;
  /** Database number (the URL's path, default 0). */
  db: number;
  username?: string;
  password?: string;
  /** rediss://: TLS (the CA file may come from WEIGHTDYN_REDIS_CA; connection.ts). */
  tls: boolean;
}

const DEFAULT_PORT = 6379;
const MASK = "***";

/** `scheme:` or `scheme:/` or `scheme://` at the start of a URL. */
const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/{0,2}/;
/** A plain user name: shown before `:***`. */
const USER_NAME = /^[A-Za-z0-9._~%-]*$/;

/**
 * redactUrl(text) -> text with the password of a URL replaced by ***
 *
 * `redis://user:pw@h:1/0` -> `redis://user:***@h:1/0`, `redis://:pw@h` -> `redis://:***@h`, `redis://pw@h` ->
 * `redis://***@h`, `redis://h/0?password=pw` -> `redis://h/0?password=***`; text without userinfo, query or
 * fragment is returned as it is. Never throws.
 */
export function redactUrl(text: string): string {
  const scheme = SCHEME.exec(text);
  const start = scheme ? scheme[0].length : 0;
  const rest = text.slice(start);
  const at = rest.lastIndexOf("@");
  let shown = "";
  let after = rest;
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(":");
    const user = colon < 0 ? "" : userinfo.slice(0, colon);
    shown = colon >= 0 && USER_NAME.test(user) ? `${user}:${MASK}` : MASK;
    after = rest.slice(at);
  }
  // Query values and fragments: `?password=pw&a=b` -> `?password=***&a=***`, `#frag` -> `#***`.
  const hidden = after.replace(/([?&;][^=&;#]*=)[^&;#]*/g, `$1${MASK}`).replace(/#.*$/s, `#${MASK}`);
  return `${text.slice(0, start)}${shown}${hidden}`;
}

/**
 * redactSecrets(text) -> text with every URL-like word redacted (redactUrl)
 *
 * For free text that may quote what a user typed (an error message about a flag or a path): each word (between
 * spaces and quotes) that holds a `scheme:/` is redacted from its scheme on; when the text holds one, so is every
 * word with an `@` (the rest of a password with a space in it). Other words are left alone (a path with an `@`).
 */
export function redactSecrets(text: string): string {
  const schemeIn = /[a-zA-Z][a-zA-Z0-9+.-]*:\//;
  const anyUrl = schemeIn.test(text);
  return text.replace(/[^\s"'`]+/g, (word) => {
    const scheme = schemeIn.exec(word);
    if (scheme) return word.slice(0, scheme.index) + redactUrl(word.slice(scheme.index));
    return anyUrl && word.includes("@") ? redactUrl(word) : word;
  });
}

/** Every occurrence of `secret` (and of its percent-encoded form) in `text` replaced by ***. */
export function scrub(text: string, secret: string | undefined): string {
  if (!secret) return text;
  let out = text.split(secret).join(MASK);
  const encoded = encodeURIComponent(secret);
  if (encoded !== secret) out = out.split(encoded).join(MASK);
  return out;
}

function decode(part: string, what: string, shown: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new DistributedInputError(`--queue: the ${what} of ${shown} is not valid percent-encoding`);
  }
}

/**
 * parseRedisUrl(text, env) -> RedisTarget
 *
 * Accepts redis:// and rediss:// URLs (module comment); anything else is a DistributedInputError naming --queue and showing
 * the redacted text. `env.WEIGHTDYN_REDIS_PASSWORD` supplies the password when the URL has none.
 */
export function parseRedisUrl(text: string, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  const shown = JSON.stringify(redactUrl(text.trim()));
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new DistributedInputError(`--queue: expected a URL such as redis://host:6379 but received ${shown}`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new DistributedInputError(`--queue: expected a redis:// or rediss:// URL but received ${shown}`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") throw new DistributedInputError(`--queue: no host in ${shown}`);
  const port = url.port === "" ? DEFAULT_PORT : Number(url.port);
  const path = url.pathname.replace(/^\//, "");
  if (path !== "" && !/^\d+$/.test(path)) {
    throw new DistributedInputError(`--queue: expected a database number after the host but received ${shown}`);
  }
  if (url.search !== "" || url.hash !== "") {
    throw new DistributedInputError(`--queue: query strings and fragments are not supported in ${shown}`);
  }
  let username = url.username === "" ? undefined : decode(url.username, "user name", shown);
  let password = url.password === "" ? undefined : decode(url.password, "password", shown);
  // `redis://secret@host`: a lone userinfo is a password to Redis (AUTH with one argument), not a user name.
  if (password === undefined && username !== undefined && !text.includes(`${url.username}:`)) {
    password = username;
    username = undefined;
  }
  const fromEnv = env.WEIGHTDYN_REDIS_PASSWORD;
  if (password === undefined && fromEnv !== undefined && fromEnv !== "") password = fromEnv;
  const tls = url.protocol === "rediss:";
  const hostPart = host.includes(":") ? `[${host}]` : host;
  const user = username === undefined ? "" : url.username;
  const userinfo = password !== undefined ? `${user}:${MASK}@` : user !== "" ? `${user}@` : "";
  const display = `${url.protocol}//${userinfo}${hostPart}:${port}${path === "" ? "" : `/${path}`}`;
  return {
    display,
    host,
    port,
    db: path === "" ? 0 : Number(path),
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    tls,
  };
}
