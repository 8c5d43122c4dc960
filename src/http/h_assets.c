/* h_assets.c: the public assets: /assets/page.css, the stylesheet of the public pages in the
 * applied policy's brand (render/page.c writes it), and /assets/embed.js, the small script
 * that makes a form on the company's own site post JSON and show the answer in place
 * (docs/forms.md, "Putting a form on your site"). */
#include "http/http_int.h"
#include "http/page.h"

/* The script, kept readable: each line of it is one line here. */
static const char embed_js[] =
	"/* samtycke embed.js: a form on your site marked data-samtycke-form posts its answers to\n"
	" * samtycke as JSON and shows the answer in place, in an aria-live region, without leaving\n"
	" * the page. Without this script the same form still works as a plain post. docs/forms.md,\n"
	" * \"Putting a form on your site\". */\n"
	"(function () {\n"
	"  'use strict';\n"
	"  var TEXT = {\n"
	"    sv: {\n"
	"      sending: 'Skickar\\u2026',\n"
	"      saved: 'Tack! Dina val \\u00e4r sparade.',\n"
	"      mail: 'Tack! Vi har skickat ett mejl till dig. F\\u00f6lj l\\u00e4nken i det f\\u00f6r att bekr\\u00e4fta.',\n"
	"      error: 'Inget har sparats: ',\n"
	"      failed: 'Inget har sparats. F\\u00f6rs\\u00f6k igen om en stund.'\n"
	"    },\n"
	"    en: {\n"
	"      sending: 'Sending\\u2026',\n"
	"      saved: 'Thank you! Your choices are saved.',\n"
	"      mail: 'Thank you! We have sent you an e-mail. Follow the link in it to confirm.',\n"
	"      error: 'Nothing was saved: ',\n"
	"      failed: 'Nothing was saved. Please try again in a while.'\n"
	"    }\n"
	"  };\n"
	"\n"
	"  function langOf(form) {\n"
	"    var el = form.elements.lang;\n"
	"    var l = (el && el.value) || form.getAttribute('lang') ||\n"
	"      document.documentElement.getAttribute('lang') || 'en';\n"
	"    l = String(l).slice(0, 2).toLowerCase();\n"
	"    return TEXT[l] ? l : 'en';\n"
	"  }\n"
	"\n"
	"  /* the form's answer region: an element marked data-samtycke-answer, else a new one */\n"
	"  function regionOf(form) {\n"
	"    var r = form.querySelector('[data-samtycke-answer]');\n"
	"    if (!r) {\n"
	"      r = document.createElement('p');\n"
	"      r.setAttribute('data-samtycke-answer', '');\n"
	"      form.appendChild(r);\n"
	"    }\n"
	"    r.setAttribute('role', 'status');\n"
	"    r.setAttribute('aria-live', 'polite');\n"
	"    return r;\n"
	"  }\n"
	"\n"
	"  /* the form's fields as the JSON body: boxes named consent make the list of purposes */\n"
	"  function bodyOf(form, lang) {\n"
	"    var o = {consent: []};\n"
	"    for (var i = 0; i < form.elements.length; i++) {\n"
	"      var e = form.elements[i];\n"
	"      if (!e.name || e.disabled || e.type === 'submit' || e.type === 'button' ||\n"
	"          e.type === 'reset' || e.type === 'file')\n"
	"        continue;\n"
	"      if ((e.type === 'checkbox' || e.type === 'radio') && !e.checked)\n"
	"        continue;\n"
	"      if (e.name === 'consent')\n"
	"        o.consent.push(e.value);\n"
	"      else\n"
	"        o[e.name] = e.value;\n"
	"    }\n"
	"    o.lang = lang;\n"
	"    /* where the form was: the page without its query, which may hold personal data */\n"
	"    o.page_url = (location.origin + location.pathname).slice(0, 200);\n"
	"    return o;\n"
	"  }\n"
	"\n"
	"  function busy(form, on) {\n"
	"    var b = form.querySelectorAll('button, input[type=submit]');\n"
	"    for (var i = 0; i < b.length; i++)\n"
	"      b[i].disabled = on;\n"
	"    form.setAttribute('aria-busy', on ? 'true' : 'false');\n"
	"  }\n"
	"\n"
	"  function submit(ev) {\n"
	"    var form = ev.currentTarget;\n"
	"    var lang = langOf(form), t = TEXT[lang], region = regionOf(form);\n"
	"    ev.preventDefault();\n"
	"    busy(form, true);\n"
	"    region.className = 'samtycke-status';\n"
	"    region.textContent = t.sending;\n"
	"    fetch(form.action, {\n"
	"      method: 'POST',\n"
	"      headers: {'Content-Type': 'application/json', 'Accept': 'application/json'},\n"
	"      body: JSON.stringify(bodyOf(form, lang)),\n"
	"      credentials: 'omit',\n"
	"      mode: 'cors'\n"
	"    }).then(function (res) {\n"
	"      return res.json().catch(function () { return null; }).then(function (j) {\n"
	"        busy(form, false);\n"
	"        if (res.ok && j && j.status === 'ok') {\n"
	"          region.className = 'samtycke-status samtycke-ok';\n"
	"          region.textContent = j.pending && j.pending.length ? t.mail : t.saved;\n"
	"          form.reset();\n"
	"        } else {\n"
	"          region.className = 'samtycke-status samtycke-error';\n"
	"          region.textContent = j && j.error && j.error.message\n"
	"            ? t.error + j.error.message : t.failed;\n"
	"        }\n"
	"      });\n"
	"    }, function () {\n"
	"      /* not reached (offline, or this site is not among the form's allowed_origins):\n"
	"       * the plain post still works, on samtycke's own page */\n"
	"      busy(form, false);\n"
	"      form.removeEventListener('submit', submit);\n"
	"      HTMLFormElement.prototype.submit.call(form);\n"
	"    });\n"
	"  }\n"
	"\n"
	"  function init() {\n"
	"    var forms = document.querySelectorAll('form[data-samtycke-form]');\n"
	"    for (var i = 0; i < forms.length; i++) {\n"
	"      if (forms[i].getAttribute('data-samtycke-ready'))\n"
	"        continue;\n"
	"      forms[i].setAttribute('data-samtycke-ready', '1');\n"
	"      forms[i].addEventListener('submit', submit);\n"
	"    }\n"
	"  }\n"
	"\n"
	"  if (!window.fetch || !window.JSON)\n"
	"    return;\n"
	"  if (document.readyState === 'loading')\n"
	"    document.addEventListener('DOMContentLoaded', init);\n"
	"  else\n"
	"    init();\n"
	"})();\n";

