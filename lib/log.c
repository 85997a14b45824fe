/* placeholder: being written */
#include "config.h"
#include "lib/log.h"
