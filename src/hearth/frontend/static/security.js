// The Security Center (hearth.frontend.security_center): logs in like any client, then fills the
// page from WebSocket commands. Every value goes in as text (textContent), never as HTML.
"use strict";

(() => {
  const PAGE = "/hearth/security";
  const STORE = "hearthSecurityTokens";
  const origin = window.location.origin;
  const clientId = origin + "/";
  const status = document.getElementById("status");

  const say = (text) => { status.textContent = text; };

  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "text") { node.textContent = value; } else { node.setAttribute(name, value); }
    }
    for (const child of children) {
      if (child !== null && child !== undefined) {
        node.append(typeof child === "string" ? document.createTextNode(child) : child);
      }
    }
    return node;
  };

  const when = (iso) => (iso ? new Date(iso).toLocaleString() : "—");

  // ---- tokens: the dashboard's when framed by it, ours (this tab only) or a fresh login ----

  const postToken = async (fields) => {
    const response = await fetch("/auth/token", {
      method: "POST",
      body: new URLSearchParams({ client_id: clientId, ...fields }),
    });
    if (!response.ok) { throw new Error("token " + response.status); }
    const data = await response.json();
    data.expires = Date.now() + data.expires_in * 1000;
    return data;
  };

  const login = () => {
    const state = crypto.getRandomValues(new Uint32Array(2)).join("-");
    sessionStorage.setItem(STORE + "State", state);
    const query = new URLSearchParams({
      response_type: "code",
      client_id: clientId,
      redirect_uri: origin + PAGE + "?auth_callback=1",
      state,
    });
    window.location.assign("/auth/authorize?" + query.toString());
    return new Promise(() => {});
  };

  const fromDashboard = async () => {
    try {
      if (window.parent === window || !window.parent.hassConnection) { return null; }
      const { auth } = await window.parent.hassConnection;
      if (auth.expired) { await auth.refreshAccessToken(); }
      return auth.accessToken;
    } catch (err) {
      return null;
    }
  };

  const accessToken = async () => {
    const framed = await fromDashboard();
    if (framed) { return framed; }
    const query = new URLSearchParams(window.location.search);
    if (query.has("code")) {
      const expected = sessionStorage.getItem(STORE + "State");
      window.history.replaceState(null, "", PAGE);
      if (expected && query.get("state") === expected) {
        const tokens = await postToken({ grant_type: "authorization_code", code: query.get("code") });
        sessionStorage.setItem(STORE, JSON.stringify(tokens));
      }
    }
    let tokens = JSON.parse(sessionStorage.getItem(STORE) || "null");
    if (tokens && tokens.expires < Date.now() + 20000) {
      try {
        const fresh = await postToken({ grant_type: "refresh_token", refresh_token: tokens.refresh_token });
        fresh.refresh_token = tokens.refresh_token;
        tokens = fresh;
        sessionStorage.setItem(STORE, JSON.stringify(tokens));
      } catch (err) {
        tokens = null;
      }
    }
    if (!tokens) {
      sessionStorage.removeItem(STORE);
      return login();
    }
    return tokens.access_token;
  };

  // ---- the WebSocket ----

  const connect = (token) => new Promise((resolve, reject) => {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + window.location.host + "/api/websocket");
    const pending = new Map();
    let next = 1;
    const call = (type, params) => new Promise((done, fail) => {
      const id = next++;
      pending.set(id, [done, fail]);
      socket.send(JSON.stringify({ id, type, ...(params || {}) }));
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "auth_required") {
        socket.send(JSON.stringify({ type: "auth", access_token: token }));
      } else if (message.type === "auth_ok") {
        resolve(call);
      } else if (message.type === "auth_invalid") {
        reject(new Error("auth_invalid"));
      } else if (message.type === "result" && pending.has(message.id)) {
        const [done, fail] = pending.get(message.id);
        pending.delete(message.id);
        if (message.success) { done(message.result); } else { fail(message.error); }
      }
    });
    socket.addEventListener("close", () => {
      say("Disconnected from the hub (the session may have been revoked). Reload to continue.");
      document.body.dataset.state = "closed";
      for (const [, fail] of pending.values()) { fail({ message: "disconnected" }); }
      reject(new Error("closed"));
    });
  });

  // ---- sections ----

  const body = (name) => document.querySelector(`[data-body="${name}"]`);
  const fill = (name, ...nodes) => { body(name).replaceChildren(...nodes); };
  const table = (caption, headings, rows) => el(
    "table", {},
    el("caption", { text: caption }),
    el("thead", {}, el("tr", {}, ...headings.map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, ...rows),
  );
  const button = (label, action, attrs) => {
    const node = el("button", { type: "button", ...(attrs || {}) }, label);
    node.addEventListener("click", async () => {
      node.disabled = true;
      try { await action(); } catch (err) { say("Failed: " + (err.message || err)); }
      node.disabled = false;
    });
    return node;
  };

  const ackControls = (call, finding) => {
    if (finding.acknowledged) {
      const ack = finding.acknowledged;
      return el("p", { class: "ack" },
        `Acknowledged by ${ack.by} on ${when(ack.at)}: ${ack.reason} `,
        button("Count it again", async () => {
          await call("hearth/check/unacknowledge", { rule_id: finding.id });
          await renderCheck(call);
        }, { "aria-label": `Count "${finding.title}" again` }));
    }
    if (finding.severity === "info") { return null; }
    const id = "ack-" + finding.id.replace(/[^a-z_]/g, "-");
    const form = el("form", { class: "ack-form", "data-rule": finding.id },
      el("label", { for: id, text: "Accept this finding because…" }),
      el("input", { id, name: "reason", type: "text", maxlength: "500", required: "" }),
      el("button", { type: "submit" }, "Acknowledge"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await call("hearth/check/acknowledge", { rule_id: finding.id, reason: form.elements.reason.value });
        await renderCheck(call);
      } catch (err) { say("Failed: " + (err.message || err)); }
    });
    return form;
  };

  const renderCheck = async (call) => {
    fill("check", el("p", { text: "Checking…" }));
    const report = await call("hearth/check");
    const findings = report.findings.map((finding) => el(
      "li", { class: finding.acknowledged ? "acknowledged" : finding.severity, "data-rule": finding.id },
      el("strong", { text: `${finding.severity.toUpperCase()}: ${finding.title}` }),
      el("p", { text: finding.detail }),
      el("p", {}, el("em", { text: "Fix: " }), finding.fix),
      ackControls(call, finding),
    ));
    const summary = report.summary;
    fill(
      "check",
      el("p", {}, "Grade ", el("span", { class: "grade", "data-grade": report.grade, text: report.grade })),
      el("p", { text: `${summary.fail} failures, ${summary.warn} warnings, ${summary.info} notes`
        + " (acknowledged findings are not counted)." }),
      button("Check again", () => renderCheck(call), { id: "check-again" }),
      findings.length ? el("ul", { class: "findings" }, ...findings) : el("p", { class: "empty", text: "Nothing to fix." }),
    );
  };

  const renderSignins = async (call) => {
    const data = await call("hearth/signins");
    const image = el("img", {
      class: "chart",
      alt: `Logins per hour over 7 days: ${data.successful} successful, ${data.failed} failed.`,
      src: "data:image/svg+xml;base64," + btoa(data.svg),
    });
    const list = (caption, items, key) => (items.length
      ? table(caption, [key === "ip" ? "Address" : "Username", "Failed logins"],
        items.map((item) => el("tr", {}, el("td", { text: item[key] }), el("td", { text: String(item.count) }))))
      : null);
    fill(
      "signins",
      el("p", { text: `${data.successful} successful and ${data.failed} failed logins in 7 days.` }),
      el("div", { class: "chart-box" }, image),
      list("Addresses with the most failed logins", data.top_addresses, "ip"),
      list("Usernames tried most (unknown ones are shown hashed)", data.top_usernames, "username"),
    );
  };

  const renderAllow = async (call) => {
    const list = await call("ban/allow/list");
    const rows = [
      ...list.configured.map((network) => el("tr", {}, el("td", { text: network }),
        el("td", { text: "configuration.yaml" }), el("td", {}))),
      ...list.stored.map((entry) => el("tr", { "data-network": entry.network },
        el("td", { text: entry.network }),
        el("td", { text: `added by ${entry.by} on ${when(entry.at)}` }),
        el("td", {}, button("Remove", async () => {
          await call("ban/allow/remove", { network: entry.network });
          await renderAllow(call);
        }, { "aria-label": `Remove ${entry.network} from the allow-list` })))),
    ];
    fill("allow", rows.length
      ? table("Never banned", ["Address or network", "From", ""], rows)
      : el("p", { class: "empty", text: "Nothing is on the allow-list." }));
  };

  const wireAllow = (call) => {
    const form = document.getElementById("allow-form");
    const box = document.getElementById("allow-confirm-box");
    onSubmit(form, async () => {
      try {
        const entry = await call("ban/allow/add", {
          network: form.elements.network.value.trim(),
          confirm_public: form.elements.confirm_public.checked,
        });
        form.reset();
        box.hidden = true;
        result(form, `${entry.network} is never banned now. Unban it below if it is banned.`);
        await renderAllow(call);
      } catch (err) {
        if (err.code === "confirm_public") { box.hidden = false; }
        throw err;
      }
    });
  };

  const renderBans = async (call) => {
    const bans = await call("ban/list");
    const rows = bans.map((ban) => el(
      "tr", { "data-ip": ban.ip },
      el("td", { text: ban.ip }),
      el("td", { text: ban.reason || ban.source || "" }),
      el("td", { text: when(ban.banned_at) }),
      el("td", { text: ban.expires_at ? when(ban.expires_at) : "never" }),
      el("td", { text: String(ban.offences) }),
      el("td", {}, button("Unban", async () => {
        await call("ban/remove", { ip: ban.ip });
        say(`Unbanned ${ban.ip}.`);
        await renderBans(call);
      }, { "aria-label": `Unban ${ban.ip}` })),
    ));
    fill("bans", rows.length
      ? table("Current bans", ["Address", "Reason", "Banned", "Expires", "Count", ""], rows)
      : el("p", { class: "empty", text: "No address is banned." }));
  };

  const tokenRows = (tokens, revoke) => tokens.map((token) => el(
    "tr", { "data-token": token.id, class: token.is_current ? "current" : "" },
    el("td", {}, token.client_name || token.client_id || "—", token.is_current ? " (this page)" : ""),
    el("td", { text: token.type === "long_lived_access_token" ? "long-lived token" : "login" }),
    el("td", { text: when(token.created_at) }),
    el("td", { text: when(token.last_used_at) }),
    el("td", { text: token.last_used_ip || "—" }),
    el("td", {}, button("Revoke", () => revoke(token), {
      "aria-label": `Revoke ${token.client_name || token.client_id || "token"}`,
    })),
  ));
  const TOKEN_HEADINGS = ["Client", "Kind", "Created", "Last used", "Address", ""];

  const renderSessions = async (call) => {
    const users = await call("hearth/tokens/list");
    const parts = users.map((user) => {
      const label = user.username || user.name;
      const revoke = async (token) => {
        await call("hearth/tokens/revoke", { token_id: token.id });
        say(`Revoked a token of ${label}.`);
        if (!token.is_current) { await renderSessions(call); }
      };
      return el(
        "div", { class: "user-tokens", "data-user": label },
        user.tokens.length
          ? table(`${label}: ${user.tokens.length} tokens`, TOKEN_HEADINGS, tokenRows(user.tokens, revoke))
          : el("p", { class: "empty", text: `${label}: no tokens.` }),
        user.tokens.length ? button(`Revoke all of ${label}'s`, async () => {
          const result = await call("hearth/tokens/revoke", { user_id: user.user_id });
          say(`Revoked ${result.revoked} tokens of ${label}.`);
          await renderSessions(call);
        }) : null,
      );
    });
    fill("sessions", ...parts);
  };

  const renderUsers = async (call) => {
    const state = await call("hearth/users/security");
    const rows = state.users.map((user) => el(
      "tr", { "data-user": user.username },
      el("td", {}, user.username, user.name && user.name !== user.username ? ` (${user.name})` : ""),
      el("td", { text: (user.is_owner ? "owner" : user.is_admin ? "administrator" : "user")
        + (user.is_active ? "" : ", deactivated") }),
      el("td", { text: user.mfa ? "on" : "off" }),
      el("td", {}, when(user.password_set_at),
        user.password_policy_version !== null && user.password_policy_version < state.password_policy_version
          ? " (older policy: ask for a new password)" : ""),
      el("td", { text: when(user.last_login) }),
    ));
    const policy = state.mfa_required || "admins, once one administrator has MFA (default)";
    const choices = [
      ["", "As in configuration.yaml"], ["admins", "Administrators"], ["all", "Everyone"],
      ["remote", "Everyone logging in from outside the home"], ["none", "Nobody (not advised)"],
    ];
    const select = el("select", { id: "mfa-policy", name: "policy" },
      ...choices.map(([value, label]) => el("option", { value }, label)));
    select.value = state.mfa_required_source === "security_center" ? state.mfa_required : "";
    const form = el("form", { id: "mfa-policy-form" },
      el("label", { for: "mfa-policy", text: "Require two-step verification for" }), select,
      el("button", { type: "submit" }, "Apply"),
      el("p", { class: "note", text: "Anyone who must use it and has not set it up is led "
        + "through the setup at their next login: nobody is locked out." }),
      el("p", { class: "result", role: "status" }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await call("hearth/mfa/require", { policy: select.value || null });
        await renderUsers(call);
        document.getElementById("mfa-policy").focus();
      } catch (err) { result(form, err.message || String(err)); }
    });
    fill(
      "users",
      table("Users", ["User", "Role", "MFA", "Password set", "Last login"], rows),
      el("p", {}, "Who must use MFA now: ", el("strong", { id: "mfa-effective", text: policy }),
        state.mfa_required_source === "security_center" ? " (set here)" : " (from configuration.yaml)"),
      form,
    );
  };

  // ---- the audit log: filter, then export what the filter found ----

  let auditEntries = [];
  const AUDIT_FIELDS = ["at", "event", "username", "user_id", "ip", "user_agent", "details"];
  const csvCell = (value) => {
    let text = value === null || value === undefined ? ""
      : typeof value === "object" ? JSON.stringify(value) : String(value);
    // A spreadsheet would run a cell starting with one of these as a formula.
    if (/^[=+\-@\t\r]/.test(text)) { text = "'" + text; }
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const download = (name, type, text) => {
    let link = document.getElementById("audit-download");
    if (!link) {
      link = el("a", { id: "audit-download", hidden: "" });
      document.body.append(link);
    }
    link.setAttribute("download", name);
    link.setAttribute("href", `data:${type};charset=utf-8,` + encodeURIComponent(text));
    link.click();
  };

  const renderAudit = async (call) => {
    const form = document.getElementById("audit-filter");
    const params = { limit: 1000 };
    for (const name of ["user", "event", "ip", "since"]) {
      const value = form.elements[name].value.trim();
      if (value) { params[name] = value; }
    }
    auditEntries = await call("audit/log", params);
    const rows = auditEntries.slice(0, 200).map((entry) => el(
      "tr", { "data-event": entry.event },
      el("td", { text: when(entry.at) }),
      el("td", { text: entry.event }),
      el("td", { text: entry.username || "—" }),
      el("td", { text: entry.ip || "—" }),
      el("td", { text: Object.keys(entry.details).length ? JSON.stringify(entry.details) : "" }),
    ));
    fill("audit", auditEntries.length
      ? table(`${auditEntries.length} entries${auditEntries.length > 200 ? " (the newest 200 shown; the export has all)" : ""}`,
        ["When", "Event", "User", "Address", "Details"], rows)
      : el("p", { class: "empty", text: "No entries match." }));
  };

  const wireAudit = (call) => {
    const form = document.getElementById("audit-filter");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      renderAudit(call).catch((err) => {
        fill("audit", el("p", { class: "error", role: "alert", text: err.message || String(err) }));
      });
    });
    document.getElementById("audit-csv").addEventListener("click", () => {
      const lines = [AUDIT_FIELDS.join(",")].concat(
        auditEntries.map((entry) => AUDIT_FIELDS.map((name) => csvCell(entry[name])).join(",")));
      download("hearth-audit.csv", "text/csv", lines.join("\r\n") + "\r\n");
    });
    document.getElementById("audit-jsonl").addEventListener("click", () => {
      const lines = auditEntries.map((entry) => JSON.stringify(entry));
      download("hearth-audit.jsonl", "application/x-ndjson", lines.join("\n") + "\n");
    });
  };

  const renderMine = async (call) => {
    const tokens = await call("auth/refresh_tokens");
    const revoke = async (token) => {
      await call("auth/delete_refresh_token", { refresh_token_id: token.id });
      say("Revoked.");
      if (!token.is_current) { await renderMine(call); }
    };
    fill("mine", tokens.length
      ? table("Your sessions and tokens", TOKEN_HEADINGS, tokenRows(tokens, revoke))
      : el("p", { class: "empty", text: "No sessions." }));
  };

  // ---- my security: password, two-step verification, a new token ----

  const result = (form, text) => { form.querySelector(".result").textContent = text; };
  const onSubmit = (form, action) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const submit = form.querySelector("button[type=submit]");
      submit.disabled = true;
      try { await action(); } catch (err) { result(form, err.message || String(err)); }
      submit.disabled = false;
    });
  };

  const wirePassword = (call) => {
    const form = document.getElementById("password-form");
    const strength = document.getElementById("strength");
    let timer = null;
    let asked = 0;
    form.elements.new.addEventListener("input", () => {
      clearTimeout(timer);
      const candidate = form.elements.new.value;
      if (!candidate) { return; }
      // Debounced: one request once typing pauses, and only the latest answer counts.
      timer = setTimeout(async () => {
        const mine = ++asked;
        const verdict = await call("hearth/password/strength", { password: candidate });
        if (mine === asked) {
          strength.textContent = verdict.message;
          strength.dataset.acceptable = String(verdict.acceptable);
        }
      }, 400);
    });
    onSubmit(form, async () => {
      const done = await call("config/auth_provider/homeassistant/change_password", {
        current_password: form.elements.current.value,
        new_password: form.elements.new.value,
      });
      form.reset();
      result(form, `Password changed. ${done.revoked_tokens} other sessions and tokens were signed out.`);
    });
  };

  const showCodes = (codes) => {
    document.getElementById("recovery-codes").replaceChildren(
      ...codes.map((code) => el("li", {}, el("code", { text: code }))));
    document.getElementById("recovery").hidden = false;
  };

  const renderMfa = async (call) => {
    const status = await call("auth/mfa_status");
    const on = status.mfa_modules[0].enabled;
    document.getElementById("mfa-state").textContent = on
      ? `On since ${when(status.enabled_at)}; ${status.recovery_codes_left} recovery codes left.`
      : "Off: a stolen password is enough to log in as you.";
    document.getElementById("mfa-start").hidden = on;
    document.getElementById("mfa-codes").hidden = !on;
    document.getElementById("mfa-remove").hidden = !on;
    document.getElementById("mfa").dataset.enabled = String(on);
  };

  const wireMfa = (call) => {
    const box = document.getElementById("mfa");
    const say2 = (text) => { box.querySelector(".result").textContent = text; };
    const setup = document.getElementById("mfa-setup");
    let flowId = null;
    document.getElementById("mfa-start").addEventListener("click", async () => {
      try {
        const form = await call("auth/setup_mfa", { mfa_module_id: "totp" });
        flowId = form.flow_id;
        const info = form.description_placeholders;
        document.getElementById("totp-secret").textContent = info.code;
        document.getElementById("mfa-qr").src = "data:image/svg+xml;base64," + btoa(info.qr_code);
        setup.hidden = false;
        document.getElementById("mfa-start").hidden = true;
        setup.elements["setup-code"].focus();
      } catch (err) { say2(err.message || String(err)); }
    });
    setup.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const answer = await call("auth/setup_mfa", {
          flow_id: flowId, user_input: { code: setup.elements["setup-code"].value.trim() },
        });
        if (answer.type !== "create_entry") { say2("That code is not valid; try the current one."); return; }
        setup.hidden = true;
        setup.reset();
        showCodes(answer.data.recovery_codes);
        say2("Two-step verification is on.");
        await renderMfa(call);
      } catch (err) { say2(err.message || String(err)); }
    });
    const codesForm = document.getElementById("mfa-codes");
    codesForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const answer = await call("auth/regenerate_recovery_codes", { code: codesForm.elements["codes-code"].value.trim() });
        codesForm.reset();
        showCodes(answer.recovery_codes);
        say2("New recovery codes; the old ones no longer work.");
        await renderMfa(call);
      } catch (err) { say2(err.message || String(err)); }
    });
    const removeForm = document.getElementById("mfa-remove");
    removeForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await call("auth/depose_mfa", { mfa_module_id: "totp", code: removeForm.elements["remove-code"].value.trim() });
        removeForm.reset();
        document.getElementById("recovery").hidden = true;
        say2("Two-step verification is off.");
        await renderMfa(call);
      } catch (err) { say2(err.message || String(err)); }
    });
  };

  const wireToken = (call) => {
    const form = document.getElementById("token-form");
    const value = document.getElementById("token-value");
    onSubmit(form, async () => {
      const token = await call("auth/long_lived_access_token", {
        client_name: form.elements["token-name"].value.trim(),
        lifespan: Number(form.elements.days.value),
      });
      value.value = token;
      document.getElementById("token-shown").hidden = false;
      result(form, "Token created. Copy it now: it is not shown again.");
      value.focus();
      value.select();
      await renderMine(call);
    });
    document.getElementById("token-copy").addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(value.value);
        result(form, "Copied.");
      } catch (err) {
        value.select();
        result(form, "Select the token and copy it (Ctrl+C).");
      }
    });
  };

  const start = async () => {
    let call;
    try {
      call = await connect(await accessToken());
    } catch (err) {
      if (err.message === "auth_invalid") { sessionStorage.removeItem(STORE); login(); }
      return;
    }
    const user = await call("auth/current_user");
    const admin = user.is_admin;
    for (const node of document.querySelectorAll("[data-admin]")) { node.hidden = !admin; }
    say(`Signed in as ${user.name}${admin ? " (administrator)" : ""}.`);
    wirePassword(call);
    wireMfa(call);
    wireToken(call);
    const sections = [["mine", async () => { await renderMine(call); await renderMfa(call); }]];
    if (admin) {
      sections.unshift(
        ["check", renderCheck], ["signins", renderSignins], ["bans", renderBans], ["allow", renderAllow], ["sessions", renderSessions],
        ["users", renderUsers], ["audit", renderAudit],
      );
      wireAudit(call);
      wireAllow(call);
    }
    await Promise.all(sections.map(async ([name, render]) => {
      try { await render(call); } catch (err) {
        fill(name, el("p", { class: "error", role: "alert", text: err.message || String(err) }));
      }
    }));
    document.body.dataset.state = "ready";
  };

  start();
})();
