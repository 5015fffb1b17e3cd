/* Number routing table: rules chosen by the longest prefix of an E.164
 * number (digits, without '+'), each rewriting the number (a regular
 * expression, strip, prepend) and naming the targets to try in order, with
 * load sharing by weight among neighbours. One table per direction; a digit
 * trie makes a lookup O(number length). No I/O, no globals. */
#pragma once

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#define IW_ROUTE_PREFIX_MAX  15 /* E.164 6.1: no number is longer */
#define IW_ROUTE_PREPEND_MAX 32
#define IW_ROUTE_TARGETS_MAX 8
#define IW_ROUTE_TARGET_MAX  63 /* trunk / linkset name length */
#define IW_ROUTE_WEIGHT_MAX  1000

/* What iw_route_add takes. prefix "" is the default rule. */
struct iw_route_spec {
	const char *prefix;	    /* digits */
	unsigned strip;		    /* leading digits removed, 0..15 */
	const char *prepend;	    /* put in front after stripping; NULL: none */
	const char *const *targets; /* trunk names, failover order */
	/* NULL, or one per target: 0 a plain target, 1..1000 a weight.
	 * Neighbouring weighted targets form a load-sharing group: each call
	 * starts at the group member a smooth weighted round robin picks
	 * (calls in proportion to the weights), then tries the others of the
	 * group by weight, then the targets after the group. */
	const unsigned *weights;
	unsigned n_targets; /* 1..8; 0 only with enum_first */
	bool enum_first;    /* look the number up in ENUM first */
};

/* A rule as the table keeps it (talloc child of the table). */
struct iw_route_rule {
	char prefix[IW_ROUTE_PREFIX_MAX + 1];
	unsigned strip;
	char prepend[IW_ROUTE_PREPEND_MAX + 1];
	char **targets;
	unsigned weights[IW_ROUTE_TARGETS_MAX];
	int wrr[IW_ROUTE_TARGETS_MAX]; /* smooth weighted round robin state */
	unsigned n_targets;
	bool enum_first;
	/* a rewrite by regular expression (POSIX extended), before strip and
	 * prepend: the first match is replaced, \0..\9 in the replacement
	 * stand for the match and its groups */
	bool have_regex;
	regex_t re;
	char *regex, *replace;
};

struct iw_route_table;

/* A table under talloc context ctx; NULL on allocation failure. Free with
 * iw_route_table_free() or talloc_free(). */
struct iw_route_table *iw_route_table_alloc(void *ctx);
void iw_route_table_free(struct iw_route_table *t);

/* Adds a rule. 0, -EEXIST when the prefix has one, -EINVAL for a prefix
 * that is not digits or too long, a prepend that is not digits (a leading
 * '+' allowed), strip > 15, bad target count or names, -ENOMEM. */
int iw_route_add(struct iw_route_table *t, const struct iw_route_spec *spec);

/* Removes the rule of exactly this prefix: 0 or -ENOENT. */
int iw_route_del(struct iw_route_table *t, const char *prefix);

/* The rule of exactly this prefix, or NULL. */
const struct iw_route_rule *iw_route_get(const struct iw_route_table *t, const char *prefix);

/* The rule with the longest prefix of number (digits, a leading '+' is
 * skipped) in *rule, and the rewritten number in out (NUL-terminated).
 * Returns the rewritten length, -ENOENT when no rule matches, -EINVAL for
 * a number that is not 1..15 digits, -ENOSPC when out is too small. */
int iw_route_lookup(const struct iw_route_table *t, const char *number, size_t len,
		    const struct iw_route_rule **rule, char *out, size_t size);

/* Rewrites number as rule says (what lookup does after matching).
 * -EDOM when the regular expression leaves something that is not 1..15
 * digits (the caller's "invalid number format"), -ENOSPC. */
int iw_route_rewrite(const struct iw_route_rule *rule, const char *number, size_t len, char *out,
		     size_t size);

/* Gives the rule of exactly this prefix a rewrite by regular expression
 * (NULL regex: none). 0, -ENOENT (no such rule), -EINVAL (the expression
 * does not compile: err says why, or the replacement refers to a group the
 * expression does not have), -ENOMEM. */
int iw_route_set_regex(struct iw_route_table *t, const char *prefix, const char *regex,
		       const char *replace, char *err, size_t err_size);

/* The order to try the rule's targets in for one call (indexes into
 * rule->targets); advances the rule's load-sharing state, so call it once
 * per call. Returns the count (rule->n_targets). */
unsigned iw_route_order(struct iw_route_table *t, const struct iw_route_rule *rule,
			unsigned order[IW_ROUTE_TARGETS_MAX]);

/* Number of rules. */
unsigned iw_route_count(const struct iw_route_table *t);

/* Calls cb for every rule in prefix order ("" first, then "1", "10"...);
 * a non-zero return stops the walk and is returned. */
typedef int (*iw_route_foreach_cb)(const struct iw_route_rule *rule, void *priv);
int iw_route_foreach(const struct iw_route_table *t, iw_route_foreach_cb cb, void *priv);

/* Route selection for a call (iw_route_cb): the rule for e164 in t and its
 * targets in the rule's order. Toward SIP, the first trunk that can take a
 * call (configured, up when OPTIONS are sent, below its limit) with the
 * rest as alternatives; toward ISUP, every linkset named (the call seizes).
 * 0, or -ENOENT with res->cause: 3 no route, 28 a rewrite left no number,
 * 34 every trunk down, 42 every trunk at its limit. */
struct iw_route_res;
int iw_route_select(struct iw_route_table *t, bool to_sip, const char *e164,
		    struct iw_route_res *res);