/* Both may be cached a day, shared or private: they hold nothing personal, and the pages
 * name the stylesheet with its version (?v=, a hash of its text), so a new brand is a new
 * address. */
#define ASSET_CACHE "public, max-age=86400"

int sk_h_asset_css(struct sk_req *r)
{
	struct sk_buf css;
	int rc = sk_page_css(&css, r->core ? sk_core_policy(r->core) : NULL);
	rc = rc ? rc : sk_reply_text(r, 200, css.data);
	sk_buf_reset(&css);
	if (rc)
		return sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
	r->content_type = "text/css; charset=utf-8";
	r->cache_control = ASSET_CACHE;
	return 0;
}

int sk_h_asset_embed(struct sk_req *r)
{
	if (sk_reply_text(r, 200, embed_js))
		return sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
	r->content_type = "text/javascript; charset=utf-8";
	r->cache_control = ASSET_CACHE;
	return 0;
}

/* The console's stylesheet (render/console.c) and script (render/console_import.c): the same
 * for every organisation, and asked again on each load (no-cache), so that staff never keep
 * an old one after an upgrade. */
static int console_asset(struct sk_req *r, const char *text, const char *type)
{
	if (sk_reply_text(r, 200, text))
		return sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
	r->content_type = type;
	r->cache_control = "no-cache";
	return 0;
}

int sk_h_asset_console_css(struct sk_req *r)
{
	return console_asset(r, sk_console_css, "text/css; charset=utf-8");
}

int sk_h_asset_console_js(struct sk_req *r)
{
	return console_asset(r, sk_console_js, "text/javascript; charset=utf-8");
}
