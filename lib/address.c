/* placeholder: being written */
#include "config.h"
#include "lib/address.h"
