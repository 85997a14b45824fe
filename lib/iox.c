/* placeholder: being written */
#include "config.h"
#include "lib/iox.h"
