#include "kira_cdcmtk.h"
extern "C" int kira_cdcmtk_placeholder(void) { return 0; }
