/* placeholder: being written */
#include "config.h"
#include "lib/config.h"
