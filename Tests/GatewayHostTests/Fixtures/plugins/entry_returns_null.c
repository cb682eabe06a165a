/* HOST MUST SAY: the plugin refused to initialise (its entry function returned NULL; see its log lines above) */
#include "policy_abi.h"

#include <stddef.h>
#include <string.h>

/* Refusing to load is legal: the entry returns NULL after saying why through host->log. */
static pab_view text(const char *s) { return (pab_view){(const uint8_t *)s, strlen(s)}; }

PAB_EXPORT const pab_plugin *pab_plugin_entry_v1(const pab_host_api *host) {
    host->log(NULL, PAB_LOG_ERROR, text("entry-returns-null: refusing to load on purpose"));
    return NULL;
}
