/* Live updates of the device list, the device page, the dashboard and the notifications
   (docs/events.md). The page's handlers get each event of the stream of the user's
   organizations (EVENTS_URL, an EventSource with the session cookie); when there is no
   stream, while it is down, or when it was refused, the page's refresh functions run every
   PAGES_REFRESH_SECONDS instead. `document.body.dataset.live` says which: "stream",
   "reconnecting" or "refreshing". Also keeps the number of unread notifications beside
   "Notifications" in the navigation. Nothing runs without a logged-in user (the layout
   then leaves the settings out). */
(function () {
  "use strict";
  const {api} = window.Page;
  const TYPES = ["device_status", "notification", "device_created", "device_deactivated", "device_activated"];
  const handlers = Object.fromEntries(TYPES.map((type) => [type, []]));
  const refreshers = [];
  const settings = document.querySelector("meta[name=refresh-seconds]");
  const eventsUrl = (document.querySelector("meta[name=events-url]") || {}).content;
  let timer = null;

  function refreshAll() {
    refreshers.forEach((refresh) => Promise.resolve(refresh()).catch(() => null));
  }

  function startRefreshing() {
    if (timer === null) timer = setInterval(refreshAll, 1000 * Number(settings.content));
  }

  function stopRefreshing() {
    clearInterval(timer);
    timer = null;
  }

  function dispatch(message) {
    let event;
    try { event = JSON.parse(message.data); } catch (error) { return; }
    (handlers[event.type] || []).forEach((handler) => handler(event));
  }

  function connect() {
    if (!eventsUrl || !window.EventSource) {
      document.body.dataset.live = "refreshing";
      startRefreshing();
      return;
    }
    const url = new URL(eventsUrl, window.location.href);
    // The events server on another port or host gets the session cookie only when asked.
    const source = new EventSource(url, {withCredentials: url.origin !== window.location.origin});
    TYPES.forEach((type) => source.addEventListener(type, dispatch));
    source.addEventListener("open", function () {
      document.body.dataset.live = "stream";
      stopRefreshing();
    });
    // The browser reconnects by itself (and is sent what it missed) unless the server refused
    // the stream (CLOSED): refresh meanwhile, or from now on.
    source.addEventListener("error", function () {
      document.body.dataset.live = source.readyState === EventSource.CLOSED ? "refreshing" : "reconnecting";
      startRefreshing();
    });
  }

  /* `task`, at most once per `milliseconds`, however many events ask for it meanwhile. */
  function coalesced(task, milliseconds) {
    let pending = null;
    return function () {
      if (pending === null) pending = setTimeout(function () { pending = null; task(); }, milliseconds);
    };
  }

  const unread = document.getElementById("nav-unread");

  async function countUnread() {
    const answer = await api("/api/v1/notifications/notification/?unread=true&page_size=1");
    unread.textContent = answer.count + " unread";
    unread.hidden = answer.count === 0;
  }

  window.Live = {
    /* handler(event) for each event of `type` from the stream */
    on: (type, handler) => handlers[type].push(handler),
    /* refresh() when the page cannot have the stream */
    refresh: (refresh) => refreshers.push(refresh),
    coalesced: coalesced,
  };
  if (!settings) return;
  if (unread) {
    const recount = coalesced(() => countUnread().catch(() => null), 300);
    window.Live.on("notification", recount);
    window.Live.refresh(countUnread);
    recount();
  }
  connect();
})();
