#include "core/vty.h"
#include "interwork/iw_vty.h"
#include "media/media.h"

void iw_vty_install_all(void)
{
	tandem_vty_init();
	media_vty_init();
}
