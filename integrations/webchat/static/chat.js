// The web chat page: renders the server's transcript, sends what the user types or presses,
// and polls for reminders. It keeps only the language in localStorage: who the visitor is rests
// in an HttpOnly cookie the server issued, which this script never sees.
"use strict";

(() => {
  // The page's words in every language it offers, from the server's message catalogs; the
  // first language is the default.
  const STRINGS = JSON.parse(document.body.dataset.strings);
  const LOCALES = Object.keys(STRINGS);
  const POLL_MS = 5000;
  const RETRIES = [1000, 3000];
  const URL_RE = /(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]])/g;

  const $ = (id) => document.getElementById(id);
  const log = $("log");
  const input = $("msg");
  const form = $("composer");
  const typing = $("typing");
  const status = $("status");
  const langButton = $("lang");

  const storage = (() => {
    const memory = {};
    try {
      window.localStorage.setItem("motcua.probe", "1");
      return window.localStorage;
    } catch (e) {
      return {
        getItem: (k) => (k in memory ? memory[k] : null),
        setItem: (k, v) => {
          memory[k] = String(v);
        },
      };
    }
  })();

  function randomId() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  const stored = storage.getItem("motcua.lang");
  let lang = LOCALES.includes(stored) ? stored : LOCALES[0];
  let cursor = 0;
  let busy = false;
  const seen = new Set();

  function t(key) {
    return STRINGS[lang][key];
  }

  function nextLanguage() {
    return LOCALES[(LOCALES.indexOf(lang) + 1) % LOCALES.length];
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    for (const el of document.querySelectorAll("[data-i18n]")) {
      el.textContent = t(el.dataset.i18n);
    }
    input.placeholder = t("placeholder");
    log.setAttribute("aria-label", t("log"));
    const unread = document.title.startsWith("(1) ") ? "(1) " : "";
    document.title = unread + t("title");
    // The button speaks the language it switches to, so its reader can find it.
    const next = nextLanguage();
    langButton.textContent = STRINGS[next].language;
    langButton.lang = next;
    langButton.setAttribute("aria-label", STRINGS[next].switch);
    const welcome = $("welcome");
    if (welcome) welcome.replaceWith(welcomeNode());
    for (const item of log.querySelectorAll(".msg.bot[data-text]")) {
      const strong = JSON.parse(item.dataset.strong || "[]");
      item.querySelector(".bubble").replaceWith(bubble("bot", item.dataset.text, strong).firstChild);
    }
  }

  function textWithLinks(text) {
    const fragment = document.createDocumentFragment();
    let last = 0;
    for (const match of text.matchAll(URL_RE)) {
      fragment.append(text.slice(last, match.index));
      const a = document.createElement("a");
      a.href = match[0];
      a.textContent = match[0];
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      fragment.append(a);
      last = match.index + match[0].length;
    }
    fragment.append(text.slice(last));
    return fragment;
  }

  // Official wording (procedure and paper names, places) stays Vietnamese in English mode; it is
  // marked lang="vi" so screen readers read it as Vietnamese and translators leave it alone. In
  // a line, it runs from the first word with a Vietnamese letter to the last, and on over the
  // short unaccented syllables after it ("… đăng ký khai sinh").
  const VI_LETTER = /[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]/i;
  const SYLLABLE = /^[a-z]{1,5}[.,;:]?$/;

  function marked(line) {
    const words = line.split(/(\s+)/);
    const vi = words.map((w) => VI_LETTER.test(w));
    const first = vi.indexOf(true);
    if (lang === "vi" || first < 0) return [line];
    let last = vi.lastIndexOf(true);
    while (last + 2 < words.length && SYLLABLE.test(words[last + 2])) last += 2;
    return [
      words.slice(0, first).join(""),
      words.slice(first, last + 1).join(""),
      words.slice(last + 1).join(""),
    ];
  }

  function withLanguage(text) {
    const fragment = document.createDocumentFragment();
    text.split("\n").forEach((line, index) => {
      if (index) fragment.append("\n");
      const [before, vietnamese, after] = marked(line);
      fragment.append(textWithLinks(before));
      if (vietnamese === undefined) return;
      const span = document.createElement("span");
      span.lang = "vi";
      span.append(textWithLinks(vietnamese));
      fragment.append(span, textWithLinks(after));
    });
    return fragment;
  }

  // What a reply marked as mattering most (spans counted in characters, as the server counts
  // them) is shown in <strong>; the text itself is only ever added as text, never as markup.
  function withStrong(text, strong) {
    const chars = Array.from(text);
    const fragment = document.createDocumentFragment();
    let last = 0;
    for (const [start, end] of strong || []) {
      if (start < last) continue;
      fragment.append(withLanguage(chars.slice(last, start).join("")));
      const bold = document.createElement("strong");
      bold.append(withLanguage(chars.slice(start, end).join("")));
      fragment.append(bold);
      last = end;
    }
    fragment.append(withLanguage(chars.slice(last).join("")));
    return fragment;
  }

  function bubble(role, text, strong) {
    const item = document.createElement("div");
    item.className = "msg " + role;
    const who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = (role === "user" ? t("you") : t("name")) + ": ";
    const body = document.createElement("p");
    body.className = "bubble";
    body.append(who, role === "bot" ? withStrong(text, strong) : textWithLinks(text));
    item.append(body);
    return item;
  }

  function buttonGroup(buttons) {
    const group = document.createElement("div");
    group.className = "buttons";
    for (const b of buttons) {
      if (b.url) {
        const a = document.createElement("a");
        a.className = "btn link";
        a.href = b.url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        a.textContent = b.label;
        group.append(a);
      } else if (b.payload) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "btn";
        button.textContent = b.label;
        button.dataset.payload = b.payload;
        group.append(button);
      }
    }
    return group;
  }

  function welcomeNode() {
    const item = bubble("bot", t("welcome"));
    item.id = "welcome";
    const group = document.createElement("div");
    group.className = "buttons";
    for (const example of t("examples")) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn";
      button.textContent = example.label;
      button.dataset.text = example.text;
      group.append(button);
    }
    item.append(group);
    return item;
  }

  function render(entry) {
    if (seen.has(entry.seq)) return null;
    seen.add(entry.seq);
    const item = bubble(entry.role, entry.text, entry.strong);
    item.dataset.seq = String(entry.seq);
    item.dataset.text = entry.text;
    item.dataset.strong = JSON.stringify(entry.strong || []);
    if (entry.buttons.length) item.append(buttonGroup(entry.buttons));
    const later = Array.from(log.children).find(
      (el) => el.dataset.seq && Number(el.dataset.seq) > entry.seq,
    );
    log.insertBefore(item, later || null);
    const welcome = $("welcome");
    if (welcome) welcome.remove();
    return item;
  }

  // Only the buttons of the latest answer can be pressed; older ones are kept as a record. A
  // message that gets no answer (written to the commune staff, who answer later) leaves the
  // latest answer's buttons as they were: "Back to the assistant" must stay in reach.
  function markCurrent() {
    const items = Array.from(log.children);
    let answered = -1;
    let lastUser = -1;
    items.forEach((el, i) => {
      if (el.classList.contains("user")) lastUser = i;
      else if (el.classList.contains("bot") && lastUser >= 0) answered = lastUser;
    });
    items.forEach((el, i) => {
      const old = i < answered;
      el.classList.toggle("old", old);
      for (const b of el.querySelectorAll("button.btn")) b.disabled = old || busy;
    });
  }

  function scrollToEnd() {
    const main = $("main");
    main.scrollTop = main.scrollHeight;
  }

  // Show a new answer from its beginning: a long procedure card must not open at its end.
  function reveal(first) {
    const main = $("main");
    const top =
      main.scrollTop + first.getBoundingClientRect().top - main.getBoundingClientRect().top - 12;
    main.scrollTop = Math.min(top, main.scrollHeight);
  }

  function renderAll(entries) {
    const added = entries.map(render).filter(Boolean);
    markCurrent();
    if (added.length) {
      // The latest answer: the first reply after the user's last message among the new ones.
      const lastUser = added.map((el) => el.classList.contains("user")).lastIndexOf(true);
      reveal(added[lastUser + 1] || added[added.length - 1]);
    }
    return added;
  }

  async function api(path, options) {
    const response = await fetch(path, options);
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
    if (!response.ok) {
      const error = new Error((data && data.error) || response.statusText);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  function setBusy(value) {
    busy = value;
    typing.hidden = !value;
    $("send").disabled = value;
    markCurrent();
    if (value) scrollToEnd();
  }

  async function post(body) {
    const init = {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    };
    for (let attempt = 0; ; attempt++) {
      try {
        return await api("/api/chat", init);
      } catch (error) {
        const retryable = !error.status || error.status >= 500;
        if (!retryable || attempt >= RETRIES.length) throw error;
        await new Promise((resolve) => setTimeout(resolve, RETRIES[attempt]));
      }
    }
  }

  // A paper's photo or PDF goes as the body itself; the server judges it by its bytes.
  async function postFile(file) {
    const query = new URLSearchParams({ name: file.name, locale: lang, id: randomId() });
    return await api("/api/chat/file?" + query, { method: "POST", body: file });
  }

  // After a button press, focus moves to the new answer's first button, so keyboard and
  // screen-reader users continue where the conversation is; after typing it stays in the box.
  async function send(fields, label, viaButton) {
    if (busy) return;
    const pending = bubble("user", label);
    pending.classList.add("pending");
    log.append(pending);
    status.textContent = "";
    setBusy(true);
    let failure = null;
    let answer = null;
    try {
      // The same id on every retry: a message the server already handled is not handled twice.
      answer = await (fields.file
        ? postFile(fields.file)
        : post({ id: randomId(), locale: lang, ...fields }));
    } catch (error) {
      failure = error;
    }
    // The page shows only what the server recorded, so it reads the answer from the history.
    const added = await poll();
    const arrived = added.some((el) => el.classList.contains("user"));
    if (answer && !answer.pending && !arrived && answer.replies.length) {
      // A turn the server kept nothing of: the answer to "delete my data", given once.
      showUnkept(label, answer.replies);
    } else if (answer && !answer.pending) {
      showAsAnswered(added, answer.replies);
    }
    pending.remove();
    if (failure && !arrived) {
      status.textContent = failure.status ? failure.message : t("offline");
      if (fields.text !== undefined && !input.value) input.value = fields.text;
    }
    setBusy(false);
    const next = added.map((el) => el.querySelector("button.btn")).find(Boolean);
    if (viaButton && next) next.focus({ preventScroll: true });
    else input.focus({ preventScroll: true });
  }

  // The history never holds a link code (it is not kept anywhere), so a recorded reply that
  // showed one reads "••• •••". The answer to this very request still carries it: the page
  // shows that reply as it was given, to the one who asked, until the page is reloaded.
  function showAsAnswered(added, replies) {
    const answers = added.filter((el) => el.classList.contains("bot"));
    if (answers.length !== replies.length) return;
    answers.forEach((item, i) => {
      const given = replies[i].text;
      if (item.dataset.text === given) return;
      item.querySelector(".bubble").replaceWith(bubble("bot", given, replies[i].strong).firstChild);
      item.dataset.text = given;
    });
  }

  // Shown as given, after everything else, and gone on the next visit, as on the server.
  function showUnkept(label, replies) {
    log.append(bubble("user", label));
    for (const reply of replies) {
      const item = bubble("bot", reply.text, reply.strong);
      if (reply.buttons.length) item.append(buttonGroup(reply.buttons));
      log.append(item);
    }
    markCurrent();
  }

  async function poll() {
    try {
      const data = await api("/api/history?after=" + cursor);
      const added = renderAll(data.entries);
      cursor = Math.max(cursor, data.last);
      if (added.length && document.hidden && !document.title.startsWith("(1) ")) {
        document.title = "(1) " + document.title;
      }
      return added;
    } catch (e) {
      return [];
    }
  }

  const fileInput = $("file");
  fileInput.addEventListener("change", () => {
    const file = fileInput.files[0];
    fileInput.value = "";
    if (file) send({ file }, "📎 " + file.name, false);
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    send({ text }, text, false);
  });

  log.addEventListener("click", (event) => {
    const button = event.target.closest("button.btn");
    if (!button || button.disabled) return;
    if (button.dataset.payload) {
      // A language chosen in the chat is the page's language too: one choice, two controls.
      const chosen = button.dataset.payload.match(/^lang:(\w+)$/);
      if (chosen && LOCALES.includes(chosen[1])) setLanguage(chosen[1]);
      send({ button: button.dataset.payload }, button.textContent, true);
    } else if (button.dataset.text) {
      send({ text: button.dataset.text }, button.textContent, true);
    }
  });

  function setLanguage(code) {
    lang = code;
    storage.setItem("motcua.lang", lang);
    applyLanguage();
  }

  langButton.addEventListener("click", () => setLanguage(nextLanguage()));

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) {
      document.title = document.title.replace(/^\(1\) /, "");
      poll();
    }
  });
  window.addEventListener("online", poll);

  applyLanguage();
  poll().then(() => {
    if (!log.querySelector("[data-seq]")) log.append(welcomeNode());
    document.body.dataset.ready = "true";
    window.setInterval(() => {
      if (!document.hidden && !busy) poll();
    }, POLL_MS);
  });
})();
