/* policy.c: the JSON of the policy: one purpose as GET /v1/purposes documents it, the
 * purpose list, the whole applied policy (samtycke policy show --json, whose purposes have
 * the same shape) and the plan of a policy apply. */
#include <jansson.h>
#include <string.h>

#include "render/render.h"
#include "util/str.h"

static const char *const item_names[] = {"purpose", "field", "form", "setting"};
static const char *const op_names[] = {"added", "removed", "changed"};

const char *sk_policy_item_name(enum sk_policy_item i)
{
	return (unsigned)i < sizeof(item_names) / sizeof(item_names[0]) ? item_names[i] : "?";
}

const char *sk_policy_op_name(enum sk_policy_op o)
{
	return (unsigned)o < sizeof(op_names) / sizeof(op_names[0]) ? op_names[o] : "?";
}

json_t *sk_json_purpose(const struct sk_purpose *p, const struct sk_notice_set *n)
{
	json_t *text = json_object(), *sha = json_object(), *fields = json_array();
	char hex[2 * SK_HASH_LEN + 1];
	for (int l = 0; l < SK_NLANG; l++) {
		sk_hex(n->sha256[l], SK_HASH_LEN, hex);
		json_object_set_new(text, sk_lang_name(l), json_string(n->text[l] ? n->text[l] : ""));
		json_object_set_new(sha, sk_lang_name(l), json_string(hex));
	}
	for (size_t i = 0; i < p->nfields; i++)
		json_array_append_new(fields, json_string(p->fields[i]));
	return json_pack("{s:s,s:s,s:s,s:b,s:o,s:o,s:o,s:o,s:o,s:{s:i,s:o,s:o}}", "id", p->id,
			 "kind", sk_kind_name(p->kind), "legal_basis", sk_basis_name(p->basis),
			 "double_opt_in", p->double_opt_in, "validity", sk_json_duration(p->validity),
			 "retention", sk_json_duration(p->retention), "fields", fields, "title",
			 sk_json_texts(p->title), "description", sk_json_texts(p->description),
			 "notice", "version", p->notice_version, "text", text, "sha256", sha);
}

static json_t *purpose_list(const struct sk_policy *pol, const struct sk_notice_set *notices)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < pol->npurposes; i++)
		json_array_append_new(arr, sk_json_purpose(&pol->purposes[i], &notices[i]));
	return arr;
}

json_t *sk_json_purposes(const struct sk_policy *pol, const struct sk_notice_set *notices)
{
	return json_pack("{s:o}", "purposes", purpose_list(pol, notices));
}

json_t *sk_json_policy(const struct sk_policy *p, int version, const struct sk_notice_set *notices)
{
	json_t *fields = json_array();
	for (size_t i = 0; i < p->nfields; i++)
		json_array_append_new(fields, json_pack("{s:s,s:s,s:i}", "name", p->fields[i].name,
							"type", sk_field_type_name(p->fields[i].type),
							"max_length", p->fields[i].max_length));
	/* the brand as written (absent keys left out; no brand, no "brand") */
	json_t *brand = json_pack("{s:s*,s:s*,s:s*,s:s*,s:s*}", "logo_url", p->brand_logo_url,
				  "primary", p->brand_primary, "background", p->brand_background,
				  "text", p->brand_text, "stylesheet_url", p->brand_stylesheet_url);
	if (brand && json_object_size(brand) == 0) {
		json_decref(brand);
		brand = NULL;
	}
	return json_pack("{s:i,s:{s:s,s:s,s:s,s:s,s:o*},s:o,s:o}", "policy_version", version,
			 "organisation", "name", p->org_name, "contact", p->org_contact, "address",
			 p->org_address, "privacy_policy_url", p->org_privacy_url, "brand", brand,
			 "fields", fields, "purposes", purpose_list(p, notices));
}

json_t *sk_json_policy_plan(const struct sk_policy_plan *pl, int dry)
{
	json_t *changes = json_array(), *purposes = json_array();
	for (size_t i = 0; i < pl->ndiffs; i++) {
		const struct sk_policy_diff *d = &pl->diffs[i];
		json_t *o = json_pack("{s:s,s:s,s:s}", "item", sk_policy_item_name(d->item),
				      "change", sk_policy_op_name(d->op), "id", d->id);
		if (d->op == SK_PO_CHANGED) {
			json_t *a = json_array();
			char buf[sizeof(d->attrs)], *save = NULL;
			sk_strlcpy(buf, d->attrs, sizeof(buf));
			for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
				json_array_append_new(a, json_string(t));
			json_object_set_new(o, "attributes", a);
		}
		if (d->item == SK_PI_PURPOSE && d->op == SK_PO_REMOVED)
			json_object_set_new(o, "holders", json_integer(d->holders));
		json_array_append_new(changes, o);
	}
	for (size_t i = 0; i < pl->nnotices; i++)
		json_array_append_new(purposes, json_pack("{s:s,s:i,s:b}", "purpose",
							  pl->notices[i].purpose, "notice_version",
							  pl->notices[i].version, "new_version",
							  pl->notices[i].is_new));
	return json_pack("{s:b,s:b,s:b,s:b,s:i,s:i,s:o,s:o,s:s?}", "dry_run", dry, "unchanged",
			 pl->unchanged, "refused", pl->refused, "forced", pl->forced,
			 "base_version", pl->base_version, "policy_version", pl->version,
			 "changes", changes, "purposes", purposes, "message",
			 pl->why[0] ? pl->why : NULL);
}
