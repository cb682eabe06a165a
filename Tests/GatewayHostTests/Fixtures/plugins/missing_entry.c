/* HOST MUST SAY: no entry point pab_plugin_entry_v1: not a PolicyABI plugin, or the symbol is not exported */
#include "policy_abi.h"

/* A plausible author mistake: an exported entry under a name the host never looks up. */
PAB_EXPORT const pab_plugin *policy_plugin_entry(const pab_host_api *host);

const pab_plugin *policy_plugin_entry(const pab_host_api *host) {
    (void)host;
    return NULL;
}
