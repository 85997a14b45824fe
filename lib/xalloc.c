/* placeholder: being written */
#include "config.h"
#include "lib/xalloc.h"
