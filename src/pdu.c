#include "compat.h"
#include "pdu.h"
