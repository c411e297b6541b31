#include "mcp/resources.h"
#include <pthread.h>
#include <string.h>

enum { MAX_RESOURCES = 32 };

typedef struct {
	json_t *def;
	const char *uri;  /* the URI, or the template when is_template */
	bool is_template;
	mcp_resource_fn fn;
} resource_t;

static resource_t table[MAX_RESOURCES];
static size_t count;
static bool in_use;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* Registration happens at start, before any request; using the table closes it. */
static void use(void)
{
	pthread_mutex_lock(&lock);
	in_use = true;
	pthread_mutex_unlock(&lock);
}

bool mcp_resources_register(json_t *def, mcp_resource_fn fn)
{
	const char *uri = json_string_value(json_object_get(def, "uri"));
	const char *tmpl = json_string_value(json_object_get(def, "uriTemplate"));
	pthread_mutex_lock(&lock);
	bool ok = !in_use && fn && count < MAX_RESOURCES && (!uri != !tmpl) &&
		  json_is_string(json_object_get(def, "name"));
	if (ok)
		table[count++] = (resource_t){ def, uri ? uri : tmpl, tmpl != NULL, fn };
	pthread_mutex_unlock(&lock);
	if (!ok)
		json_decref(def);
	return ok;
}

static json_t *list(bool templates, const char *key)
{
	use();
	json_t *out = json_array();
	for (size_t i = 0; i < count; i++)
		if (table[i].is_template == templates)
			json_array_append(out, table[i].def);
	return json_pack("{s:o}", key, out);
}

json_t *mcp_resources_list(void)
{
	return list(false, "resources");
}

json_t *mcp_resources_templates_list(void)
{
	return list(true, "resourceTemplates");
}

json_t *mcp_uri_template_match(const char *tmpl, const char *uri)
{
	json_t *vars = json_object();
	const char *t = tmpl, *u = uri;
	while (*t) {
		if (*t != '{') {
			if (*t++ != *u++)
				goto no;
			continue;
		}
		const char *close = strchr(t, '}');
		if (!close || close == t + 1)
			goto no;
		size_t vlen = strcspn(u, "/?#");
		if (!vlen)
			goto no;
		char name[64];
		size_t nlen = (size_t)(close - t - 1);
		if (nlen >= sizeof name)
			goto no;
		memcpy(name, t + 1, nlen);
		name[nlen] = '\0';
		json_object_set_new(vars, name, json_stringn(u, vlen));
		t = close + 1;
		u += vlen;
	}
	if (!*u)
		return vars;
no:
	json_decref(vars);
	return NULL;
}

/* The entry uri names (direct resources first), with the variables it binds. */
static resource_t *find(const char *uri, json_t **vars)
{
	use();
	for (size_t i = 0; uri && i < count; i++)
		if (!table[i].is_template && !strcmp(table[i].uri, uri)) {
			*vars = json_object();
			return &table[i];
		}
	for (size_t i = 0; uri && i < count; i++)
		if (table[i].is_template && (*vars = mcp_uri_template_match(table[i].uri, uri)))
			return &table[i];
	return NULL;
}

#ifdef WT_TEST_BUILD
bool mcp_resources_exists(const char *uri)
{
	json_t *vars = NULL;
	bool found = find(uri, &vars) != NULL;
	json_decref(vars);
	return found;
}
#endif

json_t *mcp_resources_read(core_ctx *c, const char *uri, err_t *err)
{
	json_t *vars = NULL;
	resource_t *r = find(uri, &vars);
	if (!r) {
		err_set(err, ERR_CODE_NOT_FOUND, "no resource at '%s'", uri ? uri : "");
		return NULL;
	}
	json_t *contents = r->fn(c, uri, vars, err);
	json_decref(vars);
	return contents ? json_pack("{s:o}", "contents", contents) : NULL;
}
