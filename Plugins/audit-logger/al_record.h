/* al_record.h: one audit record's members, read from the exchange through the host API. Reads
 * attributes and tags only: never a header or a body, so no API key, Authorization header or message
 * text can reach the log. */
#ifndef AL_RECORD_H
#define AL_RECORD_H

#include "policy_abi.h"

#include "al_buf.h"
#include "al_config.h"

/* The end reason's name: "completed", "denied", ... ("unknown_N" for a value this plugin does not know). */
const char *al_end_reason_name(pab_end_reason reason, char scratch[32]);

/* Appends the record's members (JSON object members without braces, see al_journal_append) to `out`.
 * `own_prefix` is this chain entry's tag namespace ("audit-logger."): its own tags are left out.
 * Returns 1 when the record is to be written, 0 when log_all_access is off and the exchange is
 * unremarkable (every verdict "allow" and status < 400). */
int al_record_members(const pab_host_api *host, pab_call *c, const al_settings *settings, const char *own_prefix,
                      pab_end_reason reason, al_buf *out);

#endif
