/* banner.c: what the visitor banner answers with: the script /c.js (its code, kept readable
 * below, and the banner's texts, versions and colours as a JSON object it is called with),
 * and the JSON of a visitor with its answers (GET /v1/visitors/{id}, the access export). */
#include <jansson.h>
#include <string.h>

#include "render/render.h"
#include "util/buf.h"
#include "util/mem.h"
#include "vault/vault.h"

/* The script up to the call's argument: each line of it is one line here. */
static const char banner_js[] =
	"/* samtycke c.js: the visitor banner (docs/banner.md). Sets Google Consent Mode v2 to denied\n"
	" * at once, sends nothing until the visitor answers (or the browser sends Global Privacy\n"
	" * Control, which is a refusal), then records the answer, updates Consent Mode, keeps the\n"
	" * answer in localStorage and says so with the DOM event samtycke:consent. */\n"
	"(function (CFG) {\n"
	"  'use strict';\n"
	"  var w = window, d = document, KEY = 'samtycke';\n"
	"  /* Consent Mode v2, basic mode: every type denied before any tag loads */\n"
	"  w.dataLayer = w.dataLayer || [];\n"
	"  if (typeof w.gtag !== 'function')\n"
	"    w.gtag = function () { w.dataLayer.push(arguments); };\n"
	"  w.gtag('consent', 'default', {ad_storage: 'denied', ad_user_data: 'denied',\n"
	"    ad_personalization: 'denied', analytics_storage: 'denied', wait_for_update: 500});\n"
	"\n"
	"  var base = CFG.base, script = d.currentScript;\n"
	"  try { if (script && script.src) base = new URL(script.src).origin; } catch (e) { /* old */ }\n"
	"  var lang = String(d.documentElement.getAttribute('lang') || 'en').slice(0, 2).toLowerCase();\n"
	"  if (!CFG.texts[lang])\n"
	"    lang = 'en';\n"
	"  var T = CFG.texts[lang], P = T.purposes;\n"
	"  var gpc = w.navigator.globalPrivacyControl === true || CFG.gpc === true;\n"
	"  var token = null, box = null, opener = null, reopen = null, viewed = false;\n"
	"\n"
	"  function load() {\n"
	"    try { return JSON.parse(w.localStorage.getItem(KEY) || 'null'); } catch (e) { return null; }\n"
	"  }\n"
	"  function save(s) {\n"
	"    try { w.localStorage.setItem(KEY, JSON.stringify(s)); } catch (e) { /* private mode */ }\n"
	"  }\n"
	"  /* the stored answer, while the banner it answered is the current one */\n"
	"  function current() {\n"
	"    var s = load();\n"
	"    return s && s.answers && s.lang && CFG.version[s.lang] === s.version ? s : null;\n"
	"  }\n"
	"\n"
	"  /* our purposes to Consent Mode's types (docs/banner.md, \"Google Consent Mode\") */\n"
	"  function mode(a) {\n"
	"    function g(p) { return a[p] ? 'granted' : 'denied'; }\n"
	"    return {analytics_storage: g('ip_tracking'), ad_storage: g('lead_scoring'),\n"
	"      ad_user_data: g('lead_scoring'), ad_personalization: g('lead_scoring')};\n"
	"  }\n"
	"  function announce(s, fresh) {\n"
	"    w.gtag('consent', 'update', mode(s.answers));\n"
	"    var detail = {answers: s.answers, version: s.version, visitor: s.visitor, fresh: fresh};\n"
	"    var ev;\n"
	"    try {\n"
	"      ev = new CustomEvent('samtycke:consent', {detail: detail});\n"
	"    } catch (e) {\n"
	"      ev = d.createEvent('CustomEvent');\n"
	"      ev.initCustomEvent('samtycke:consent', false, false, detail);\n"
	"    }\n"
	"    d.dispatchEvent(ev);\n"
	"  }\n"
	"\n"
	"  function post(path, body) {\n"
	"    return w.fetch(base + path, {method: 'POST', mode: 'cors', credentials: 'omit',\n"
	"      keepalive: true, headers: {'Content-Type': 'text/plain'}, body: JSON.stringify(body)})\n"
	"      .then(function (r) {\n"
	"        return r.json().then(function (j) { if (!r.ok) throw j; return j; });\n"
	"      });\n"
	"  }\n"
	"\n"
	"  /* the page's samtycke forms carry the visitor id, so that a submission carries the answer */\n"
	"  function tagForms(vid) {\n"
	"    var f = d.querySelectorAll('form');\n"
	"    for (var i = 0; i < f.length; i++) {\n"
	"      var a = f[i].getAttribute('action') || '';\n"
	"      if (!f[i].hasAttribute('data-samtycke-form') && a.indexOf(base + '/f/') !== 0)\n"
	"        continue;\n"
	"      var inp = f[i].querySelector('input[name=sk_visitor]');\n"
	"      if (!inp) {\n"
	"        inp = d.createElement('input');\n"
	"        inp.type = 'hidden';\n"
	"        inp.name = 'sk_visitor';\n"
	"        f[i].appendChild(inp);\n"
	"      }\n"
	"      inp.value = vid;\n"
	"    }\n"
	"  }\n"
	"\n"
	"  /* #sk_vt=TOKEN from a tracked mail link: kept in memory, taken out of the address bar */\n"
	"  function readToken() {\n"
	"    var h = w.location.hash, m = /(?:^#|&)sk_vt=([^&]*)/.exec(h);\n"
	"    if (!m)\n"
	"      return;\n"
	"    try { token = decodeURIComponent(m[1]); } catch (e) { return; }\n"
	"    var rest = h.slice(1).split('&').filter(function (x) {\n"
	"      return x.indexOf('sk_vt=') !== 0;\n"
	"    }).join('&');\n"
	"    try {\n"
	"      w.history.replaceState(w.history.state, '',\n"
	"        w.location.pathname + w.location.search + (rest ? '#' + rest : ''));\n"
	"    } catch (e) { /* file: or sandboxed */ }\n"
	"  }\n"
	"  /* the browser is tied to the person only when they gave something */\n"
	"  function identify(s) {\n"
	"    var given = false;\n"
	"    for (var p in s.answers)\n"
	"      if (s.answers[p])\n"
	"        given = true;\n"
	"    if (!token || !s.visitor || !given)\n"
	"      return;\n"
	"    var t = token;\n"
	"    token = null;\n"
	"    post('/v/identify', {visitor: s.visitor, token: t}).catch(function () {});\n"
	"  }\n"
	"\n"
	"  /* POST /t (docs/tracking.md): only under a stored answer that gives ip_tracking or\n"
	"   * lead_scoring; the page without its query (which may hold anything) and the utm_* values\n"
	"   * of the query; text/plain, so no preflight; the answer (204) is not read */\n"
	"  function tracks(s) {\n"
	"    return !!(s && s.visitor && (s.answers.ip_tracking || s.answers.lead_scoring));\n"
	"  }\n"
	"  function send(s, type, name) {\n"
	"    if (!tracks(s))\n"
	"      return false;\n"
	"    var q = null, utm = {}, url = w.location.origin + w.location.pathname;\n"
	"    try { q = new URL(w.location.href).searchParams; } catch (e) { q = null; }\n"
	"    ['source', 'medium', 'campaign', 'term', 'content'].forEach(function (k) {\n"
	"      var v = q && q.get('utm_' + k);\n"
	"      if (v)\n"
	"        utm[k] = v.slice(0, 200);\n"
	"    });\n"
	"    var body = {visitor: s.visitor, type: type, url: url.slice(0, 2000), utm: utm};\n"
	"    if (name)\n"
	"      body.name = String(name).slice(0, 100);\n"
	"    w.fetch(base + '/t', {method: 'POST', mode: 'cors', credentials: 'omit', keepalive: true,\n"
	"      headers: {'Content-Type': 'text/plain'}, body: JSON.stringify(body)})\n"
	"      .catch(function () {});\n"
	"    return true;\n"
	"  }\n"
	"  /* one page view a page load, the first time an answer allows it */\n"
	"  function pageView(s) {\n"
	"    if (!viewed && send(s, 'page_view'))\n"
	"      viewed = true;\n"
	"  }\n"
	"  w.samtycke = w.samtycke || {};\n"
	"  /* a custom event: sent only under the same answer; true when sent */\n"
	"  w.samtycke.track = function (name) {\n"
	"    return !!name && send(current(), 'event', name);\n"
	"  };\n"
	"\n"
	"  function record(answers, signal, again) {\n"
	"    var old = load(), body = {lang: lang, version: CFG.version[lang], signal: signal,\n"
	"      page: (w.location.origin + w.location.pathname).slice(0, 500), choices: answers};\n"
	"    if (old && old.visitor && !again)\n"
	"      body.visitor = old.visitor;\n"
	"    return post('/v/answer', body).then(function (j) {\n"
	"      var s = {visitor: j.visitor, lang: lang, version: CFG.version[lang], answers: answers,\n"
	"        signal: signal, at: new Date().toISOString()};\n"
	"      save(s);\n"
	"      announce(s, true);\n"
	"      tagForms(s.visitor);\n"
	"      identify(s);\n"
	"      pageView(s);\n"
	"      return s;\n"
	"    }, function (e) {\n"
	"      /* a visitor purged since: answer as a new one */\n"
	"      if (!again && body.visitor && e && e.error && e.error.code === 'not_found')\n"
	"        return record(answers, signal, true);\n"
	"      throw e;\n"
	"    });\n"
	"  }\n"
	"\n"
	"  function el(tag, cls, text) {\n"
	"    var e = d.createElement(tag);\n"
	"    if (cls)\n"
	"      e.className = cls;\n"
	"    if (text)\n"
	"      e.textContent = text;\n"
	"    return e;\n"
	"  }\n"
	"  function button(text, fn) {\n"
	"    var b = el('button', null, text);\n"
	"    b.type = 'button';\n"
	"    b.addEventListener('click', fn);\n"
	"    return b;\n"
	"  }\n"
	"  function style() {\n"
	"    var c = CFG.colors, s = el('style');\n"
	"    s.textContent =\n"
	"      '.sk-b{position:fixed;left:1rem;right:1rem;bottom:1rem;max-width:42rem;margin:0 auto;' +\n"
	"      'max-height:calc(100vh - 2rem);overflow:auto;box-sizing:border-box;background:' +\n"
	"      c.background + ';color:' + c.text + ';border:2px solid ' + c.text + ';border-radius:8px;' +\n"
	"      'padding:1rem 1.25rem;font:16px/1.5 system-ui,sans-serif;z-index:2147483646;' +\n"
	"      'box-shadow:0 4px 24px rgba(0,0,0,.3);text-align:left}' +\n"
	"      '.sk-b h2{font-size:1.25rem;line-height:1.3;margin:0 0 .5rem;color:' + c.text + '}' +\n"
	"      '.sk-b p{margin:0 0 .75rem}.sk-b-n{font-size:.9rem}' +\n"
	"      '.sk-b button,.sk-b-open{font:inherit;font-weight:600;padding:.55rem 1rem;' +\n"
	"      'margin:.25rem .5rem .25rem 0;border:2px solid ' + c.primary + ';border-radius:6px;' +\n"
	"      'background:' + c.primary + ';color:' + c.background + ';cursor:pointer;min-width:9rem}' +\n"
	"      '.sk-b-open{position:fixed;left:1rem;bottom:1rem;z-index:2147483645;font:600 14px/1.2 ' +\n"
	"      'system-ui,sans-serif;min-width:0;background:' + c.background + ';color:' + c.primary + '}' +\n"
	"      '.sk-b button:focus-visible,.sk-b input:focus-visible,.sk-b-open:focus-visible,' +\n"
	"      '.sk-b h2:focus-visible{outline:3px solid ' + c.text + ';outline-offset:2px}' +\n"
	"      '.sk-b-p{border-top:1px solid ' + c.text + ';padding:.5rem 0 0;margin:.5rem 0 0}' +\n"
	"      '.sk-b-p label{font-weight:600;margin-left:.4rem}.sk-b [hidden],.sk-b-open[hidden]' +\n"
	"      '{display:none!important}';\n"
	"    d.head.appendChild(s);\n"
	"  }\n"
	"\n"
	"  function close() {\n"
	"    box.hidden = true;\n"
	"    reopen.hidden = false;\n"
	"    if (opener && opener.focus)\n"
	"      opener.focus();\n"
	"    else if (box.contains(d.activeElement))\n"
	"      reopen.focus();\n"
	"  }\n"
	"  function answerWith(a, status) {\n"
	"    status.textContent = '';\n"
	"    record(a, 'click').then(close, function () { status.textContent = T.failed; });\n"
	"  }\n"
	"  function build() {\n"
	"    style();\n"
	"    box = el('div', 'sk-b');\n"
	"    box.setAttribute('role', 'dialog');\n"
	"    box.setAttribute('aria-modal', 'false');\n"
	"    box.setAttribute('aria-labelledby', 'sk-b-t');\n"
	"    box.setAttribute('aria-describedby', 'sk-b-i');\n"
	"    box.setAttribute('lang', lang);\n"
	"    box.hidden = true;\n"
	"    var h = el('h2', null, T.title), intro = el('p', null, T.intro);\n"
	"    h.id = 'sk-b-t';\n"
	"    h.tabIndex = -1;\n"
	"    intro.id = 'sk-b-i';\n"
	"    var group = el('div', 'sk-b-choose'), status = el('p', 'sk-b-s');\n"
	"    group.setAttribute('role', 'group');\n"
	"    group.setAttribute('aria-label', T.choose);\n"
	"    group.hidden = true;\n"
	"    status.setAttribute('role', 'status');\n"
	"    P.forEach(function (p) {\n"
	"      var row = el('div', 'sk-b-p'), cb = el('input'), lab = el('label', null, p.title),\n"
	"        note = el('p', 'sk-b-n', p.notice);\n"
	"      cb.type = 'checkbox';\n"
	"      cb.id = 'sk-b-c-' + p.id;\n"
	"      cb.value = p.id;\n"
	"      lab.htmlFor = cb.id;\n"
	"      note.id = 'sk-b-n-' + p.id;\n"
	"      cb.setAttribute('aria-describedby', note.id);\n"
	"      row.appendChild(cb);\n"
	"      row.appendChild(lab);\n"
	"      row.appendChild(note);\n"
	"      group.appendChild(row);\n"
	"    });\n"
	"    function all(v) {\n"
	"      var a = {};\n"
	"      P.forEach(function (p) { a[p.id] = v; });\n"
	"      return a;\n"
	"    }\n"
	"    var saveBtn = button(T.save, function () {\n"
	"      var a = {};\n"
	"      P.forEach(function (p) { a[p.id] = d.getElementById('sk-b-c-' + p.id).checked; });\n"
	"      answerWith(a, status);\n"
	"    });\n"
	"    saveBtn.hidden = true;\n"
	"    var choose = button(T.choose, function () {\n"
	"      group.hidden = false;\n"
	"      saveBtn.hidden = false;\n"
	"      choose.hidden = true;\n"
	"      var first = group.querySelector('input');\n"
	"      if (first)\n"
	"        first.focus();\n"
	"    });\n"
	"    var btns = el('div', 'sk-b-btns');\n"
	"    btns.appendChild(button(T.accept, function () { answerWith(all(true), status); }));\n"
	"    btns.appendChild(button(T.reject, function () { answerWith(all(false), status); }));\n"
	"    btns.appendChild(choose);\n"
	"    btns.appendChild(saveBtn);\n"
	"    box.appendChild(h);\n"
	"    box.appendChild(intro);\n"
	"    box.appendChild(group);\n"
	"    box.appendChild(status);\n"
	"    box.appendChild(btns);\n"
	"    box.addEventListener('keydown', function (e) {\n"
	"      if (e.key === 'Escape' && current())\n"
	"        close();\n"
	"    });\n"
	"    box._reset = function (s) {\n"
	"      group.hidden = !s;\n"
	"      saveBtn.hidden = !s;\n"
	"      choose.hidden = !!s;\n"
	"      status.textContent = '';\n"
	"      P.forEach(function (p) {\n"
	"        d.getElementById('sk-b-c-' + p.id).checked = !!(s && s.answers[p.id]);\n"
	"      });\n"
	"    };\n"
	"    reopen = el('button', 'sk-b-open', T.reopen);\n"
	"    reopen.type = 'button';\n"
	"    reopen.hidden = true;\n"
	"    reopen.addEventListener('click', function () { open(reopen); });\n"
	"    d.body.insertBefore(reopen, d.body.firstChild);\n"
	"    d.body.insertBefore(box, d.body.firstChild);\n"
	"  }\n"
	"  /* shows the choice; from a reopen link with the stored answer ticked as it was */\n"
	"  function open(from) {\n"
	"    if (!box)\n"
	"      build();\n"
	"    opener = from || null;\n"
	"    box._reset(from ? current() : null);\n"
	"    box.hidden = false;\n"
	"    reopen.hidden = true;\n"
	"    if (from)\n"
	"      d.getElementById('sk-b-t').focus();\n"
	"  }\n"
	"\n"
	"  function start() {\n"
	"    readToken();\n"
	"    d.addEventListener('click', function (e) {\n"
	"      var t = e.target && e.target.closest && e.target.closest('[data-samtycke-open]');\n"
	"      if (t) {\n"
	"        e.preventDefault();\n"
	"        open(t);\n"
	"      }\n"
	"    });\n"
	"    var s = current();\n"
	"    if (s) {\n"
	"      build();\n"
	"      reopen.hidden = false;\n"
	"      announce(s, false);\n"
	"      tagForms(s.visitor);\n"
	"      identify(s);\n"
	"      pageView(s);\n"
	"      return;\n"
	"    }\n"
	"    if (gpc) {\n"
	"      /* Global Privacy Control: a refusal of every purpose, and no dialog */\n"
	"      var a = {};\n"
	"      P.forEach(function (p) { a[p.id] = false; });\n"
	"      build();\n"
	"      record(a, 'gpc').then(function () { reopen.hidden = false; }, function () {});\n"
	"      return;\n"
	"    }\n"
	"    open(null);\n"
	"  }\n"
	"\n"
	"  if (!w.fetch || !w.JSON)\n"
	"    return;\n"
	"  if (d.readyState === 'loading')\n"
	"    d.addEventListener('DOMContentLoaded', start);\n"
	"  else\n"
	"    start();\n"
	"})(\n";

