#ifndef GW_CYAML_SHIM_H
#define GW_CYAML_SHIM_H
#include <yaml.h>
#endif
