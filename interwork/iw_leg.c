/* The kinds of circuit leg a route's targets are looked up in. */
#include <stddef.h>

#include "interwork/iw_leg.h"
#include "interwork/iw_leg_pri.h"

const struct iw_leg_class *const iw_leg_classes[] = {
	&iw_leg_isup_class,
	&iw_leg_pri_class,
	NULL,
};

const void *iw_leg_group_find(const char *name, const struct iw_leg_class **cls)
{
	for (unsigned i = 0; iw_leg_classes[i]; i++) {
		const void *g = iw_leg_classes[i]->group_find(name);

		if (g) {
			if (cls)
				*cls = iw_leg_classes[i];
			return g;
		}
	}
	return NULL;
}
