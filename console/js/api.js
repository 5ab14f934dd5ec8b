// Calls to the Trechter API with the signed-in user's bearer token. Answers are never
// cached (the API sends Cache-Control: no-store too); a 401 ends the session.

import {currentSession, signOut} from "./auth.js";

let apiUrl = "";

export function configureApi(url) {
  apiUrl = url.replace(/\/$/, "");
}

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export async function api(path, {method = "GET", body} = {}) {
  const session = currentSession();
  if (!session) throw new ApiError(401, "not signed in");
  const headers = {Authorization: `Bearer ${session.idToken}`, Accept: "application/json"};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch(apiUrl + path, {
    method,
    headers,
    cache: "no-store",
    credentials: "omit",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (answer.status === 204) return null;
  const data = await answer.json().catch(() => null);
  if (answer.status === 401) {
    signOut("expired");
    throw new ApiError(401, (data && data.message) || "signed out");
  }
  if (!answer.ok) {
    throw new ApiError(answer.status, (data && data.message) || `HTTP ${answer.status}`, data);
  }
  return data;
}
