/* Shared by every page (monitoring/browsable/views.py): the embedded answer, calls to the
   API as any JSON client makes them (session cookie, CSRF header on unsafe methods), health
   statuses, and a small element builder. */
(function () {
  "use strict";

  function parseScript(id) {
    const script = document.getElementById(id);
    return script ? JSON.parse(script.textContent) : null;
  }

  const statuses = {};
  (parseScript("statuses") || []).forEach(function (entry) { statuses[entry.status] = entry; });

  /* el("a", {href: "/x/", class: "y"}, "text", otherNode) */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(function ([name, value]) {
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    });
    children.flat().forEach(function (child) {
      if (child === null || child === undefined) return;
      node.append(child instanceof Node ? child : String(child));
    });
    return node;
  }

  /* The message of an API error body: {"detail": …}, ["…"], or {"field": ["…"]}. */
  function errorMessage(body, status) {
    if (Array.isArray(body)) return body.join(" ");
    if (body && typeof body === "object") {
      if (body.detail) return String(body.detail);
      return Object.entries(body).map(function ([field, messages]) {
        return field + ": " + [].concat(messages).join(" ");
      }).join("; ");
    }
    return "The server answered " + status + ".";
  }

  /* GET (or another method) a JSON answer of the API. */
  async function api(url, options) {
    const method = (options && options.method) || "GET";
    const headers = {"Accept": "application/json"};
    if (method !== "GET") {
      const token = document.querySelector("meta[name=csrf-token]");
      if (token) headers["X-CSRFToken"] = token.content;
      if (options.body !== undefined) headers["Content-Type"] = "application/json";
    }
    const response = await fetch(url, {
      method: method, headers: headers, credentials: "same-origin",
      body: options && options.body !== undefined ? JSON.stringify(options.body) : undefined,
    });
    const text = await response.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (error) { body = null; }
    if (!response.ok) {
      const error = new Error(errorMessage(body, response.status));
      error.status = response.status;
      throw error;
    }
    return body;
  }

  /* Every item of a paginated list, following "next" (at most `limit` pages). */
  async function allPages(url, limit) {
    const items = [];
    let next = url;
    for (let page = 0; next && page < (limit || 20); page += 1) {
      const body = await api(next);
      items.push(...(body.results || body.features || []));
      next = body.next ? new URL(body.next).pathname + new URL(body.next).search : null;
    }
    return items;
  }

  function showError(message) {
    const alert = document.getElementById("alert");
    if (!alert) return;
    alert.textContent = message;
    alert.hidden = !message;
  }

  /* A status as a coloured symbol and its label: colour is never the only sign. */
  function statusBadge(status, large) {
    const entry = statuses[status] || {status: status, label: status, color: "#353c44", symbol: "?"};
    return el("span", {class: "status status-" + entry.status + (large ? " status-large" : ""),
                       "data-status": entry.status},
      el("span", {class: "dot", "aria-hidden": "true", text: entry.symbol}),
      entry.label);
  }

  function formatDateTime(iso) {
    if (!iso) return "";
    const date = new Date(iso);
    return isNaN(date) ? iso : date.toLocaleString(undefined, {dateStyle: "medium", timeStyle: "short"});
  }

  /* Filter forms leave empty fields out of the query: an empty value is not "any". */
  document.querySelectorAll("form[method=get]").forEach(function (form) {
    form.addEventListener("submit", function () {
      Array.prototype.forEach.call(form.elements, function (field) {
        if (field.name && !field.value) field.disabled = true;
      });
    });
  });

  window.Page = {
    document: parseScript("document"), statuses: statuses, el: el, api: api, allPages: allPages,
    showError: showError, statusBadge: statusBadge, formatDateTime: formatDateTime,
  };
})();
