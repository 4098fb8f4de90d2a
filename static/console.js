// The console's only script: command ids, morphing live updates, resume and staleness,
// cues, tabs and confirmations. No inline script anywhere (the CSP allows 'self' only).
(function () {
  "use strict";

  var me = document.body.dataset.staffId || "";

  function newId() {
    return (crypto.randomUUID && crypto.randomUUID()) ||
      (Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12));
  }

  // --- Command ids --------------------------------------------------------------------------
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

  // While a form's request is pending, all its buttons are disabled, not only the first one
  // (hx-disabled-elt="find button"): a double click on 「記録を完成」 beside 「下書き保存」 sends
  // one request.
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var form = evt.detail.elt.closest("form");
    if (!form) return;
    form.querySelectorAll("button:not([disabled])").forEach(function (b) {
      b.disabled = true;
      b.dataset.busy = "1";
    });
  });

  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = evt.detail.elt.closest("form");
    if (form) {
      form.querySelectorAll("button[data-busy]").forEach(function (b) {
        b.disabled = false;
        delete b.dataset.busy;
      });
    }
    var xhr = evt.detail.xhr;
    if (!xhr || xhr.status === 0) return; // no answer: keep the id for the retry
    delete evt.detail.elt.dataset.commandId;
    if (form && evt.detail.successful && form.hasAttribute("data-reset")) form.reset();
    // A page that shows what a command changed but gets no live frames reloads itself once
    // the command succeeded (data-refresh, or the server's HX-Refresh), and says what was done.
    // (htmx leaves `successful` unset when it follows HX-Refresh: the status says it.)
    var refresh = form && form.hasAttribute("data-refresh");
    var ok = xhr.status >= 200 && xhr.status < 300;
    if (ok && (refresh || xhr.getResponseHeader("HX-Refresh") === "true")) {
      try { sessionStorage.setItem("console-result", xhr.responseText); } catch (e) { /* off */ }
      if (refresh) location.reload();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var said = null;
    try {
      said = sessionStorage.getItem("console-result");
      sessionStorage.removeItem("console-result");
    } catch (e) { /* storage off: the page itself shows the new state */ }
    var region = document.getElementById("command-result");
    if (said && region) region.innerHTML = said;
  });

  // --- Morphing -----------------------------------------------------------------------------
  // Live frames swap panels with hx-swap-oob="morph": idiomorph changes only what differs, so
  // the elements a person works in stay. What the person set is theirs: an opened <details>,
  // a field they typed in, a box they ticked, an option they chose; the morph leaves those
  // alone (a successful command resets its form, `data-reset`). The command id kept on a
  // pending form survives too.
  function edited(el) {
    if (el instanceof HTMLInputElement) {
      if (el.type === "hidden") return false;
      if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
      return el.value !== el.defaultValue;
    }
    if (el instanceof HTMLTextAreaElement) return el.value !== el.defaultValue;
    if (el instanceof HTMLSelectElement) {
      // A single select with no `selected` option shows its first one: that is no choice yet.
      var chosen = -1;
      Array.from(el.options).forEach(function (o, i) { if (o.defaultSelected) chosen = i; });
      return el.selectedIndex !== Math.max(chosen, 0);
    }
    return false;
  }

  function keepsAttribute(name, el) {
    if (name === "open" && el.tagName === "DETAILS") return true;
    if (name.indexOf("data-command-") === 0) return true;
    if (name === "value" || name === "checked") return edited(el);
    if (name === "selected" && el.tagName === "OPTION") {
      var select = el.closest("select");
      return Boolean(select && edited(select));
    }
    return false;
  }

  Idiomorph.defaults.callbacks.beforeAttributeUpdated = function (name, el) {
    return keepsAttribute(name, el) ? false : undefined;
  };

  // A participant who changes space: their row moves to the end of the other list, as
  // itself (moveBefore keeps focus; appendChild would drop it, so focus is put back).
  function moveRow(list, fragment) {
    var row = fragment.firstElementChild;
    if (!row) return [];
    var old = document.getElementById(row.id);
    if (!old) {
      list.appendChild(row);
      return [row];
    }
    var active = old.contains(document.activeElement) ? document.activeElement : null;
    if (list.moveBefore) list.moveBefore(old, null);
    else list.appendChild(old);
    Idiomorph.morph(old, row, { morphStyle: "outerHTML" });
    if (active && document.activeElement !== active && old.contains(active)) {
      active.focus({ preventScroll: true });
    }
    return [old];
  }

  // idiomorph's own htmx extension claims every swap style as "inline" (idiomorph#148), which
  // nests the wrappers of our beforeend/afterbegin swaps; this one claims only its own styles.
  htmx.defineExtension("morph", {
    isInlineSwap: function (style) { return style === "morph"; },
    handleSwap: function (style, target, fragment) {
      if (style === "morph") return Idiomorph.morph(target, fragment.children, { morphStyle: "outerHTML" });
      if (style === "move") return moveRow(target, fragment);
      return false;
    },
  });

  // --- Ages ---------------------------------------------------------------------------------
  // Open flags show how long they have waited: "12分経過", refreshed every 20 seconds.
  function showAges() {
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var minutes = Math.max(0, Math.floor((Date.now() - Date.parse(el.dataset.since)) / 60000));
      el.textContent = minutes < 1 ? "1分未満" : minutes + "分経過";
    });
  }
  setInterval(showAges, 20000);
  document.addEventListener("DOMContentLoaded", showAges);

  // --- The live connection: resume, heartbeats, staleness -----------------------------------
  // The server sends something (at least a heartbeat) every `data-heartbeat-seconds`. Silence
  // for one interval and a half means one heartbeat is missing: "unstable". Two and a half:
  // the socket is dead even if the browser still calls it open; it is replaced, and the new
  // one resumes from the last seq like any reconnect.
  var live = document.querySelector(".live[data-heartbeat-seconds]");
  var beatMs = live ? parseFloat(live.dataset.heartbeatSeconds) * 1000 : 0;
  var wrapper = null; // the ws extension's socket wrapper (send, reconnect)
  var socket = null; // the WebSocket currently in use
  var lastHeard = 0;
  var connection = "connecting";
  var RECONNECTING_CODES = [1006, 1011, 1012, 1013];

  if (window.htmx && htmx.createWebSocket) {
    var makeSocket = htmx.createWebSocket;
    // One socket at a time: a reconnect started here and the extension's own back-off timer
    // must never leave two sockets delivering the same frames.
    htmx.createWebSocket = function (url) {
      if (socket && socket.readyState <= WebSocket.OPEN) socket.close();
      socket = makeSocket(url);
      return socket;
    };
  }

  function lastSeq() {
    var marker = document.getElementById("live-seq");
    return marker ? parseInt(marker.dataset.seq || "0", 10) : 0;
  }

  function clock(ms) {
    return new Date(ms).toLocaleTimeString("ja-JP", { timeZone: "Asia/Tokyo", hour12: false });
  }

  var STATES = {
    open: ["●", "接続中(リアルタイム更新)"],
    unstable: ["⚠", "接続が不安定です"],
    reconnecting: ["⟳", "再接続中…"],
    closed: ["⚠", "接続が切れました。再接続中…"],
    ended: ["■", "接続が終了しました。画面を再読み込みしてください"],
  };

  function showConnection(state) {
    var el = document.getElementById("live-connection");
    connection = state;
    if (!el) return;
    var text = STATES[state][1];
    if (state !== "open" && lastHeard) text += "(最終更新 " + clock(lastHeard) + ")";
    if (el.dataset.state === state && el.querySelector(".text").textContent === text) return;
    el.dataset.state = state;
    el.querySelector("[aria-hidden]").textContent = STATES[state][0];
    el.querySelector(".text").textContent = text;
    if (live) live.dataset.connection = state;
  }

  function heard() {
    lastHeard = Date.now();
    if (connection !== "open") showConnection("open");
  }

  document.addEventListener("htmx:wsOpen", function (evt) {
    wrapper = evt.detail.socketWrapper;
    wrapper.send(JSON.stringify({ resume: lastSeq() }));
    heard();
  });

  document.addEventListener("htmx:wsClose", function (evt) {
    var closed = evt.detail.event;
    if (socket && closed && closed.target && closed.target !== socket) return; // a replaced one
    showConnection(RECONNECTING_CODES.indexOf(closed && closed.code) >= 0 ? "closed" : "ended");
  });

  function checkSilence() {
    if (!beatMs || !lastHeard || connection === "ended" || connection === "closed") return;
    var silent = Date.now() - lastHeard;
    if (silent > 2.5 * beatMs) {
      if (connection !== "reconnecting" && wrapper) {
        showConnection("reconnecting");
        wrapper.reconnect();
      }
    } else if (silent > 1.5 * beatMs) {
      if (connection === "open") showConnection("unstable");
    }
  }
  if (beatMs) setInterval(checkSilence, Math.max(200, Math.min(1000, beatMs / 4)));
  // Back on the network: try at once rather than after the extension's growing back-off.
  window.addEventListener("online", function () {
    if (wrapper && connection !== "open" && connection !== "ended") wrapper.reconnect();
  });

  // --- Cues: the spoken line, the sound, the tab title ---------------------------------------
  var soundKey = "console.sound." + me;
  var audio = null;

  function soundOn() {
    try { return localStorage.getItem(soundKey) === "on"; } catch (e) { return false; }
  }

  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    audio = audio || new Context();
    if (audio.state === "suspended") audio.resume();
    var tone = audio.createOscillator();
    var gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.value = 0.08;
    tone.connect(gain);
    gain.connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.18);
  }

  document.addEventListener("change", function (evt) {
    if (!evt.target.matches("[data-sound-cue]")) return;
    try { localStorage.setItem(soundKey, evt.target.checked ? "on" : "off"); } catch (e) { /* private mode */ }
    if (evt.target.checked) beep(); // a sample, and the gesture that lets audio play
  });

  // A person's own actions are answered in the status region; their cue would say it twice.
  document.addEventListener("htmx:oobBeforeSwap", function (evt) {
    if (evt.detail.target.id !== "live-announce") return;
    var cues = Array.from(evt.detail.fragment.children || []);
    cues.forEach(function (c) { if (me && c.dataset.actor === me) c.remove(); });
    var loud = cues.some(function (c) {
      return c.parentNode && (c.dataset.cue === "flag" || c.dataset.cue === "consult");
    });
    if (loud && soundOn()) beep();
  });

  function trimCues() {
    var region = document.getElementById("live-announce");
    while (region && region.children.length > 5) region.firstElementChild.remove();
  }

  var baseTitle = document.title.replace(/^\(通報\d+件\) /, "");
  function showFlagCount() {
    var panel = document.getElementById("moderation-panel");
    var count = panel && panel.dataset.openFlags ? parseInt(panel.dataset.openFlags, 10) : 0;
    document.title = (count ? "(通報" + count + "件) " : "") + baseTitle;
  }

  // --- The person's own duty line ------------------------------------------------------------
  // The staff panel is rendered once per role; this line is the only per-person part.
  function showMyDuty() {
    var status = document.getElementById("my-duty-status");
    if (!status || !me) return;
    var row = document.querySelector('#staff-panel li[data-staff-id="' + me + '"] .post');
    status.replaceChildren();
    var icon = document.createElement("span");
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = row ? "● " : "○ ";
    status.append(icon, row ? "勤務中: " + row.dataset.post : "勤務していません");
  }

  document.addEventListener("htmx:wsBeforeMessage", heard);
  document.addEventListener("htmx:wsAfterMessage", function () {
    showAges();
    showMyDuty();
    showFlagCount();
    trimCues();
  });

  // --- Tabs: timeline, staff channel, duty and entries, reports ------------------------------
  // Arrow keys move between tabs; Alt + the letter on a tab opens it from anywhere (one
  // keystroke). The open tab is remembered on this device, per staff member.
  var tabKey = "console.tab." + me;

  function selectTab(tab, focus) {
    var list = tab.closest("[role=tablist]");
    list.querySelectorAll("[role=tab]").forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      var pane = document.getElementById(t.getAttribute("aria-controls"));
      if (pane) pane.hidden = !on;
    });
    if (focus) tab.focus();
    try { localStorage.setItem(tabKey, tab.id); } catch (e) { /* private mode */ }
  }

  // The menu's 「その他」 closes on a click elsewhere, and on Escape (focus back on it).
  function closeMore(except) {
    document.querySelectorAll("details.more[open]").forEach(function (d) {
      if (d !== except) d.open = false;
    });
  }

  document.addEventListener("click", function (evt) {
    closeMore(evt.target.closest && evt.target.closest("details.more"));
    var tab = evt.target.closest && evt.target.closest("[role=tab]");
    if (tab) selectTab(tab, true);
    var answer = evt.target.closest && evt.target.closest("#confirm-dialog [data-answer]");
    if (answer) answer.closest("dialog").close(answer.dataset.answer);
  });

  // Focus moving out of it (Tab past its last entry) closes it too.
  document.addEventListener("focusin", function (evt) {
    closeMore(evt.target.closest && evt.target.closest("details.more"));
  });

  document.addEventListener("keydown", function (evt) {
    var more = evt.key === "Escape" && document.querySelector("details.more[open]");
    if (more) {
      var inside = more.contains(document.activeElement);
      more.open = false;
      if (inside) more.querySelector("summary").focus();
      return;
    }
    if (evt.altKey && !evt.ctrlKey && !evt.metaKey && !evt.shiftKey) {
      var target = document.querySelector('[role=tab][data-shortcut="' + evt.code + '"]');
      if (target) {
        evt.preventDefault();
        selectTab(target, true);
      }
      return;
    }
    var tab = evt.target.closest && evt.target.closest("[role=tab]");
    if (!tab) return;
    var tabs = Array.from(tab.closest("[role=tablist]").querySelectorAll("[role=tab]"));
    var i = tabs.indexOf(tab);
    var next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[evt.key];
    if (next === undefined) return;
    evt.preventDefault();
    selectTab(tabs[(next + tabs.length) % tabs.length], true);
  });

  document.addEventListener("DOMContentLoaded", function () {
    var saved = null;
    try { saved = localStorage.getItem(tabKey); } catch (e) { /* private mode */ }
    var tab = saved && document.getElementById(saved);
    if (tab && tab.getAttribute("role") === "tab") selectTab(tab, false);
    var sound = document.querySelector("[data-sound-cue]");
    if (sound) sound.checked = soundOn();
  });

  // --- Confirmations ------------------------------------------------------------------------
  // An action that needs a reason before its planned time (data-reason-before) asks for the
  // reason first, not after the person confirmed something irreversible (the server checks
  // it again).
  function reasonMissing(source) {
    var before = source.dataset.reasonBefore;
    var field = source.form && source.form.querySelector("[name=reason]");
    if (!before || !field || field.value.trim() || Date.now() >= Date.parse(before)) return false;
    var region = document.getElementById("command-result");
    if (region) {
      var p = document.createElement("p");
      p.className = "message error";
      p.setAttribute("role", "alert");
      p.textContent = "⚠ " + source.dataset.reasonMessage;
      region.replaceChildren(p);
    }
    field.setAttribute("aria-invalid", "true");
    field.addEventListener("input", function () { field.removeAttribute("aria-invalid"); }, { once: true });
    field.focus();
    return true;
  }

  // hx-confirm asks in a <dialog> instead of window.confirm: it names the participant and the
  // consequence, opens on "やめる" (the safe answer), Escape cancels, and focus returns to
  // the button that asked.
  document.addEventListener("htmx:confirm", function (evt) {
    if (!evt.detail.question) return;
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog || !dialog.showModal) return; // window.confirm as before
    evt.preventDefault();
    var source = evt.detail.elt.closest("[hx-confirm]") || evt.detail.elt;
    if (reasonMissing(source)) return;
    var text = evt.detail.question;
    if (source.hasAttribute("data-confirm-present")) {
      var status = document.getElementById("meetup-status");
      if (status) text += "(現在の在室: " + status.dataset.present + "名)";
    }
    dialog.querySelector("#confirm-title").textContent = source.dataset.confirmTitle || "確認";
    dialog.querySelector("#confirm-text").textContent = text;
    dialog.querySelector('[data-answer="yes"]').textContent = source.dataset.confirmYes || "実行する";
    dialog.returnValue = "";
    dialog.addEventListener("close", function () {
      if (dialog.returnValue === "yes") evt.detail.issueRequest(true);
    }, { once: true });
    dialog.showModal();
  });
})();
