/* Number routing table as a decimal trie. */
#include <errno.h>
#include <string.h>
#include <talloc.h>

#include "interwork/iw_route.h"

struct node {
	struct node *child[10];
	struct iw_route_rule *rule;
	struct node *parent;
	unsigned n_children;
};

struct iw_route_table {
	struct node root;
	unsigned count;
};

struct iw_route_table *iw_route_table_alloc(void *ctx)
{
	return talloc_zero(ctx, struct iw_route_table);
}

void iw_route_table_free(struct iw_route_table *t)
{
	talloc_free(t);
}

static bool digits_ok(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

static bool name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > IW_ROUTE_TARGET_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return false;
	return true;
}

static int spec_check(const struct iw_route_spec *s)
{
	size_t pl, ppl;

	if (!s->prefix)
		return -EINVAL;
	pl = strlen(s->prefix);
	ppl = s->prepend ? strlen(s->prepend) : 0;
	if (pl > IW_ROUTE_PREFIX_MAX || !digits_ok(s->prefix, pl))
		return -EINVAL;
	if (ppl > IW_ROUTE_PREPEND_MAX)
		return -EINVAL;
	if (ppl && !digits_ok(s->prepend + (s->prepend[0] == '+'), ppl - (s->prepend[0] == '+')))
		return -EINVAL;
	if (s->strip > IW_ROUTE_PREFIX_MAX || s->n_targets > IW_ROUTE_TARGETS_MAX)
		return -EINVAL;
	if (s->n_targets == 0 && !s->enum_first)
		return -EINVAL;
	if (s->n_targets && !s->targets)
		return -EINVAL;
	for (unsigned i = 0; i < s->n_targets; i++)
		if (!name_ok(s->targets[i]))
			return -EINVAL;
	return 0;
}

static struct node *find(const struct iw_route_table *t, const char *prefix)
{
	const struct node *n = &t->root;

	for (; *prefix && n; prefix++)
		n = n->child[*prefix - '0'];
	return (struct node *)n;
}

/* Drops nodes left with no rule and no children, from n upwards. */
static void prune(struct node *n)
{
	while (n->parent && !n->rule && n->n_children == 0) {
		struct node *p = n->parent;

		for (unsigned i = 0; i < 10; i++)
			if (p->child[i] == n)
				p->child[i] = NULL;
		p->n_children--;
		talloc_free(n);
		n = p;
	}
}

int iw_route_add(struct iw_route_table *t, const struct iw_route_spec *spec)
{
	struct iw_route_rule *r;
	struct node *n = &t->root;
	int rc = spec_check(spec);

	if (rc < 0)
		return rc;
	n = find(t, spec->prefix);
	if (n && n->rule)
		return -EEXIST;
	r = talloc_zero(t, struct iw_route_rule);
	if (!r)
		return -ENOMEM;
	strcpy(r->prefix, spec->prefix);
	strcpy(r->prepend, spec->prepend ? spec->prepend : "");
	r->strip = spec->strip;
	r->enum_first = spec->enum_first;
	r->n_targets = spec->n_targets;
	if (spec->n_targets) {
		r->targets = talloc_array(r, char *, spec->n_targets);
		if (!r->targets)
			goto nomem;
		for (unsigned i = 0; i < spec->n_targets; i++) {
			r->targets[i] = talloc_strdup(r->targets, spec->targets[i]);
			if (!r->targets[i])
				goto nomem;
		}
	}
	n = &t->root;
	for (const char *p = spec->prefix; *p; p++) {
		struct node **c = &n->child[*p - '0'];

		if (!*c) {
			*c = talloc_zero(t, struct node);
			if (!*c) {
				prune(n);
				goto nomem;
			}
			(*c)->parent = n;
			n->n_children++;
		}
		n = *c;
	}
	n->rule = r;
	t->count++;
	return 0;
nomem:
	talloc_free(r);
	return -ENOMEM;
}

int iw_route_del(struct iw_route_table *t, const char *prefix)
{
	struct node *n;

	if (!prefix || strlen(prefix) > IW_ROUTE_PREFIX_MAX || !digits_ok(prefix, strlen(prefix)))
		return -ENOENT;
	n = find(t, prefix);
	if (!n || !n->rule)
		return -ENOENT;
	talloc_free(n->rule);
	n->rule = NULL;
	t->count--;
	prune(n);
	return 0;
}

const struct iw_route_rule *iw_route_get(const struct iw_route_table *t, const char *prefix)
{
	const struct node *n;

	if (!prefix || strlen(prefix) > IW_ROUTE_PREFIX_MAX || !digits_ok(prefix, strlen(prefix)))
		return NULL;
	n = find(t, prefix);
	return n ? n->rule : NULL;
}

int iw_route_rewrite(const struct iw_route_rule *rule, const char *number, size_t len, char *out,
		     size_t size)
{
	size_t strip = rule->strip < len ? rule->strip : len;
	size_t pl = strlen(rule->prepend), n = pl + len - strip;

	if (n + 1 > size)
		return -ENOSPC;
	memcpy(out, rule->prepend, pl);
	memcpy(out + pl, number + strip, len - strip);
	out[n] = 0;
	return (int)n;
}

int iw_route_lookup(const struct iw_route_table *t, const char *number, size_t len,
		    const struct iw_route_rule **rule, char *out, size_t size)
{
	const struct node *n = &t->root;
	const struct iw_route_rule *best = n->rule;
	int rc;

	if (!number)
		return -EINVAL;
	if (len && number[0] == '+') {
		number++;
		len--;
	}
	if (len == 0 || len > IW_ROUTE_PREFIX_MAX || !digits_ok(number, len))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		n = n->child[number[i] - '0'];
		if (!n)
			break;
		if (n->rule)
			best = n->rule;
	}
	if (!best)
		return -ENOENT;
	rc = iw_route_rewrite(best, number, len, out, size);
	if (rc >= 0)
		*rule = best;
	return rc;
}

unsigned iw_route_count(const struct iw_route_table *t)
{
	return t->count;
}

static int walk(const struct node *n, iw_route_foreach_cb cb, void *priv)
{
	int rc;

	if (n->rule && (rc = cb(n->rule, priv)))
		return rc;
	for (unsigned i = 0; i < 10; i++)
		if (n->child[i] && (rc = walk(n->child[i], cb, priv)))
			return rc;
	return 0;
}

int iw_route_foreach(const struct iw_route_table *t, iw_route_foreach_cb cb, void *priv)
{
	return walk(&t->root, cb, priv);
}