/* The texts of one language: the banner's, the button labels, each purpose's title and
 * notice. */
static json_t *texts(const struct sk_policy *p, int l)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "title", p->banner.title[l],
			      "intro", p->banner.intro[l], "accept",
			      sk_banner_label(l, SK_BANNER_ACCEPT), "reject",
			      sk_banner_label(l, SK_BANNER_REJECT), "choose",
			      sk_banner_label(l, SK_BANNER_CHOOSE), "save",
			      sk_banner_label(l, SK_BANNER_SAVE), "reopen",
			      sk_banner_label(l, SK_BANNER_REOPEN), "failed",
			      l == SK_LANG_SV ? "Inget sparades. Försök igen om en stund."
					      : "Nothing was saved. Please try again in a while.");
	json_t *list = json_array();
	for (size_t i = 0; o && list && i < p->banner.npurposes; i++) {
		const struct sk_purpose *pu = sk_policy_purpose(p, p->banner.purposes[i]);
		if (pu)
			json_array_append_new(list, json_pack("{s:s,s:s,s:s}", "id", pu->id, "title",
							      pu->title[l], "notice", pu->notice[l]));
	}
	if (!o || !list) {
		json_decref(o);
		json_decref(list);
		return NULL;
	}
	json_object_set_new(o, "purposes", list);
	return o;
}

