// Hearth's WebAuthn calls (no framework): the passkey buttons of the login page and the
// passkeys page (/auth/passkeys). The hub sends the options as JSON; binary fields travel as
// base64url both ways. All checks happen on the hub.
"use strict";

(() => {
  const toBytes = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(base64 + "===".slice((base64.length + 3) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  };
  const toText = (buffer) => {
    let raw = "";
    for (const byte of new Uint8Array(buffer)) raw += String.fromCharCode(byte);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const descriptors = (list) => (list || []).map((d) => ({ ...d, id: toBytes(d.id) }));

  const requestOptions = (json) => ({
    ...json,
    challenge: toBytes(json.challenge),
    allowCredentials: descriptors(json.allowCredentials),
  });
  const creationOptions = (json) => ({
    ...json,
    challenge: toBytes(json.challenge),
    user: { ...json.user, id: toBytes(json.user.id) },
    excludeCredentials: descriptors(json.excludeCredentials),
  });

  const assertionJson = (cred) => ({
    id: cred.id,
    rawId: toText(cred.rawId),
    type: cred.type,
    response: {
      clientDataJSON: toText(cred.response.clientDataJSON),
      authenticatorData: toText(cred.response.authenticatorData),
      signature: toText(cred.response.signature),
      userHandle: cred.response.userHandle ? toText(cred.response.userHandle) : null,
    },
    clientExtensionResults: cred.getClientExtensionResults(),
    authenticatorAttachment: cred.authenticatorAttachment || null,
  });
  const attestationJson = (cred) => ({
    id: cred.id,
    rawId: toText(cred.rawId),
    type: cred.type,
    response: {
      clientDataJSON: toText(cred.response.clientDataJSON),
      attestationObject: toText(cred.response.attestationObject),
      transports: cred.response.getTransports ? cred.response.getTransports() : [],
    },
    clientExtensionResults: cred.getClientExtensionResults(),
    authenticatorAttachment: cred.authenticatorAttachment || null,
  });

  // The login page: a form with data-passkey-options; the answer goes into its `passkey` field.
  const loginForms = () => {
    if (!window.PublicKeyCredential) return;
    for (const form of document.querySelectorAll("form[data-passkey-options]")) {
      form.hidden = false;
      form.addEventListener("submit", async (event) => {
        const field = form.querySelector("input[name=passkey]");
        if (field.value) return;
        event.preventDefault();
        const status = form.querySelector(".status");
        try {
          const options = JSON.parse(form.dataset.passkeyOptions);
          const cred = await navigator.credentials.get({ publicKey: requestOptions(options) });
          field.value = JSON.stringify(assertionJson(cred));
          form.submit();
        } catch (err) {
          if (status) status.textContent = "No passkey was used (" + err.name + "). Try again.";
        }
      });
    }
  };

  // The passkeys page: log in through /auth/authorize, keep the token in memory, call the API.
  const page = async (root) => {
    const status = document.getElementById("pk-status");
    const list = document.getElementById("pk-list");
    const add = document.getElementById("pk-add");
    const remove = document.getElementById("pk-remove");
    const origin = window.location.origin;
    const here = origin + "/auth/passkeys";
    const query = new URLSearchParams(window.location.search);
    if (!query.get("code")) {
      const state = toText(crypto.getRandomValues(new Uint8Array(16)));
      sessionStorage.setItem("hearth-passkeys-state", state);
      const login = new URLSearchParams({
        response_type: "code", client_id: origin + "/", redirect_uri: here, state,
      });
      window.location.assign("/auth/authorize?" + login);
      return;
    }
    const expected = sessionStorage.getItem("hearth-passkeys-state");
    sessionStorage.removeItem("hearth-passkeys-state");
    window.history.replaceState(null, "", here);
    if (!expected || query.get("state") !== expected) {
      status.textContent = "This login did not start here. Reload the page.";
      return;
    }
    const token = await fetch("/auth/token", {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "authorization_code", code: query.get("code"), client_id: origin + "/",
      }),
    }).then((r) => (r.ok ? r.json() : null));
    if (!token) {
      status.textContent = "The login failed. Reload the page.";
      return;
    }
    const api = async (method, path, body) => {
      const response = await fetch(path, {
        method,
        headers: { Authorization: "Bearer " + token.access_token, "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(data.message || "The hub refused: " + response.status);
      return data;
    };
    const show = async (message) => {
      const keys = await api("GET", "/api/passkeys");
      list.replaceChildren();
      for (const key of keys) {
        const item = document.createElement("li");
        item.dataset.id = key.id;
        const name = document.createElement("span");
        name.className = "pk-name";
        name.textContent = key.name;
        const used = document.createElement("span");
        used.className = "note";
        used.textContent = key.last_used_at ? " last used " + key.last_used_at.slice(0, 16) : " never used";
        const rename = document.createElement("button");
        rename.type = "button";
        rename.className = "pk-rename";
        rename.textContent = "Rename";
        rename.addEventListener("click", async () => {
          const value = window.prompt("New name", key.name);
          if (value === null) return;
          try { await api("PATCH", "/api/passkeys/" + encodeURIComponent(key.id), { name: value }); await show("Renamed."); }
          catch (err) { status.textContent = err.message; }
        });
        const drop = document.createElement("button");
        drop.type = "button";
        drop.className = "pk-remove";
        drop.textContent = "Remove";
        drop.addEventListener("click", () => {
          document.getElementById("pk-remove-id").value = key.id;
          remove.hidden = false;
          document.getElementById("pk-password").focus();
        });
        item.append(name, used, rename, drop);
        list.append(item);
      }
      status.textContent = message || (keys.length ? "Your passkeys:" : "You have no passkeys yet.");
    };
    add.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const begun = await api("POST", "/api/passkeys/registration", {});
        const cred = await navigator.credentials.create({ publicKey: creationOptions(begun.options) });
        await api("POST", "/api/passkeys", {
          ceremony_id: begun.ceremony_id,
          credential: attestationJson(cred),
          name: document.getElementById("pk-name").value,
        });
        document.getElementById("pk-name").value = "";
        await show("Passkey added.");
      } catch (err) {
        status.textContent = "No passkey was added: " + err.message;
      }
    });
    remove.addEventListener("submit", async (event) => {
      event.preventDefault();
      const password = document.getElementById("pk-password");
      try {
        const id = document.getElementById("pk-remove-id").value;
        await api("DELETE", "/api/passkeys/" + encodeURIComponent(id), { password: password.value });
        remove.hidden = true;
        await show("Passkey removed.");
      } catch (err) {
        status.textContent = err.message;
      } finally {
        password.value = "";
      }
    });
    for (const input of add.querySelectorAll("input")) input.required = false;
    add.hidden = false;
    await show();
  };

  document.addEventListener("DOMContentLoaded", () => {
    loginForms();
    const root = document.getElementById("passkeys");
    if (root) {
      page(root).catch((err) => {
        document.getElementById("pk-status").textContent = err.message;
      });
    }
  });
})();
