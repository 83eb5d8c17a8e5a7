// Authorization code flow driver: signs <account> in through provider.mjs's devInteractions pages
// and prints the token response as one JSON line.
// Usage: node token.mjs <issuer> <account> [scope]
import { createHash, randomBytes } from 'node:crypto';

const [issuer, account, scope = 'openid email profile phone'] = process.argv.slice(2);
const clientId = process.env.OIDC_CLIENT_ID || 'concierge-test';
const clientSecret = process.env.OIDC_CLIENT_SECRET || 'concierge-test-secret';
const redirectUri = process.env.OIDC_REDIRECT_URI || 'http://127.0.0.1/callback';

function fail(message) {
  process.stderr.write(`token.mjs: ${message}\n`);
  process.exit(1);
}

// The interaction cookies are scoped to different paths (/interaction/<uid>, /auth/<uid>) but
// their names never clash, so sending all of them everywhere is enough for one flow.
const jar = new Map();
async function request(url, init = {}) {
  const headers = { ...init.headers };
  if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await fetch(url, { ...init, headers, redirect: 'manual' });
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attrs.some((a) => /^\s*expires=.*1970/i.test(a) || /^\s*max-age=0\s*$/i.test(a));
    if (expired || value === '') jar.delete(name);
    else jar.set(name, value);
  }
  return res;
}

const unescape = (s) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'")
  .replace(/&lt;/g, '<').replace(/&gt;/g, '>');
const attr = (tag, name) => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m && unescape(m[1]);
};

// The dev pages hold one POST form each: login (prompt=login) or consent (prompt=consent).
function parseForm(html, base) {
  const form = /<form\b[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const fields = new URLSearchParams();
  for (const [input] of form[1].matchAll(/<input\b[^>]*>/gi)) {
    const name = attr(input, 'name');
    if (name) fields.set(name, attr(input, 'value') ?? '');
  }
  return { action: new URL(attr(form[0], 'action'), base), fields };
}

const b64url = (buf) => buf.toString('base64url');

async function main() {
  if (!issuer || !account) fail('usage: node token.mjs <issuer> <account> [scope]');

  const discoveryRes = await fetch(new URL('/.well-known/openid-configuration', issuer));
  if (!discoveryRes.ok) fail(`discovery: HTTP ${discoveryRes.status}`);
  const discovery = await discoveryRes.json();

  // PKCE is optional for confidential clients in oidc-provider v9; sent anyway, as a real app would.
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(16));
  const auth = new URL(discovery.authorization_endpoint);
  auth.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope,
    state,
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
  });
  // The provider rejects a nonce on a plain OAuth 2.0 request (scope without openid).
  if (scope.split(' ').includes('openid')) auth.searchParams.set('nonce', b64url(randomBytes(16)));

  let url = auth.href;
  let res = await request(url);
  for (let step = 0; step < 20; step += 1) {
    if (res.status >= 300 && res.status < 400) {
      const location = new URL(res.headers.get('location'), url);
      if (location.href.startsWith(redirectUri)) {
        const params = location.searchParams;
        if (params.get('error')) fail(`authorization: ${params.get('error')}: ${params.get('error_description')}`);
        if (params.get('state') !== state) fail('authorization: state mismatch');
        return exchange(discovery, params.get('code'), verifier);
      }
      url = location.href;
      res = await request(url);
    } else if (res.status === 200) {
      const form = parseForm(await res.text(), url);
      if (!form) fail(`no form on ${url}`);
      if (form.fields.get('prompt') === 'login') {
        form.fields.set('login', account);
        form.fields.set('password', 'any');
      }
      url = form.action.href;
      res = await request(url, { method: 'POST', body: form.fields });
    } else {
      fail(`${url}: HTTP ${res.status}: ${(await res.text()).slice(0, 500)}`);
    }
  }
  return fail('too many redirects');
}

async function exchange(discovery, code, verifier) {
  const basic = Buffer.from(
    `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`,
  ).toString('base64');
  const res = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}` },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    }),
  });
  const body = await res.json();
  if (!res.ok) fail(`token: HTTP ${res.status}: ${JSON.stringify(body)}`);
  const { access_token, token_type, scope: granted, expires_in } = body;
  process.stdout.write(`${JSON.stringify({ access_token, token_type, scope: granted, expires_in })}\n`);
}

main().catch((err) => fail(err.stack || String(err)));
