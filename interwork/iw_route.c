/* Number routing table as a decimal trie. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <talloc.h>

#include "interwork/iw_call.h"
#include "interwork/iw_cause.h"
#include "interwork/iw_route.h"
#include "sip/sip_trunk.h"

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
		if (!name_ok(s->targets[i]) || (s->weights && s->weights[i] > IW_ROUTE_WEIGHT_MAX))
			return -EINVAL;
	return 0;
}

static int rule_destroy(struct iw_route_rule *r)
{
	if (r->have_regex)
		regfree(&r->re);
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
	talloc_set_destructor(r, rule_destroy);
	strcpy(r->prefix, spec->prefix);
	strcpy(r->prepend, spec->prepend ? spec->prepend : "");
	r->strip = spec->strip;
	r->enum_first = spec->enum_first;
	r->n_targets = spec->n_targets;
	for (unsigned i = 0; spec->weights && i < spec->n_targets; i++)
		r->weights[i] = spec->weights[i];
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

/* sed-like: the first match of the rule's expression in number is replaced
 * by the replacement with \0..\9 expanded. */
static int regex_apply(const struct iw_route_rule *r, const char *number, char *out, size_t size)
{
	regmatch_t m[10];
	size_t n = 0, len = strlen(number);

	if (regexec(&r->re, number, 10, m, 0) != 0) {
		if (len + 1 > size)
			return -ENOSPC;
		memcpy(out, number, len + 1);
		return (int)len;
	}
#define PUT(p, k)                                  \
	do {                                       \
		if (n + (size_t)(k) + 1 > size)    \
			return -ENOSPC;            \
		memcpy(out + n, (p), (size_t)(k)); \
		n += (size_t)(k);                  \
	} while (0)
	PUT(number, m[0].rm_so);
	for (const char *s = r->replace; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '9') {
			const regmatch_t *g = &m[s[1] - '0'];

			if (g->rm_so >= 0)
				PUT(number + g->rm_so, g->rm_eo - g->rm_so);
			s++;
		} else {
			PUT(s, 1);
		}
	}
	PUT(number + m[0].rm_eo, len - (size_t)m[0].rm_eo);
#undef PUT
	out[n] = 0;
	return (int)n;
}

int iw_route_rewrite(const struct iw_route_rule *rule, const char *number, size_t len, char *out,
		     size_t size)
{
	char in[IW_ROUTE_PREFIX_MAX + 1], re_out[64];
	size_t strip, pl, n;

	if (rule->have_regex) {
		int k;

		if (len > IW_ROUTE_PREFIX_MAX)
			return -EDOM;
		memcpy(in, number, len);
		in[len] = 0;
		k = regex_apply(rule, in, re_out, sizeof(re_out));
		if (k < 0)
			return k == -ENOSPC ? -EDOM : k;
		/* what the expression leaves must still be a number */
		if (k == 0 || k > IW_ROUTE_PREFIX_MAX || !digits_ok(re_out, (size_t)k))
			return -EDOM;
		number = re_out;
		len = (size_t)k;
	}
	strip = rule->strip < len ? rule->strip : len;
	pl = strlen(rule->prepend);
	n = pl + len - strip;
	if (n + 1 > size)
		return -ENOSPC;
	memcpy(out, rule->prepend, pl);
	memmove(out + pl, number + strip, len - strip);
	out[n] = 0;
	return (int)n;
}

int iw_route_set_regex(struct iw_route_table *t, const char *prefix, const char *regex,
		       const char *replace, char *err, size_t err_size)
{
	struct iw_route_rule *r = (struct iw_route_rule *)iw_route_get(t, prefix);
	regex_t re;
	int rc;

	if (err_size)
		err[0] = 0;
	if (!r)
		return -ENOENT;
	if (!regex) {
		if (r->have_regex)
			regfree(&r->re);
		r->have_regex = false;
		TALLOC_FREE(r->regex);
		TALLOC_FREE(r->replace);
		return 0;
	}
	if (!replace)
		return -EINVAL;
	rc = regcomp(&re, regex, REG_EXTENDED);
	if (rc) {
		regerror(rc, &re, err, err_size);
		return -EINVAL;
	}
	for (const char *s = replace; *s; s++)
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '9' &&
		    (size_t)(s[1] - '0') > re.re_nsub) {
			snprintf(err, err_size,
				 "the replacement refers to group %c, the expression has %zu", s[1],
				 re.re_nsub);
			regfree(&re);
			return -EINVAL;
		}
	{
		char *a = talloc_strdup(r, regex), *b = talloc_strdup(r, replace);

		if (!a || !b) {
			talloc_free(a);
			talloc_free(b);
			regfree(&re);
			return -ENOMEM;
		}
		if (r->have_regex)
			regfree(&r->re);
		talloc_free(r->regex);
		talloc_free(r->replace);
		r->regex = a;
		r->replace = b;
		r->re = re;
		r->have_regex = true;
	}
	return 0;
}

