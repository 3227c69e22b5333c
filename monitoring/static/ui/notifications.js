/* Notifications: times in the browser's zone, the number unread, marking one or all read
   through the API (PATCH a notification, POST …/read/), and the list drawn again when the
   event stream tells of a new one (ui/live.js). */
(function () {
  "use strict";
  const {api, showError, formatDateTime} = window.Page;
  const BASE = "/api/v1/notifications/notification/";

  function showTimes() {
    document.querySelectorAll("#notifications time").forEach(function (time) {
      time.textContent = formatDateTime(time.getAttribute("datetime"));
    });
  }

  function markRow(row) {
    row.classList.remove("unread");
    row.classList.add("read");
    const state = row.querySelector(".state");
    state.replaceChildren(Object.assign(document.createElement("span"), {className: "state-text", textContent: "Read"}));
  }

  async function countUnread() {
    try {
      const answer = await api(BASE + "?unread=true&page_size=1");
      document.getElementById("unread-count").textContent = answer.count + " unread";
      document.getElementById("mark-all-read").disabled = answer.count === 0;
    } catch (error) {
      showError(error.message);
    }
  }

  document.getElementById("notifications").addEventListener("click", async function (event) {
    const button = event.target.closest("button.mark-read");
    if (!button) return;
    const row = button.closest("tr");
    button.disabled = true;
    try {
      const answer = await api(BASE + row.dataset.notification + "/", {method: "PATCH"});
      if (!answer.unread) markRow(row);
      await countUnread();
    } catch (error) {
      button.disabled = false;
      showError(error.message);
    }
  });

  document.getElementById("mark-all-read").addEventListener("click", async function () {
    try {
      await api(BASE + "read/", {method: "POST"});
      document.querySelectorAll("#notifications tr.unread").forEach(markRow);
      await countUnread();
    } catch (error) {
      showError(error.message);
    }
  });

  /* The list as the server draws it now (this page's own URL), in place of the one shown. */
  async function refreshList() {
    const response = await fetch(window.location.href, {headers: {"Accept": "text/html"}, credentials: "same-origin"});
    if (!response.ok) return;
    // The body only: the head's style element bears that answer's nonce, which this page's
    // policy would refuse (and report).
    const html = await response.text();
    const fresh = new DOMParser().parseFromString(html.slice(html.indexOf("<body")), "text/html");
    ["#notifications tbody", "#pagination"].forEach(function (selector) {
      const replacement = fresh.querySelector(selector);
      if (replacement) document.querySelector(selector).replaceWith(document.adoptNode(replacement));
    });
    showTimes();
    await countUnread();
  }

  window.Live.on("notification", window.Live.coalesced(refreshList, 300));
  window.Live.refresh(refreshList);
  showTimes();
  countUnread();
})();
