// Independent JWT / identity-hash producer for Concierge's Rust tests.
// Protocol: one JSON request on stdin, one JSON answer on stdout (see README.md).
// Everything here is stock library calls, so a token that our server accepts
// proves interoperability with real third-party implementations, not with itself.
import { createHmac } from "node:crypto";
import { text } from "node:stream/consumers";
import {
  SignJWT,
  exportJWK,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  importPKCS8,
} from "jose";
import jwt from "jsonwebtoken";

const ASYMMETRIC = ["RS256", "ES256", "EdDSA"];
const HMAC = ["HS256", "HS384", "HS512"];

async function keys({ alg, kid }) {
  if (!ASYMMETRIC.includes(alg)) throw new Error(`keys: unsupported alg ${alg}`);
  // extractable so the private half can be handed to the other libraries as PEM.
  const options = { extractable: true, ...(alg === "EdDSA" && { crv: "Ed25519" }) };
  const { publicKey, privateKey } = await generateKeyPair(alg, options);
  const jwk = { ...(await exportJWK(publicKey)), alg, use: "sig" };
  if (kid !== undefined) jwk.kid = kid;
  return {
    private_pem: await exportPKCS8(privateKey),
    public_pem: await exportSPKI(publicKey),
    jwk,
  };
}

async function signJose({ alg, key, key_bytes_from, kid, claims, header }) {
  let secret;
  if (key_bytes_from !== undefined) {
    // Algorithm-confusion attack: an HMAC keyed with the bytes of a public PEM.
    if (!HMAC.includes(alg)) throw new Error("key_bytes_from needs an HS* alg");
    secret = new TextEncoder().encode(key_bytes_from);
  } else if (HMAC.includes(alg)) {
    secret = new TextEncoder().encode(key);
  } else if (ASYMMETRIC.includes(alg)) {
    secret = await importPKCS8(key, alg);
  } else {
    throw new Error(`sign: unsupported alg ${alg}`);
  }
  const protectedHeader = { alg, ...(kid !== undefined && { kid }), typ: "JWT", ...header };
  // SignJWT adds no iat/exp unless asked, so the claims go out exactly as given.
  return new SignJWT(claims).setProtectedHeader(protectedHeader).sign(secret);
}

function signJsonwebtoken({ alg, key, kid, claims, header }) {
  if (![...HMAC, "RS256", "ES256"].includes(alg)) {
    throw new Error(`jsonwebtoken does not support alg ${alg}`);
  }
  // noTimestamp deletes a given iat too, so it is only asked for when there is none.
  const options = { algorithm: alg, noTimestamp: claims.iat === undefined, header: { ...header } };
  // jsonwebtoken rejects an explicit `keyid: undefined`, so only set it when given.
  if (kid !== undefined) options.keyid = kid;
  return jwt.sign(claims, key, options);
}

async function sign(request) {
  if (request.key_bytes_from !== undefined && request.lib !== "jose") {
    throw new Error("key_bytes_from is only supported with lib jose");
  }
  if (request.key === undefined && request.key_bytes_from === undefined) {
    throw new Error("sign: missing key");
  }
  const args = { ...request, claims: request.claims ?? {}, header: request.header ?? {} };
  switch (request.lib) {
    case "jose":
      return { token: await signJose(args) };
    case "jsonwebtoken":
      return { token: signJsonwebtoken(args) };
    default:
      throw new Error(`sign: unknown lib ${request.lib}`);
  }
}

function hmac({ secret, message }) {
  if (typeof secret !== "string" || typeof message !== "string") {
    throw new Error("hmac: secret and message must be strings");
  }
  return { hash: createHmac("sha256", secret).update(message, "utf8").digest("hex") };
}

const OPS = { keys, sign, hmac };

try {
  const request = JSON.parse(await text(process.stdin));
  const op = OPS[request.op];
  if (!op) throw new Error(`unknown op ${JSON.stringify(request.op)}`);
  process.stdout.write(JSON.stringify(await op(request)) + "\n");
} catch (error) {
  process.stderr.write(`sign.mjs: ${error.message}\n`);
  process.exit(1);
}
