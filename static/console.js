// The console's only script: command ids, resume on reconnect, connection status, resets.
(function () {
  "use strict";

  function newId() {
    return (crypto.randomUUID && crypto.randomUUID()) ||
      (Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12));
  }

  // Every state-changing request carries a command id. It stays the same while the request
  // is pending or failed without an answer (so a retry or a double click appends one event)
  // and is renewed once the server has answered.
  // The id is kept only for the very same request (same element, same values).
  document.addEventListener("htmx:configRequest", function (evt) {
    if (evt.detail.verb === "get") return;
    var elt = evt.detail.elt;
    var pairs = Array.from(evt.detail.formData || []).filter(function (p) {
      return p[0] !== "command_id";
    });
    var values = JSON.stringify([evt.detail.path, pairs]);
    if (!elt.dataset.commandId || elt.dataset.commandValues !== values) {
      elt.dataset.commandId = newId();
      elt.dataset.commandValues = values;
    }
    evt.detail.parameters["command_id"] = elt.dataset.commandId;
  });

  document.addEventListener("htmx:afterRequest", function (evt) {
    var xhr = evt.detail.xhr;
    if (!xhr || xhr.status === 0) return; // no answer: keep the id for the retry
    delete evt.detail.elt.dataset.commandId;
    var form = evt.detail.elt.closest("form");
    if (form && evt.detail.successful && form.hasAttribute("data-reset")) form.reset();
  });

  // Open flags show how long they have waited: "12分経過", refreshed every 20 seconds.
  function showAges() {
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var minutes = Math.max(0, Math.floor((Date.now() - Date.parse(el.dataset.since)) / 60000));
      el.textContent = minutes < 1 ? "1分未満" : minutes + "分経過";
    });
  }
  setInterval(showAges, 20000);
  document.addEventListener("DOMContentLoaded", showAges);

  function lastSeq() {
    var marker = document.getElementById("live-seq");
    return marker ? parseInt(marker.dataset.seq || "0", 10) : 0;
  }

  function showConnection(state, icon, text) {
    var el = document.getElementById("live-connection");
    if (!el) return;
    el.dataset.state = state;
    el.querySelector("[aria-hidden]").textContent = icon;
    el.querySelector(".text").textContent = text;
  }

  document.addEventListener("htmx:wsOpen", function (evt) {
    evt.detail.socketWrapper.send(JSON.stringify({ resume: lastSeq() }));
    showConnection("open", "●", "接続中(リアルタイム更新)");
  });

  document.addEventListener("htmx:wsClose", function () {
    showConnection("closed", "⚠", "接続が切れました。自動で再接続します…");
  });

  // The staff panel is rendered once per role; this line is the only per-person part.
  function showMyDuty() {
    var status = document.getElementById("my-duty-status");
    var me = document.body.dataset.staffId;
    if (!status || !me) return;
    var row = document.querySelector('#staff-panel li[data-staff-id="' + me + '"] .post');
    status.replaceChildren();
    var icon = document.createElement("span");
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = row ? "● " : "○ ";
    status.append(icon, row ? "勤務中: " + row.dataset.post : "勤務していません");
  }

  // Live updates replace rows; keep the row a keyboard user was in open and focused.
  var kept = null;
  document.addEventListener("htmx:wsBeforeMessage", function () {
    var active = document.activeElement;
    var row = active && active.closest && active.closest("li.person");
    kept = {
      open: Array.from(document.querySelectorAll("li.person details[open]")).map(function (d) {
        return d.closest("li.person").id;
      }),
      row: row ? row.id : null,
      key: row ? [active.tagName, active.name || "", active.value || ""].join("|") : null,
    };
  });

  function restoreRows() {
    if (!kept) return;
    kept.open.forEach(function (id) {
      var details = document.querySelector("#" + id + " details");
      if (details) details.open = true;
    });
    var row = kept.row && document.getElementById(kept.row);
    if (row && !row.contains(document.activeElement)) {
      var target = Array.from(row.querySelectorAll("summary, button")).find(function (el) {
        return [el.tagName, el.name || "", el.value || ""].join("|") === kept.key;
      }) || row.querySelector("summary");
      if (target) target.focus();
    }
    kept = null;
  }

  document.addEventListener("htmx:wsAfterMessage", function () {
    restoreRows();
    showAges();
    showMyDuty();
    var el = document.getElementById("live-connection");
    if (el && el.dataset.state !== "open") showConnection("open", "●", "接続中(リアルタイム更新)");
  });
})();
