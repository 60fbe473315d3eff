// A real OpenID provider for the portal's OIDC tests: panva's certified `oidc-provider`, with a
// login form that checks a password and a consent page, as an identity provider shows them.
//
//   node server.js CONFIG.json
//
// CONFIG.json: {"port": 0, "clients": [{"client_id", "client_secret", "redirect_uris"}],
//               "users": [{"sub", "email", "password", "name", "orgs"}]}
// Port 0 picks a free one. Once it listens it prints one line, "serving http://127.0.0.1:PORT"
// (the issuer; discovery is at /.well-known/openid-configuration), and serves until it is
// terminated. Signing key and cookie keys are new at every start: nothing is kept on disk.
//
// Scopes: openid (sub), email (email, email_verified), profile (name) and orgs (the `orgs` claim,
// the same [{"id", "name", "role"}] list as the portal's signed handoff).

import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

import Provider from "oidc-provider";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const users = new Map(config.users.map((user) => [user.sub, user]));

function escapeHtml(text) {
  return String(text).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );
}

function page(res, status, title, body) {
  res.statusCode = status;
  res.setHeader("Content-Type", "text/html; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
      `</head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`,
  );
}

function loginForm(res, uid, { email = "", error = "" } = {}) {
  const alert = error ? `<p role="alert">${escapeHtml(error)}</p>` : "";
  page(
    res,
    error ? 401 : 200,
    "Test identity provider: sign in",
    `${alert}<form method="post" action="/interaction/${escapeHtml(uid)}/login">` +
      `<label for="email">Email</label> <input id="email" name="email" type="email" ` +
      `value="${escapeHtml(email)}" required> ` +
      `<label for="password">Password</label> <input id="password" name="password" ` +
      `type="password" required> <button type="submit">Sign in</button></form>`,
  );
}

function consentForm(res, uid, client, scopes) {
  page(
    res,
    200,
    "Test identity provider: allow access",
    `<p>${escapeHtml(client.clientName || client.clientId)} asks for: ` +
      `<span id="scopes">${escapeHtml(scopes.join(" "))}</span>.</p>` +
      `<form method="post" action="/interaction/${escapeHtml(uid)}/confirm">` +
      `<button type="submit">Allow</button></form>` +
      `<form method="post" action="/interaction/${escapeHtml(uid)}/abort">` +
      `<button type="submit">Deny</button></form>`,
  );
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error("form too large");
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

// Listen first: the issuer names the port, which is only known once bound.
const server = createServer();
server.listen(config.port ?? 0, "127.0.0.1", () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: "jwk" }), kid: "test-1", use: "sig", alg: "RS256" };

  const provider = new Provider(issuer, {
    clients: config.clients.map((client) => ({
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
      ...client,
    })),
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name"],
      orgs: ["orgs"],
    },
    scopes: ["openid", "email", "profile", "orgs"],
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, sub) {
      const user = users.get(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        async claims() {
          const claims = {
            sub,
            email: user.email,
            email_verified: user.email_verified ?? true,
            name: user.name,
          };
          // A user configured without orgs gets no orgs claim at all (not an empty list).
          if (user.orgs !== undefined) claims.orgs = user.orgs;
          return claims;
        },
      };
    },
  });
  const providerCallback = provider.callback();

  async function interaction(req, res, uid, action) {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return page(res, 400, "Unknown interaction", "");
    const { prompt, params } = details;
    if (req.method === "GET" && !action) {
      if (prompt.name === "login") return loginForm(res, uid);
      const client = await provider.Client.find(params.client_id);
      return consentForm(res, uid, client, String(params.scope).split(" "));
    }
    if (req.method !== "POST") return page(res, 405, "Method not allowed", "");
    const form = await readForm(req);
    if (action === "login") {
      const email = (form.get("email") || "").trim().toLowerCase();
      const user = [...users.values()].find((candidate) => candidate.email === email);
      if (!user || user.password !== form.get("password")) {
        return loginForm(res, uid, { email, error: "Wrong email or password." });
      }
      return provider.interactionFinished(
        req,
        res,
        { login: { accountId: user.sub } },
        { mergeWithLastSubmission: false },
      );
    }
    if (action === "confirm") {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
      const missing = prompt.details;
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      const grantId = await grant.save();
      return provider.interactionFinished(
        req,
        res,
        { consent: details.grantId ? {} : { grantId } },
        { mergeWithLastSubmission: true },
      );
    }
    if (action === "abort") {
      return provider.interactionFinished(
        req,
        res,
        { error: "access_denied", error_description: "The user denied access." },
        { mergeWithLastSubmission: false },
      );
    }
    return page(res, 404, "Not found", "");
  }

  server.on("request", (req, res) => {
    const match = /^\/interaction\/([\w-]+)(?:\/(login|confirm|abort))?$/.exec(
      new URL(req.url, issuer).pathname,
    );
    if (!match) return providerCallback(req, res);
    interaction(req, res, match[1], match[2]).catch((error) => {
      // An expired or unknown interaction (cookie gone) is the user's to retry, not a crash.
      page(res, 400, "Sign-in could not continue", `<p>${escapeHtml(error.message)}</p>`);
    });
  });
  process.stdout.write(`serving ${issuer}\n`);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
