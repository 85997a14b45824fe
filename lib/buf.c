/* placeholder: being written */
#include "config.h"
#include "lib/buf.h"
