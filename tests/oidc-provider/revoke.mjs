// Revokes a token at provider.mjs's revocation endpoint (RFC 7009) with client_secret_basic.
// Usage: node revoke.mjs <issuer> <token>
const [issuer, token] = process.argv.slice(2);
const clientId = process.env.OIDC_CLIENT_ID || 'concierge-test';
const clientSecret = process.env.OIDC_CLIENT_SECRET || 'concierge-test-secret';

function fail(message) {
  process.stderr.write(`revoke.mjs: ${message}\n`);
  process.exit(1);
}

async function main() {
  if (!issuer || !token) fail('usage: node revoke.mjs <issuer> <token>');

  const discoveryRes = await fetch(new URL('/.well-known/openid-configuration', issuer));
  if (!discoveryRes.ok) fail(`discovery: HTTP ${discoveryRes.status}`);
  const { revocation_endpoint: endpoint } = await discoveryRes.json();

  const basic = Buffer.from(
    `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`,
  ).toString('base64');
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}` },
    body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
  });
  // RFC 7009: 200 with an empty body, also for unknown or already revoked tokens.
  if (res.status !== 200) fail(`revocation: HTTP ${res.status}: ${await res.text()}`);
  process.stdout.write(`${JSON.stringify({ revoked: true })}\n`);
}

main().catch((err) => fail(err.stack || String(err)));