int sk_banner_js(struct sk_buf *b, const struct sk_banner_view *v, const char *base, int gpc)
{
	const struct sk_policy *p = v->policy;
	json_t *cfg = json_pack("{s:s,s:{s:s,s:s},s:b,s:{s:s,s:s,s:s},s:{s:o?,s:o?}}", "base",
				base ? base : "", "version", "sv", v->version[SK_LANG_SV], "en",
				v->version[SK_LANG_EN], "gpc", gpc, "colors", "primary",
				sk_brand_primary(p), "background", sk_brand_background(p), "text",
				sk_brand_text(p), "texts", "sv", texts(p, SK_LANG_SV), "en",
				texts(p, SK_LANG_EN));
	char *json = cfg ? json_dumps(cfg, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(cfg);
	sk_buf_init(b, 256 * 1024);
	int rc = json ? 0 : SK_ERR_NOMEM;
	if (!rc)
		rc = sk_buf_appends(b, banner_js);
	if (!rc)
		rc = sk_buf_appends(b, json);
	if (!rc)
		rc = sk_buf_appends(b, ");\n");
	free(json);
	return rc ? SK_ERR_NOMEM : 0;
}

static json_t *answer_json(const struct sk_visitor_answer_rec *a)
{
	char hex[2 * SK_HASH_LEN + 1];
	for (int k = 0; k < SK_HASH_LEN; k++)
		snprintf(hex + 2 * k, 3, "%02x", a->notice_sha256[k]);
	return json_pack("{s:I,s:s,s:s,s:o,s:s,s:i,s:s,s:s,s:s?,s:s,s:s}", "seq",
			 (json_int_t)a->seq, "purpose", a->purpose, "action", a->action, "at",
			 sk_json_time(a->at), "banner_version", a->banner_version,
			 "notice_version", a->notice_version, "notice_sha256", hex, "lang",
			 a->lang, "page", a->page[0] ? a->page : NULL, "signal", a->signal,
			 "user_agent_class", a->ua_class);
}

json_t *sk_json_visitor(const struct sk_visitor_view *v)
{
	json_t *list = json_array();
	for (size_t i = 0; list && i < v->nanswers; i++)
		if (json_array_append_new(list, answer_json(&v->answers[i]))) {
			json_decref(list);
			return NULL;
		}
	if (!list)
		return NULL;
	return json_pack("{s:s,s:s?,s:o,s:o,s:o}", "id", v->visitor.id, "contact_id",
			 v->visitor.contact_id[0] ? v->visitor.contact_id : NULL, "created_at",
			 sk_json_time(v->visitor.created_at), "last_seen_at",
			 sk_json_time(v->visitor.last_seen_at), "answers", list);
}
