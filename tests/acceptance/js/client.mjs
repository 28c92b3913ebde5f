// Drives a running Hearth hub with the unmodified home-assistant-js-websocket client.
// Usage: HEARTH_TOKEN=<token> node client.mjs <http://host:port>
// (URL also from HEARTH_URL; the token is read from the environment so it never shows in `ps`).
// Prints one JSON line to stdout: {"ok": true, ...} and exits 0, or {"ok": false, "error": ...}
// and exits 1. The whole run is bounded by HEARTH_TIMEOUT_MS (default 20 s).
import { WebSocket } from "ws";
import {
  callService,
  createConnection,
  createLongLivedTokenAuth,
  getConfig,
  getServices,
  getStates,
  getUser,
  subscribeEntities,
} from "home-assistant-js-websocket";

// Node 20 has no global WebSocket; the library uses whatever globalThis provides.
globalThis.WebSocket = WebSocket;

const LIGHT = "light.demo_light_1";
const BRIGHTNESS = 128;

const url = process.argv[2] ?? process.env.HEARTH_URL;
const token = process.env.HEARTH_TOKEN ?? process.argv[3];
const timeoutMs = Number(process.env.HEARTH_TIMEOUT_MS ?? 20000);

let conn;

function finish(code, payload) {
  process.stdout.write(`${JSON.stringify(payload)}\n`);
  if (conn) {
    conn.close();
  }
  process.exit(code);
}

const LIB_ERRORS = {
  1: "cannot connect",
  2: "invalid auth",
  3: "connection lost",
  4: "hass host required",
};

function fail(error) {
  let detail;
  if (error instanceof Error) detail = error.message;
  else if (typeof error === "number") detail = LIB_ERRORS[error] ?? `library error ${error}`;
  else if (typeof error === "string") detail = error;
  else detail = JSON.stringify(error);
  finish(1, { ok: false, error: detail });
}

// Resolves with the first value `check` returns that is not undefined, fed by `subscribe`.
function waitFor(what, subscribe, check, ms = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    subscribe((value) => {
      const found = check(value);
      if (found !== undefined) {
        clearTimeout(timer);
        resolve(found);
      }
    });
  });
}

async function main() {
  if (!url || !token) {
    throw new Error("usage: HEARTH_TOKEN=<token> node client.mjs <url>");
  }
  const auth = createLongLivedTokenAuth(url, token);
  conn = await createConnection({ auth, setupRetry: 0 });

  const user = await getUser(conn);
  const config = await getConfig(conn);
  const states = await getStates(conn);
  const services = await getServices(conn);
  if (!states.some((s) => s.entity_id === LIGHT)) {
    throw new Error(`${LIGHT} missing from get_states`);
  }
  if (!services.light || !services.light.turn_on) {
    throw new Error("light.turn_on missing from get_services");
  }

  // Raw state_changed events for the light, and the entity store kept by subscribeEntities.
  const stateChangedListeners = [];
  const unsubEvents = await conn.subscribeEvents((event) => {
    if (event.data && event.data.entity_id === LIGHT) {
      for (const listener of stateChangedListeners) listener(event);
    }
  }, "state_changed");
  const entityListeners = [];
  let entities;
  const unsubEntities = subscribeEntities(conn, (ents) => {
    entities = ents;
    for (const listener of entityListeners) listener(ents);
  });
  const onEntities = (listener) => {
    entityListeners.push(listener);
    if (entities) listener(entities);
  };

  await waitFor("initial entities", onEntities, (ents) => (ents[LIGHT] ? true : undefined));

  // Start from "off" so that turning on is guaranteed to be a change.
  await callService(conn, "light", "turn_off", undefined, { entity_id: LIGHT });
  await waitFor("light off", onEntities, (ents) =>
    ents[LIGHT] && ents[LIGHT].state === "off" ? true : undefined,
  );

  const isOn = (s) => s && s.state === "on" && s.attributes.brightness === BRIGHTNESS;
  const eventSeen = waitFor(
    "state_changed event",
    (listener) => stateChangedListeners.push(listener),
    (event) => (isOn(event.data.new_state) ? event : undefined),
  );
  const entitySeen = waitFor("entity update", onEntities, (ents) =>
    isOn(ents[LIGHT]) ? ents[LIGHT] : undefined,
  );
  const result = await callService(
    conn,
    "light",
    "turn_on",
    { brightness: BRIGHTNESS },
    { entity_id: LIGHT },
  );
  const [event, entity] = await Promise.all([eventSeen, entitySeen]);

  unsubEntities();
  await unsubEvents();
  finish(0, {
    ok: true,
    ha_version: conn.haVersion,
    user: { id: user.id, name: user.name, is_admin: user.is_admin },
    location_name: config.location_name,
    state_count: states.length,
    service_domains: Object.keys(services).sort(),
    call_result: result,
    event: {
      event_type: event.event_type,
      origin: event.origin,
      time_fired: event.time_fired,
      context: event.context,
      old_state: event.data.old_state && event.data.old_state.state,
      new_state: event.data.new_state,
    },
    entity: { state: entity.state, attributes: entity.attributes, context: entity.context },
  });
}

setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
main().catch(fail);