unsigned iw_route_order(struct iw_route_table *t, const struct iw_route_rule *rule,
			unsigned order[IW_ROUTE_TARGETS_MAX])
{
	/* the table is the rule's owner: its load-sharing state may change */
	struct iw_route_rule *r = (struct iw_route_rule *)rule;
	unsigned n = 0;

	(void)t;
	for (unsigned i = 0; i < r->n_targets;) {
		unsigned end = i, total = 0, best;

		if (!r->weights[i]) {
			order[n++] = i++;
			continue;
		}
		while (end < r->n_targets && r->weights[end])
			total += r->weights[end++];
		/* smooth weighted round robin: every member gains its weight, the
		 * one furthest ahead goes first and pays the total back, so calls
		 * spread in proportion and evenly in time */
		best = i;
		for (unsigned k = i; k < end; k++) {
			r->wrr[k] += (int)r->weights[k];
			if (r->wrr[k] > r->wrr[best])
				best = k;
		}
		r->wrr[best] -= (int)total;
		order[n++] = best;
		/* the rest of the group by weight, equal weights in configured
		 * order (insertion sort: at most 7) */
		for (unsigned k = i, first = n; k < end; k++) {
			unsigned j = n++;

			if (k == best) {
				n--;
				continue;
			}
			while (j > first && r->weights[order[j - 1]] < r->weights[k]) {
				order[j] = order[j - 1];
				j--;
			}
			order[j] = k;
		}
		i = end;
	}
	return n;
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

/* --- route selection: a number to its targets --- */

/* A trunk can take a call: configured, answering OPTIONS when they are
 * sent, below its call limit. */
static bool trunk_usable(const struct sip_trunk *t, bool *limited)
{
	if (t->options_interval && !t->up)
		return false;
	if (iw_trunk_over_limit(t)) {
		*limited = true;
		return false;
	}
	return true;
}

int iw_route_select(struct iw_route_table *t, bool to_sip_dir, const char *e164,
		    struct iw_route_res *res)
{
	const struct iw_route_rule *r;
	unsigned order[IW_ROUTE_TARGETS_MAX], n;
	bool limited = false;
	int rc;

	res->cause = ISUP_CAUSE_NO_ROUTE_DESTINATION;
	if (!t)
		return -ENOENT;
	rc = iw_route_lookup(t, e164, strlen(e164), &r, res->number, sizeof(res->number));
	if (rc == -EDOM)
		res->cause = ISUP_CAUSE_INVALID_NUMBER_FORMAT; /* the rewrite left no number */
	if (rc < 0)
		return -ENOENT;
	res->enum_first = r->enum_first;
	n = iw_route_order(t, r, order);
	res->n_alt = 0;
	if (!to_sip_dir) {
		/* the call seizes: it knows the linksets' circuits and limits */
		for (unsigned i = 0; i < n && res->n_alt < IW_ROUTE_ALT_MAX; i++)
			snprintf(res->alt[res->n_alt++], sizeof(res->alt[0]), "%s",
				 r->targets[order[i]]);
		res->linkset = res->n_alt ? res->alt[0] : NULL;
		return res->n_alt ? 0 : -ENOENT;
	}
	for (unsigned i = 0; i < n; i++) {
		struct sip_trunk *tr = sip_trunk_find(r->targets[order[i]]);

		if (tr && trunk_usable(tr, &limited)) {
			res->trunk = tr;
			for (unsigned k = i + 1; k < n && res->n_alt < IW_ROUTE_ALT_MAX; k++)
				snprintf(res->alt[res->n_alt++], sizeof(res->alt[0]), "%s",
					 r->targets[order[k]]);
			return 0;
		}
	}
	/* every target down: Q.850 34 no circuit/channel available; at
	 * its limits: 42 switching equipment congestion */
	res->cause = limited ? ISUP_CAUSE_SWITCHING_EQUIPMENT_CONGESTION
			     : ISUP_CAUSE_NO_CIRCUIT_AVAILABLE;
	return -ENOENT;
}
