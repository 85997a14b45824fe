/* placeholder: being written */
#include "config.h"
#include "lib/safeopen.h"
