/* Every layer's VTY nodes and commands, installed in one place so that
 * tandemd and the configuration tests read files with the same grammar. */
#pragma once

void iw_vty_install_all(void);
