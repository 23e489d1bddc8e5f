// The module needs one compiled source; libsvm itself is linked from the system (-lsvm).
#include "kira_libsvm.h"
