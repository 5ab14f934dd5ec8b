// Sign-in with the Cognito user pool (InitiateAuth, USER_PASSWORD_AUTH over TLS in AWS;
// the emulator's pool locally). The tokens live in this module's memory only: never in
// localStorage, sessionStorage or a cookie. A reload or a closed tab signs the user out;
// the session also ends when the ID token expires. No cookies means no CSRF.

let config = null;
let session = null;
let expiryTimer = null;
const listeners = new Set();

export function configure(value) {
  config = value;
}

export function currentSession() {
  return session;
}

export function onSessionChange(listener) {
  listeners.add(listener);
}

function notify(reason) {
  for (const listener of listeners) listener(session, reason);
}

async function cognito(action, body) {
  const answer = await fetch(config.cognito_endpoint, {
    method: "POST",
    cache: "no-store",
    credentials: "omit",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}`,
    },
    body: JSON.stringify(body),
  });
  const data = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    throw new Error(data.message || data.__type || `HTTP ${answer.status}`);
  }
  return data;
}

/** Starts a sign-in; answers {done: true} or {challenge, session, username} to respond to. */
export async function signIn(email, password) {
  const data = await cognito("InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    ClientId: config.cognito_client_id,
    AuthParameters: {USERNAME: email, PASSWORD: password},
  });
  return finish(data, email);
}

/** Answers a challenge: a new password (first sign-in) or an authenticator code (MFA). */
export async function respond(challenge, username, cognitoSession, value) {
  const responses = {USERNAME: username};
  if (challenge === "NEW_PASSWORD_REQUIRED") responses.NEW_PASSWORD = value;
  else if (challenge === "SOFTWARE_TOKEN_MFA") responses.SOFTWARE_TOKEN_MFA_CODE = value;
  else throw new Error(`unsupported challenge ${challenge}`);
  const data = await cognito("RespondToAuthChallenge", {
    ChallengeName: challenge,
    ClientId: config.cognito_client_id,
    Session: cognitoSession,
    ChallengeResponses: responses,
  });
  return finish(data, username);
}

function finish(data, username) {
  if (data.ChallengeName) {
    return {challenge: data.ChallengeName, session: data.Session, username};
  }
  const result = data.AuthenticationResult || {};
  const claims = decodeClaims(result.IdToken);
  session = {
    idToken: result.IdToken,
    email: claims.email || username,
    roles: (claims["cognito:groups"] || []).filter((g) => ["sales", "marketing", "admin"].includes(g)),
    expiresAt: (claims.exp || 0) * 1000,
  };
  clearTimeout(expiryTimer);
  expiryTimer = setTimeout(() => signOut("expired"), Math.max(0, session.expiresAt - Date.now()));
  notify("signed-in");
  return {done: true};
}

function decodeClaims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(
      Array.from(atob(part), (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join(""),
    );
    return JSON.parse(json);
  } catch {
    return {};
  }
}

/** Forget the session and everything shown with it. reason: "user" or "expired". */
export function signOut(reason = "user") {
  session = null;
  clearTimeout(expiryTimer);
  notify(reason);
}

export function hasRole(...roles) {
  return Boolean(session && session.roles.some((role) => roles.includes(role)));
}
