// Loopback OpenID Connect provider for the Rust integration tests.
// Prints exactly one stdout line, `listening http://127.0.0.1:<port>`, then runs until killed.
import http from 'node:http';

import Provider, { errors } from 'oidc-provider';

// oidc-provider prints its "you SHOULD change this default" notices with console.info (stdout),
// some lazily on the first request; stdout is reserved for the one line the tests parse.
console.info = console.error;
console.log = console.error;

const env = (name, fallback) => process.env[name] || fallback;
const clientId = env('OIDC_CLIENT_ID', 'concierge-test');
const clientSecret = env('OIDC_CLIENT_SECRET', 'concierge-test-secret');
const redirectUri = env('OIDC_REDIRECT_URI', 'http://127.0.0.1/callback');
const accessTokenTtl = Number(env('OIDC_ACCESS_TOKEN_TTL', '3600'));

const accounts = {
  ada: {
    sub: 'ada',
    email: 'ada@example.com',
    email_verified: true,
    name: 'Ada Lovelace',
    phone_number: '+44 20 7946 0000',
  },
  bob: {
    sub: 'bob',
    email: 'bob@example.com',
    email_verified: false,
    name: 'Bob',
  },
};

const client = {
  client_secret: clientSecret,
  redirect_uris: [redirectUri],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
};

const configuration = {
  clients: [
    // v9 has one auth method per client for token, introspection and revocation alike, and a
    // client registered for either client_secret_basic or client_secret_post accepts both.
    { ...client, client_id: clientId, token_endpoint_auth_method: 'client_secret_basic' },
    // A second confidential client: the registered-post variant, and an "other client" for
    // tests of cross-client introspection (allowed) and revocation (rejected).
    { ...client, client_id: `${clientId}-post`, token_endpoint_auth_method: 'client_secret_post' },
  ],
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    // The provider filters these down to what the granted scopes allow.
    return { accountId: id, claims: async () => ({ ...claims }) };
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    phone: ['phone_number', 'phone_number_verified'],
  },
  // Scopes without claims must be listed here or they are silently dropped from the request.
  scopes: ['openid', 'offline_access', 'chat:read', 'chat:write'],
  features: {
    devInteractions: { enabled: true },
    introspection: {
      enabled: true,
      // Like a resource server: any authenticated client may introspect any token.
      allowedPolicy: async () => true,
    },
    revocation: {
      enabled: true,
      // The library default, spelled out: only the client the token was issued to may revoke it.
      allowedPolicy: async (ctx, client, token) => {
        if (token.clientId !== client.clientId) {
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        }
        return true;
      },
    },
    userinfo: { enabled: true },
  },
  // Default 15 s: userinfo would keep accepting a token that introspection already calls inactive.
  clockTolerance: 0,
  // Error pages as JSON, so a failing driver or test can print something readable.
  async renderError(ctx, out) {
    ctx.type = 'json';
    ctx.body = out;
  },
  ttl: {
    AccessToken: accessTokenTtl,
    AuthorizationCode: 60,
    Grant: 14 * 24 * 60 * 60,
    IdToken: 60 * 60,
    Interaction: 60 * 60,
    RefreshToken: 14 * 24 * 60 * 60,
    Session: 14 * 24 * 60 * 60,
  },
};

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  // The issuer needs the port, so the provider is built after the socket is bound.
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, configuration);
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  server.on('request', provider.callback());
  process.stdout.write(`listening ${issuer}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
