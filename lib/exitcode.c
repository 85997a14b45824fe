/* placeholder: being written */
#include "config.h"
#include "lib/exitcode.h"
