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
  document.addEventListener("htmx:configRequest", function (evt) {
    if (evt.detail.verb === "get") return;
    var elt = evt.detail.elt;
    if (!elt.dataset.commandId) elt.dataset.commandId = newId();
    evt.detail.parameters["command_id"] = elt.dataset.commandId;
  });

  document.addEventListener("htmx:afterRequest", function (evt) {
    var xhr = evt.detail.xhr;
    if (!xhr || xhr.status === 0) return; // no answer: keep the id for the retry
    delete evt.detail.elt.dataset.commandId;
    var form = evt.detail.elt.closest("form");
    if (form && evt.detail.successful && form.hasAttribute("data-reset")) form.reset();
  });

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
    status.textContent = row ? "● 勤務中: " + row.dataset.post : "○ 勤務していません";
  }

  document.addEventListener("htmx:wsAfterMessage", function () {
    showMyDuty();
    var el = document.getElementById("live-connection");
    if (el && el.dataset.state !== "open") showConnection("open", "●", "接続中(リアルタイム更新)");
  });
})();
