/* Notifications: times in the browser's zone, the number unread, and marking one or all
   read through the API (PATCH a notification, POST …/read/). */
(function () {
  "use strict";
  const {api, showError, formatDateTime} = window.Page;
  const BASE = "/api/v1/notifications/notification/";

  document.querySelectorAll("#notifications time").forEach(function (time) {
    time.textContent = formatDateTime(time.getAttribute("datetime"));
  });

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

  countUnread();
})();
