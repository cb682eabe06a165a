#ifndef GW_CSQLITE_SHIM_H
#define GW_CSQLITE_SHIM_H
/* Debian's libsqlite3-dev: the usage ledger (Sources/GatewayCore/Usage/UsageSQLiteStore.swift). */
#include <sqlite3.h>
#endif
