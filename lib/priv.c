/* placeholder: being written */
#include "config.h"
#include "lib/priv.h"
