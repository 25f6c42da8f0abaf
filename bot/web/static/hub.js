// Rewrites each server-rendered UTC time (<time datetime data-local>) into the visitor's own time zone,
// in the page's language. Without JavaScript the UTC text stays, readable as it is.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var format;
  try {
    format = new Intl.DateTimeFormat(lang, {
      weekday: "long", year: "numeric", month: "long", day: "numeric",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    });
  } catch (e) {
    return;
  }
  document.querySelectorAll("time[data-local]").forEach(function (node) {
    var moment = new Date(node.getAttribute("datetime"));
    if (isNaN(moment.getTime())) return;
    node.title = node.textContent;
    node.textContent = format.format(moment);
  });
})();
